/**
 * tradeOrderWorkflow (workflow ID `order:<id>`): one buyer-protected purchase order, from the
 * supplier's draft to the release of escrowed funds, with every window of its pinned policy as a
 * durable deadline and every claim path. The workflow owns the order's state; the read model,
 * timeline, ledger, coverage and emails are written by idempotent activities.
 *
 * Versions: histories recorded before ORDER_RULES_PATCH (the walking skeleton) replay on the
 * `legacy` path, which issues exactly the commands that version did.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { monitoringWorkflowId, orderShipmentDateSignal } from './monitoring.messages';
import type { OrderReadModel } from '../activities/orders';
import { afterServicePolicy, changeCancelWindowClosesAt } from './after-service.policy';
import { getCalendar } from './calendar';
import { formatMoney } from './money';
import {
  ActionInput,
  Actor,
  AddEvidenceInput,
  CancelInput,
  Claim,
  ClaimActionInput,
  Deadline,
  DeadlineKind,
  DecideClaimInput,
  ExtendReceivingInput,
  ExtendShippingInput,
  FeedbackInput,
  INVALID_DRAFT,
  NextStep,
  OpenClaimInput,
  OrderState,
  OrderStatus,
  PaymentInput,
  RequestEvidenceInput,
  SA_BUYER,
  SA_NEXT_DEADLINE,
  SA_STATUS,
  SA_SUPPLIER,
  ShipInput,
  SupplierResponseInput,
  TERMINAL_STATUSES,
  TradeOrderInput,
  acceptCounterOfferUpdate,
  addEvidenceUpdate,
  cancelOrderUpdate,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  decideClaimUpdate,
  escalateClaimUpdate,
  extendReceivingUpdate,
  extendShippingUpdate,
  linkMonitoringSignal,
  getOrderQuery,
  leaveFeedbackUpdate,
  afterServiceRefundUpdate,
  AfterServiceRefundInput,
  markDeliveredUpdate,
  openClaimUpdate,
  payUpdate,
  requestEvidenceUpdate,
  respondToClaimUpdate,
  shipUpdate,
  withdrawClaimUpdate,
} from './order.messages';
import { Party, createEffectQueue, iso, nowMs, refuse, requireParty, withDeadline, workingDaysLater } from './process-kit';
import { DAY_MS, HOUR_MS, checkDraft, claimDayStart, orderPolicy, orderTotal, shipByInstant } from './order.policy';

/** Orders started from this version on enforce every window, claim and coverage rule. */
export const ORDER_RULES_PATCH = 'order-rules-v2';

/**
 * Orders started from this version on record each change and its email notices in one activity (one
 * database transaction) instead of three: a shorter history, and no change without its emails.
 */
export const ORDER_NOTICES_PATCH = 'order-notices-with-change';

// Database, ledger and mail activities retry until the dependency is back: nothing is dropped.
const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Checks that the caller may act on this order as one of the given parties (ops may always act). */
function requireActor(actor: Actor, allowed: Party[], input: TradeOrderInput, action: string): void {
  requireParty(actor, allowed, input, action);
}

function requireStatus(current: OrderStatus, expected: OrderStatus[], action: string, why: string): void {
  if (!expected.includes(current)) refuse(`cannot ${action}: ${why} (order is ${current})`);
}

const NEXT_STEPS: Record<OrderStatus, NextStep> = {
  DRAFT: { action: 'confirm-by-buyer', by: 'buyer', description: 'the buyer reviews and confirms the purchase order' },
  BUYER_CONFIRMED: {
    action: 'confirm-by-supplier',
    by: 'supplier',
    description: 'the supplier confirms the purchase order, accepting every term',
  },
  CONFIRMED: { action: 'pay', by: 'buyer', description: 'the buyer pays the initial payment (deposit)' },
  DEPOSIT_PAID: { action: 'pay', by: 'buyer', description: 'the buyer pays the balance before shipment' },
  PAID: { action: 'ship', by: 'supplier', description: 'the supplier ships by the agreed shipping date' },
  SHIPPED: { action: 'mark-delivered', by: 'ops', description: 'the carrier delivers the goods' },
  DELIVERED: { action: 'confirm-receipt', by: 'buyer', description: 'the buyer confirms receipt of the goods' },
  RECEIPT_CONFIRMED: { action: 'none', by: 'system', description: 'held funds are released to the supplier' },
  COMPLETED: { action: 'leave-feedback', by: 'nobody', description: 'the order is complete; both parties may leave feedback' },
  EXPIRED: { action: 'none', by: 'nobody', description: 'the draft expired unconfirmed' },
  CANCELLED: { action: 'none', by: 'nobody', description: 'the order is cancelled; held funds were refunded' },
  SETTLED: { action: 'leave-feedback', by: 'nobody', description: 'a claim settled the order; both parties may leave feedback' },
};

const PRE_SHIPMENT: OrderStatus[] = ['CONFIRMED', 'DEPOSIT_PAID', 'PAID'];

export async function tradeOrderWorkflow(input: TradeOrderInput): Promise<OrderState> {
  const rulesV2 = patched(ORDER_RULES_PATCH);
  const noticesWithChange = patched(ORDER_NOTICES_PATCH);
  const policy = orderPolicy(input.policyVersion);
  const problems = checkDraft(input.terms, policy, rulesV2 ? iso(nowMs()).slice(0, 10) : undefined);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: INVALID_DRAFT,
      message: problems.map((p) => `${p.field}: ${p.reason}`).join('; '),
      nonRetryable: true,
    });
  }

  const { orderId, buyerId, supplierId, terms } = input;
  const workflowId = workflowInfo().workflowId;
  const currency = terms.currency;
  const total = orderTotal(terms.items);
  const createdAt = iso(nowMs());
  const state: OrderState = {
    orderId,
    status: 'DRAFT',
    buyerId,
    supplierId,
    terms,
    policyVersion: policy.version,
    amounts: {
      currency,
      total,
      deposit: terms.depositAmount,
      balance: total - terms.depositAmount,
      paid: 0,
      held: 0,
      released: 0,
      ...(rulesV2 ? { covered: 0, refunded: 0 } : {}),
    },
    nextStep: NEXT_STEPS.DRAFT,
    revision: 0,
    createdAt,
    updatedAt: createdAt,
    ...(rulesV2 ? { shippingDate: terms.shippingDate, late: false, claims: [], deadlines: [], feedback: {}, receivingExtensions: {} } : {}),
  };
  const money = (amount: number) => formatMoney(amount, currency);
  const partyIds = (parties: Party[]) => parties.map((p) => (p === 'buyer' ? buyerId : supplierId));
  const claims = () => state.claims ?? [];
  const openClaims = () => claims().filter((c) => c.status !== 'CLOSED');

  // ---- deadlines -------------------------------------------------------------------------------
  const deadlines = () => state.deadlines ?? [];
  /** Bumped on every change, so the main loop re-reads its deadlines. */
  let wake = 0;

  function setDeadline(d: Omit<Deadline, 'dueAt' | 'policyVersion'> & { dueAt: number }): void {
    state.deadlines = withDeadline(deadlines(), d, policy.version);
    wake += 1;
  }

  function clearDeadlines(match: (d: Deadline) => boolean): void {
    state.deadlines = deadlines().filter((d) => !match(d));
    wake += 1;
  }
  const clearKinds = (...kinds: DeadlineKind[]) => clearDeadlines((d) => kinds.includes(d.kind));
  const clearClaimDeadlines = (claimId: string) => clearDeadlines((d) => d.claimId === claimId);

  // ---- recording changes ------------------------------------------------------------------------
  // Side effects run one after another, in the order the state changed.
  const { enqueue, drained } = createEffectQueue();

  function readModel(): OrderReadModel {
    return {
      id: orderId,
      status: state.status,
      buyerId,
      supplierId,
      currency,
      totalAmount: state.amounts.total,
      depositAmount: state.amounts.deposit,
      paidAmount: state.amounts.paid,
      heldAmount: state.amounts.held,
      releasedAmount: state.amounts.released,
      shippingDate: state.shippingDate ?? terms.shippingDate,
      policyVersion: state.policyVersion,
      revision: state.revision,
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
      paidAt: state.paidAt,
      deliveredAt: state.deliveredAt,
      shipment: state.shipment && { carrier: state.shipment.carrier, trackingNumber: state.shipment.trackingNumber, shippedAt: state.shipment.shippedAt },
      ...(rulesV2
        ? {
            coveredAmount: state.amounts.covered ?? 0,
            refundedAmount: state.amounts.refunded ?? 0,
            nextDeadlineAt: deadlines()[0]?.dueAt,
            completedAt: state.completedAt,
            deadlines: [...deadlines()],
          }
        : {}),
    };
  }

  interface Change {
    type: string;
    actor: Actor;
    summary: string;
    data?: Record<string, unknown>;
    notify: Party[];
    subject: string;
    text: string;
    /** Side effects that must happen before the change is recorded (ledger, coverage). */
    before?: () => Promise<unknown>;
    ops?: { audience: 'ops' | 'ops-leads'; subject: string; text: string };
  }

  /** Moves the order to a new revision now, and records it (read model, timeline, emails) in order. */
  function change(status: OrderStatus, c: Change): Promise<void> {
    state.status = status;
    state.nextStep = NEXT_STEPS[status];
    state.revision += 1;
    state.updatedAt = iso(nowMs());
    wake += 1;
    const order = readModel();
    const event = {
      seq: state.revision,
      type: c.type,
      actorRole: c.actor.role,
      actorId: c.actor.partyId,
      summary: c.summary,
      data: { status, ...c.data },
      occurredAt: state.updatedAt,
    };
    const key = `${workflowId}:${event.seq}`;
    if (rulesV2) {
      upsertSearchAttributes([
        { key: SA_STATUS, value: status },
        { key: SA_BUYER, value: buyerId },
        { key: SA_SUPPLIER, value: supplierId },
        { key: SA_NEXT_DEADLINE, value: deadlines()[0] ? new Date(deadlines()[0].dueAt) : null },
      ]);
    }
    const parties = c.notify.length > 0 ? { key, partyIds: partyIds(c.notify), subject: `[TradeGuard ${orderId}] ${c.subject}`, text: c.text } : undefined;
    const ops = c.ops ? { key, audience: c.ops.audience, subject: `[TradeGuard ${orderId}] ${c.ops.subject}`, text: c.ops.text } : undefined;
    return enqueue(async () => {
      if (c.before) await c.before();
      if (noticesWithChange) {
        await acts.recordOrderChange({ order, event, notices: { parties, ops } });
        return;
      }
      await acts.recordOrderChange({ order, event });
      if (parties) await acts.notifyParties(parties);
      if (ops) await acts.notifyOps(ops);
    });
  }

  const system: Actor = { role: 'system' };
  const requireV2 = (action: string) => {
    if (!rulesV2) refuse(`cannot ${action}: this order runs an earlier workflow version without that action`);
  };

  // ---- money movements --------------------------------------------------------------------------
  const movement = (step: string, partyId: string, amount: number) => ({ id: `${workflowId}:${step}`, orderId, partyId, amount, currency });

  /** Refunds every held amount to the buyer (cancellation). */
  function refundAllHeld(step: string): (() => Promise<unknown>) | undefined {
    const amount = state.amounts.held;
    if (amount <= 0) return undefined;
    state.amounts.held = 0;
    state.amounts.refunded = (state.amounts.refunded ?? 0) + amount;
    return () => acts.refundEscrowToBuyer(movement(step, buyerId, amount));
  }

  const releaseCoverage = () => acts.releaseCoverage({ orderId });

  function cancel(actor: Actor, reason: string, type: string): Promise<void> {
    const refund = refundAllHeld('cancel:refund');
    const refunded = state.amounts.refunded ?? 0;
    state.closedReason = reason;
    clearDeadlines(() => true);
    return change('CANCELLED', {
      type,
      actor,
      summary: `Order cancelled: ${reason}${refund ? `; ${money(refunded)} refunded to the buyer` : ''}`,
      data: { reason, refunded },
      notify: ['buyer', 'supplier'],
      subject: 'order cancelled',
      text: `Order ${orderId} is cancelled: ${reason}.${refund ? ` ${money(refunded)} held in escrow is refunded to the buyer.` : ''}`,
      before: async () => {
        if (refund) await refund();
        await releaseCoverage();
      },
    });
  }

  // ---- shipping deadlines -----------------------------------------------------------------------
  function scheduleShippingDeadlines(): void {
    clearKinds('shipping-reminder', 'shipping-date', 'balance-due');
    const shipBy = shipByInstant(state.shippingDate ?? terms.shippingDate);
    const now = nowMs();
    for (const days of policy.shippingReminderDays) {
      const at = shipBy - days * DAY_MS;
      if (at > now) {
        setDeadline({
          id: `shipping-reminder-${days}d`,
          kind: 'shipping-reminder',
          dueAt: at,
          rule: `reminder ${days} day(s) before the agreed shipping date ${state.shippingDate}`,
          onExpiry: 'the supplier is reminded to ship',
        });
      }
    }
    setDeadline({
      id: 'shipping-date',
      kind: 'shipping-date',
      dueAt: shipBy,
      rule: `agreed shipping date ${state.shippingDate}`,
      onExpiry: 'the order is late: the buyer may grant an extension or open a late-shipment claim',
    });
    if (state.status === 'DEPOSIT_PAID') {
      setDeadline({
        id: 'balance-due',
        kind: 'balance-due',
        dueAt: shipBy,
        rule: `the balance is due before shipment, by the end of the shipping date ${state.shippingDate}`,
        onExpiry: 'the order is cancelled and the deposit refunded to the buyer',
      });
    }
  }

  function receiptWindowEnd(): number {
    const ext = state.receivingExtensions ?? {};
    const deliveredAt = Date.parse(state.deliveredAt ?? createdAt);
    return deliveredAt + (policy.receivingWindowDays + (ext.buyer ?? 0) + (ext.supplier ?? 0)) * DAY_MS;
  }

  function scheduleReceivingWindow(): void {
    const end = receiptWindowEnd();
    state.receivingWindowEndsAt = iso(end);
    setDeadline({
      id: 'receiving-window',
      kind: 'receiving-window',
      dueAt: end,
      rule: `receiving window: ${policy.receivingWindowDays} days after delivery, plus extensions`,
      onExpiry: 'receipt is confirmed automatically and held funds are released to the supplier (after any open claim is closed)',
    });
  }

  /** Receipt (by the buyer, ops or the end of the window): release held funds, complete. */
  async function completeReceipt(actor: Actor, automatic: boolean): Promise<void> {
    const now = nowMs();
    state.receiptConfirmedAt = iso(now);
    clearKinds('receiving-window');
    const receipt = change('RECEIPT_CONFIRMED', {
      type: automatic ? 'RECEIPT_AUTO_CONFIRMED' : 'RECEIPT_CONFIRMED',
      actor,
      summary: automatic ? 'Receiving window ended without a claim: receipt confirmed automatically' : 'Buyer confirmed receipt',
      notify: automatic ? ['buyer', 'supplier'] : ['supplier'],
      subject: automatic ? 'receipt confirmed automatically' : 'buyer confirmed receipt',
      text: `Receipt of order ${orderId} is confirmed${automatic ? ' automatically at the end of the receiving window' : ' by the buyer'}. Held funds of ${money(state.amounts.held)} are being released to the supplier.`,
    });
    if (!rulesV2) return receipt;
    await receipt;
    await releaseHeldAndComplete();
  }

  function releaseHeldAndComplete(): Promise<void> {
    const released = state.amounts.held;
    state.amounts.held = 0;
    state.amounts.released += released;
    state.completedAt = iso(nowMs());
    if (rulesV2) {
      const receiptAt = Date.parse(state.receiptConfirmedAt ?? state.completedAt);
      setDeadline({
        id: 'post-receipt-claims',
        kind: 'post-receipt-claims',
        dueAt: receiptAt + policy.postReceiptClaimDays * DAY_MS,
        rule: `claims may be opened up to ${policy.postReceiptClaimDays} days after receipt is confirmed`,
        onExpiry: 'claims can no longer be opened on this order',
      });
      setFeedbackWindow();
    }
    return change('COMPLETED', {
      type: 'FUNDS_RELEASED',
      actor: system,
      summary: `Funds of ${money(released)} released to the supplier; order completed`,
      data: { amount: released, currency },
      notify: ['buyer', 'supplier'],
      subject: 'order completed: funds released to the supplier',
      text: `Order ${orderId} is complete. ${money(released)} was released from escrow to the supplier.`,
      before: async () => {
        if (!rulesV2 || released > 0) {
          await acts.releaseEscrowToSupplier({ id: `${workflowId}:release`, orderId, partyId: supplierId, amount: released, currency });
        }
        if (rulesV2) await releaseCoverage();
      },
    });
  }

  function setFeedbackWindow(): void {
    setDeadline({
      id: 'feedback-window',
      kind: 'feedback-window',
      dueAt: nowMs() + policy.feedbackWindowDays * DAY_MS,
      rule: `feedback may be left ${policy.feedbackWindowDays} days after the order closes`,
      onExpiry: 'feedback closes and the order is archived',
    });
  }

  /** n working days after `from` in the ops calendar. */
  const opsWorkingDaysLater = (from: number, n: number) => workingDaysLater(getCalendar(policy.opsCalendar), from, n);

  // ---- claims -----------------------------------------------------------------------------------
  function findClaim(claimId: string): Claim {
    const claim = claims().find((c) => c.id === claimId);
    if (!claim) refuse(`no claim ${claimId} on order ${orderId}`);
    return claim;
  }

  /** The most a claim may ask now: min(covered amount, amount paid less refunds). */
  function refundLimit(): { limit: number; binding: string } {
    const covered = state.amounts.covered ?? 0;
    const paid = state.amounts.paid - (state.amounts.refunded ?? 0);
    return covered <= paid
      ? { limit: covered, binding: `the covered amount ${money(covered)}` }
      : { limit: paid, binding: `the amount paid ${money(paid)}` };
  }

  function escalate(claim: Claim, by: 'buyer' | 'system', actor: Actor): Promise<void> {
    const now = nowMs();
    claim.status = 'ESCALATED';
    claim.escalatedAt = iso(now);
    claim.escalatedBy = by;
    clearClaimDeadlines(claim.id);
    const calendar = getCalendar(policy.opsCalendar);
    const dueAt = opsWorkingDaysLater(now, policy.opsDecisionWorkingDays);
    setDeadline({
      id: `claim-${claim.id}-decision-reminder`,
      kind: 'claim-decision-reminder',
      claimId: claim.id,
      dueAt: opsWorkingDaysLater(now, policy.opsDecisionReminderWorkingDays),
      rule: `ops is reminded ${policy.opsDecisionReminderWorkingDays} working day(s) after escalation (${calendar.id} calendar)`,
      onExpiry: 'ops is reminded to decide the claim',
    });
    setDeadline({
      id: `claim-${claim.id}-decision-due`,
      kind: 'claim-decision-due',
      claimId: claim.id,
      dueAt,
      rule: `ops decides within ${policy.opsDecisionWorkingDays} working days of escalation (${calendar.id} calendar)`,
      onExpiry: 'the decision is overdue: ops leads are paged',
    });
    return change(state.status, {
      type: 'CLAIM_ESCALATED',
      actor,
      summary: `Claim ${claim.id} escalated to the platform${by === 'system' ? ` automatically on day ${policy.autoEscalationDay}` : ' by the buyer'}`,
      data: { claimId: claim.id, decisionDueAt: iso(dueAt) },
      notify: ['buyer', 'supplier'],
      subject: `claim ${claim.id} escalated to the platform`,
      text: `Claim ${claim.id} on order ${orderId} was escalated; the platform decides by ${iso(dueAt)}.`,
      ops: {
        audience: 'ops',
        subject: `claim ${claim.id} escalated: decide by ${iso(dueAt)}`,
        text: `Claim ${claim.id} (${claim.cause}, refund asked ${money(claim.refundAsked)}) on order ${orderId} needs a decision by ${iso(dueAt)}.`,
      },
    });
  }

  /** Closes a claim with a refund (maybe zero). A refund while funds are held settles the order. */
  async function decide(claim: Claim, refund: number, by: 'supplier' | 'buyer' | 'ops' | 'system', reason: string, actor: Actor): Promise<void> {
    claim.status = 'CLOSED';
    claim.decision = { refund, reason, by, at: iso(nowMs()) };
    claim.outcome = refund > 0 ? 'REFUNDED' : 'NO_REFUND';
    clearClaimDeadlines(claim.id);
    if (refund === 0) {
      await change(state.status, {
        type: 'CLAIM_DECIDED',
        actor,
        summary: `Claim ${claim.id} closed without a refund: ${reason}`,
        data: { claimId: claim.id, refund: 0 },
        notify: ['buyer', 'supplier'],
        subject: `claim ${claim.id} closed without a refund`,
        text: `Claim ${claim.id} on order ${orderId} was closed without a refund: ${reason}.`,
      });
      return afterClaimClosed();
    }
    state.amounts.refunded = (state.amounts.refunded ?? 0) + refund;
    const refundStep = `claim:${claim.id}:refund`;
    if (state.amounts.held > 0) {
      // Funds are held: the refund comes out of escrow and the rest goes to the supplier.
      const fromEscrow = Math.min(refund, state.amounts.held);
      const rest = state.amounts.held - fromEscrow;
      state.amounts.held = 0;
      state.amounts.released += rest;
      state.closedReason = `settled by claim ${claim.id}`;
      clearDeadlines((d) => d.claimId === undefined || openClaims().every((c) => c.id !== d.claimId));
      setFeedbackWindow();
      await change('SETTLED', {
        type: 'CLAIM_REFUNDED',
        actor,
        summary: `Claim ${claim.id} decided: ${money(fromEscrow)} refunded to the buyer, ${money(rest)} released to the supplier`,
        data: { claimId: claim.id, refund: fromEscrow, released: rest, reason },
        notify: ['buyer', 'supplier'],
        subject: `claim ${claim.id} decided: refund of ${money(fromEscrow)}`,
        text: `Claim ${claim.id} on order ${orderId}: ${money(fromEscrow)} is refunded to the buyer (${reason}); ${money(rest)} is released to the supplier.`,
        before: async () => {
          await acts.refundEscrowToBuyer(movement(refundStep, buyerId, fromEscrow));
          if (rest > 0) await acts.releaseEscrowToSupplier(movement(`claim:${claim.id}:release`, supplierId, rest));
          await releaseCoverage();
        },
      });
    } else {
      // Funds were already released: the refund is recovered from the supplier's payable.
      await change(state.status, {
        type: 'CLAIM_REFUNDED',
        actor,
        summary: `Claim ${claim.id} decided: ${money(refund)} refunded to the buyer from the supplier's payable`,
        data: { claimId: claim.id, refund, reason },
        notify: ['buyer', 'supplier'],
        subject: `claim ${claim.id} decided: refund of ${money(refund)}`,
        text: `Claim ${claim.id} on order ${orderId}: ${money(refund)} is refunded to the buyer (${reason}).`,
        before: () => acts.refundFromSupplierPayable({ ...movement(refundStep, buyerId, refund), supplierId }),
      });
    }
    return afterClaimClosed();
  }

  /** Windows that waited for the claims to close act now. */
  const deferred: DeadlineKind[] = [];
  async function afterClaimClosed(): Promise<void> {
    if (openClaims().length > 0) return;
    while (deferred.length > 0) {
      const kind = deferred.shift() as DeadlineKind;
      if (kind === 'receiving-window' && state.status === 'DELIVERED') await completeReceipt(system, true);
      if (kind === 'balance-due' && state.status === 'DEPOSIT_PAID') {
        await cancel(system, `the balance was not paid by the end of the shipping date ${state.shippingDate}`, 'CANCELLED_UNPAID');
      }
    }
  }

  // ---- firing deadlines -------------------------------------------------------------------------
  async function fire(d: Deadline): Promise<void> {
    const claim = d.claimId ? claims().find((c) => c.id === d.claimId) : undefined;
    switch (d.kind) {
      case 'draft-expiry':
        if (state.status === 'DRAFT' || state.status === 'BUYER_CONFIRMED') {
          state.closedReason = 'draft not confirmed in time';
          clearDeadlines(() => true);
          await change('EXPIRED', {
            type: 'DRAFT_EXPIRED',
            actor: system,
            summary: `Draft expired: not confirmed by both parties within ${policy.draftExpiryDays} days`,
            notify: ['buyer', 'supplier'],
            subject: 'purchase order expired unconfirmed',
            text: `Purchase order ${orderId} expired: it was not confirmed by both parties within ${policy.draftExpiryDays} days.`,
          });
        }
        return;
      case 'deposit-due':
        if (state.status === 'CONFIRMED') {
          await cancel(system, `the deposit was not paid within ${policy.depositDueDays} days of confirmation`, 'CANCELLED_UNPAID');
        }
        return;
      case 'balance-due':
        if (state.status !== 'DEPOSIT_PAID') return;
        if (openClaims().length > 0) {
          deferred.push('balance-due');
          return;
        }
        await cancel(system, `the balance was not paid by the end of the shipping date ${state.shippingDate}`, 'CANCELLED_UNPAID');
        return;
      case 'shipping-reminder':
        await change(state.status, {
          type: 'SHIPPING_REMINDER',
          actor: system,
          summary: `Supplier reminded: ship by ${state.shippingDate}`,
          notify: ['supplier'],
          subject: `reminder: ship by ${state.shippingDate}`,
          text: `Order ${orderId} must ship by ${state.shippingDate}.${state.status === 'DEPOSIT_PAID' ? ' The buyer has not paid the balance yet.' : ''}`,
        });
        return;
      case 'shipping-date':
        if (!PRE_SHIPMENT.includes(state.status)) return;
        state.late = true;
        await change(state.status, {
          type: 'SHIPMENT_LATE',
          actor: system,
          summary: `Shipping date ${state.shippingDate} passed without shipment: the order is late`,
          notify: ['buyer', 'supplier'],
          subject: 'shipment is late',
          text: `Order ${orderId} did not ship by ${state.shippingDate}. The buyer may grant an extension or open a late-shipment claim.`,
        });
        return;
      case 'carrier-check': {
        const shipment = state.shipment;
        if (!shipment) return;
        const tracking = await acts.trackShipment({ carrier: shipment.carrier, trackingNumber: shipment.trackingNumber });
        shipment.carrierFirstScanAt = tracking.firstScanAt;
        shipment.effectiveShippedAt = tracking.firstScanAt ?? shipment.shippedAt;
        shipment.onTime = Date.parse(shipment.effectiveShippedAt) < shipByInstant(state.shippingDate ?? terms.shippingDate);
        if (!shipment.onTime) state.late = true;
        await change(state.status, {
          type: 'SHIPMENT_VERIFIED',
          actor: system,
          summary: tracking.firstScanAt
            ? `Carrier's first scan at ${tracking.firstScanAt}: shipped ${shipment.onTime ? 'on time' : 'late'}`
            : `No carrier data ${policy.carrierNoDataHours} h after shipping: the proof's upload time counts (${shipment.onTime ? 'on time' : 'late'})`,
          data: { effectiveShippedAt: shipment.effectiveShippedAt, onTime: shipment.onTime },
          notify: shipment.onTime ? [] : ['buyer'],
          subject: 'shipment was late',
          text: `Order ${orderId} shipped after the agreed date ${state.shippingDate}; you may open a late-shipment claim.`,
        });
        return;
      }
      case 'receiving-window':
        if (state.status !== 'DELIVERED') return;
        if (openClaims().length > 0) {
          deferred.push('receiving-window');
          return;
        }
        await completeReceipt(system, true);
        return;
      case 'claim-auto-escalation':
        if (claim && (claim.status === 'OPEN' || claim.status === 'RESPONDED')) await escalate(claim, 'system', system);
        return;
      case 'claim-supplier-response':
        if (claim && claim.status === 'OPEN') {
          await change(state.status, {
            type: 'CLAIM_SUPPLIER_SILENT',
            actor: system,
            summary: `Supplier did not answer claim ${claim.id} within ${policy.supplierResponseDays} days`,
            data: { claimId: claim.id },
            notify: ['buyer', 'supplier'],
            subject: `claim ${claim.id}: the supplier has not answered`,
            text: `The supplier did not answer claim ${claim.id} within ${policy.supplierResponseDays} days. The buyer may escalate it from day ${policy.buyerEscalationFromDay}; it escalates by itself on day ${policy.autoEscalationDay}.`,
          });
        }
        return;
      case 'claim-decision-reminder':
        if (claim && claim.status === 'ESCALATED') {
          await change(state.status, {
            type: 'CLAIM_DECISION_REMINDER',
            actor: system,
            summary: `Ops reminded to decide claim ${claim.id}`,
            data: { claimId: claim.id },
            notify: [],
            subject: '',
            text: '',
            ops: { audience: 'ops', subject: `reminder: decide claim ${claim.id}`, text: `Claim ${claim.id} on order ${orderId} awaits a decision.` },
          });
        }
        return;
      case 'claim-decision-due':
        if (claim && claim.status === 'ESCALATED') {
          await change(state.status, {
            type: 'CLAIM_DECISION_OVERDUE',
            actor: system,
            summary: `Decision on claim ${claim.id} is overdue: ops leads paged`,
            data: { claimId: claim.id },
            notify: [],
            subject: '',
            text: '',
            ops: {
              audience: 'ops-leads',
              subject: `OVERDUE: claim ${claim.id} decision`,
              text: `The decision on claim ${claim.id} (order ${orderId}) was due ${d.dueAt} and is overdue.`,
            },
          });
        }
        return;
      case 'evidence-due': {
        const request = claim?.evidenceRequests.find((r) => `evidence-${r.id}` === d.id);
        if (!claim || !request || request.status !== 'OPEN' || claim.status === 'CLOSED') return;
        request.status = 'MISSED';
        if (request.party === 'buyer') {
          claim.status = 'CLOSED';
          claim.outcome = 'CANCELLED';
          clearClaimDeadlines(claim.id);
          await change(state.status, {
            type: 'CLAIM_CANCELLED',
            actor: system,
            summary: `Claim ${claim.id} cancelled: the buyer did not provide the requested evidence by ${request.dueAt}`,
            data: { claimId: claim.id, requestId: request.id },
            notify: ['buyer', 'supplier'],
            subject: `claim ${claim.id} cancelled: evidence missing`,
            text: `Claim ${claim.id} on order ${orderId} is cancelled: the evidence requested from the buyer was due ${request.dueAt}.`,
          });
          await afterClaimClosed();
        } else {
          await decide(
            claim,
            claim.refundAsked,
            'system',
            `the supplier did not provide the requested evidence by ${request.dueAt}; its answer is cancelled`,
            system,
          );
        }
        return;
      }
      case 'post-receipt-claims':
      case 'feedback-window':
        wake += 1;
        return;
    }
  }

  // ---- handlers ---------------------------------------------------------------------------------
  // The draft is revision 1 before any handler exists: an update delivered with the start is
  // dispatched as soon as its handler is registered, and must find the draft in place.
  if (rulesV2) {
    setDeadline({
      id: 'draft-expiry',
      kind: 'draft-expiry',
      dueAt: nowMs() + policy.draftExpiryDays * DAY_MS,
      rule: `a draft not confirmed by both parties within ${policy.draftExpiryDays} days expires`,
      onExpiry: 'the purchase order expires',
    });
  }
  const drafted = change('DRAFT', {
    type: 'DRAFTED',
    actor: input.createdBy,
    summary: `Purchase order drafted: ${terms.items.length} item(s), ${money(total)}, deposit ${money(terms.depositAmount)}`,
    data: { total, deposit: terms.depositAmount, currency, shippingDate: terms.shippingDate },
    notify: ['buyer'],
    subject: 'new purchase order to confirm',
    text: `Supplier ${supplierId} drafted purchase order ${orderId} for ${money(total)} (deposit ${money(terms.depositAmount)}, shipping by ${terms.shippingDate}). Please review and confirm it.`,
  });

  setHandler(getOrderQuery, () => state);

  setHandler(
    confirmByBuyerUpdate,
    async ({ actor }: ActionInput) => {
      await change('BUYER_CONFIRMED', {
        type: 'BUYER_CONFIRMED',
        actor,
        summary: 'Buyer confirmed the purchase order',
        notify: ['supplier'],
        subject: 'buyer confirmed the purchase order',
        text: `The buyer confirmed purchase order ${orderId} (${money(total)}). Please confirm it to accept all terms.`,
      });
      return state;
    },
    {
      validator: ({ actor }: ActionInput) => {
        requireActor(actor, ['buyer'], input, 'confirm the purchase order as buyer');
        requireStatus(state.status, ['DRAFT'], 'confirm as buyer', "only a draft awaits the buyer's confirmation");
      },
    },
  );

  setHandler(
    confirmBySupplierUpdate,
    async ({ actor }: ActionInput) => {
      if (!rulesV2) {
        await change('CONFIRMED', {
          type: 'SUPPLIER_CONFIRMED',
          actor,
          summary: 'Supplier confirmed the purchase order, accepting all terms',
          notify: ['buyer'],
          subject: 'purchase order confirmed: deposit due',
          text: `The supplier confirmed purchase order ${orderId}. Please pay the initial payment of ${money(state.amounts.deposit)}; it is held in escrow until you confirm receipt.`,
        });
        return state;
      }
      // Claim the status now so a second confirmation is refused while coverage is reserved.
      state.status = 'CONFIRMED';
      const reservation = await acts.reserveCoverage({ orderId, supplierId, currency, requested: total });
      const now = nowMs();
      state.amounts.covered = reservation.covered;
      state.confirmedAt = iso(now);
      clearKinds('draft-expiry');
      setDeadline({
        id: 'deposit-due',
        kind: 'deposit-due',
        dueAt: now + policy.depositDueDays * DAY_MS,
        rule: `the deposit is due within ${policy.depositDueDays} days of confirmation`,
        onExpiry: 'the unpaid order is cancelled and its coverage released',
      });
      scheduleShippingDeadlines();
      const short = terms.depositAmount > reservation.covered;
      await change('CONFIRMED', {
        type: 'SUPPLIER_CONFIRMED',
        actor,
        summary: `Supplier confirmed the purchase order, accepting all terms; Trade Assurance covers ${money(reservation.covered)}`,
        data: { covered: reservation.covered, granted: reservation.granted },
        notify: ['buyer', 'supplier'],
        subject: 'purchase order confirmed: deposit due',
        text:
          `Purchase order ${orderId} is confirmed. The deposit of ${money(state.amounts.deposit)} is due within ${policy.depositDueDays} days; it is held in escrow until receipt is confirmed. ` +
          `Trade Assurance covers ${money(reservation.covered)} of this order.` +
          (short ? ` Note: the deposit exceeds the covered amount by ${money(terms.depositAmount - reservation.covered)}; only ${money(reservation.covered)} is protected.` : ''),
      });
      return state;
    },
    {
      validator: ({ actor }: ActionInput) => {
        requireActor(actor, ['supplier'], input, 'confirm the purchase order as supplier');
        if (state.status === 'DRAFT') refuse('cannot confirm as supplier: the buyer has not confirmed the purchase order yet');
        requireStatus(state.status, ['BUYER_CONFIRMED'], 'confirm as supplier', 'the purchase order is already confirmed');
      },
    },
  );

  setHandler(
    payUpdate,
    async ({ actor, kind, amount, reference }: PaymentInput) => {
      const now = nowMs();
      state.amounts.paid += amount;
      state.amounts.held += amount;
      const fullyPaid = state.amounts.paid === state.amounts.total;
      const status: OrderStatus = fullyPaid ? 'PAID' : 'DEPOSIT_PAID';
      if (rulesV2) {
        state.paidAt ??= iso(now);
        clearKinds('deposit-due', 'balance-due');
        state.status = status;
        if (!fullyPaid) scheduleShippingDeadlines();
      }
      await change(status, {
        type: kind === 'deposit' ? 'DEPOSIT_PAID' : 'BALANCE_PAID',
        actor,
        summary: `${kind === 'deposit' ? 'Deposit' : 'Balance'} of ${money(amount)} paid and held in escrow`,
        data: { kind, amount, currency, reference },
        notify: ['buyer', 'supplier'],
        subject: `${kind} of ${money(amount)} received and held in escrow`,
        text: fullyPaid
          ? `Payment of ${money(amount)} for order ${orderId} is held in escrow. The order is fully paid; the supplier may ship by ${state.shippingDate ?? terms.shippingDate}.`
          : `The deposit of ${money(amount)} for order ${orderId} is held in escrow. The balance of ${money(state.amounts.balance)} is due before shipment.`,
        before: () => acts.holdPaymentInEscrow(movement(`payment:${kind}`, buyerId, amount)),
      });
      return state;
    },
    {
      validator: ({ actor, kind, amount }: PaymentInput) => {
        requireActor(actor, ['buyer'], input, 'pay for the order');
        if (kind === 'deposit') {
          if (state.status === 'DRAFT' || state.status === 'BUYER_CONFIRMED') {
            refuse('cannot pay the deposit: the purchase order is not confirmed by both parties yet');
          }
          requireStatus(state.status, ['CONFIRMED'], 'pay the deposit', 'the deposit is already paid');
          if (amount !== state.amounts.deposit) {
            refuse(`deposit must be ${money(state.amounts.deposit)} as agreed on the purchase order, not ${money(amount)}`);
          }
        } else {
          if (state.amounts.balance === 0) refuse('cannot pay a balance: this order has no balance; its deposit is the full amount');
          if (state.status === 'CONFIRMED') refuse('cannot pay the balance: the deposit is due first');
          requireStatus(state.status, ['DEPOSIT_PAID'], 'pay the balance', 'the balance is not due now');
          if (amount !== state.amounts.balance) refuse(`balance must be ${money(state.amounts.balance)}, not ${money(amount)}`);
        }
      },
    },
  );

  setHandler(
    shipUpdate,
    async ({ actor, carrier, trackingNumber }: ShipInput) => {
      const now = nowMs();
      state.shipment = { carrier, trackingNumber, shippedAt: iso(now) };
      if (rulesV2) {
        clearKinds('shipping-reminder', 'shipping-date', 'balance-due');
        setDeadline({
          id: 'carrier-check',
          kind: 'carrier-check',
          dueAt: now + policy.carrierNoDataHours * HOUR_MS,
          rule: `the carrier's data is checked ${policy.carrierNoDataHours} h after the shipping proof`,
          onExpiry: "the carrier's first scan counts as the shipping time; without carrier data, the proof's upload time counts",
        });
      }
      await change('SHIPPED', {
        type: 'SHIPPED',
        actor,
        summary: `Shipped with ${carrier}, tracking number ${trackingNumber}`,
        data: { carrier, trackingNumber },
        notify: ['buyer'],
        subject: 'your order has shipped',
        text: `Order ${orderId} shipped with ${carrier}; tracking number ${trackingNumber}.`,
      });
      return state;
    },
    {
      validator: ({ actor }: ShipInput) => {
        requireActor(actor, ['supplier'], input, 'ship the order');
        if (['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED'].includes(state.status)) {
          refuse('cannot ship: the order is unpaid; the buyer pays the deposit and balance before shipment');
        }
        if (state.status === 'DEPOSIT_PAID') refuse(`cannot ship: the balance of ${money(state.amounts.balance)} is due before shipment`);
        requireStatus(state.status, ['PAID'], 'ship', 'the order has already shipped');
      },
    },
  );

  setHandler(
    markDeliveredUpdate,
    async ({ actor }: ActionInput) => {
      state.deliveredAt = iso(nowMs());
      if (rulesV2) {
        state.status = 'DELIVERED';
        scheduleReceivingWindow();
      }
      await change('DELIVERED', {
        type: 'DELIVERED',
        actor,
        summary: 'Goods delivered to the buyer',
        notify: ['buyer', 'supplier'],
        subject: 'delivered: please confirm receipt',
        text: rulesV2
          ? `Order ${orderId} was delivered. Buyer: please inspect the goods and confirm receipt by ${state.receivingWindowEndsAt}, or open a claim; after that receipt is confirmed automatically and the supplier is paid from escrow.`
          : `Order ${orderId} was delivered. Buyer: please inspect the goods and confirm receipt; the supplier is paid from escrow after that.`,
      });
      return state;
    },
    {
      validator: ({ actor }: ActionInput) => {
        requireActor(actor, [], input, 'record a delivery');
        requireStatus(state.status, ['SHIPPED'], 'mark as delivered', 'only a shipped order can be delivered');
      },
    },
  );

  setHandler(
    confirmReceiptUpdate,
    async ({ actor }: ActionInput) => {
      await completeReceipt(actor, false);
      return state;
    },
    {
      validator: ({ actor }: ActionInput) => {
        requireActor(actor, ['buyer'], input, 'confirm receipt');
        requireStatus(state.status, ['DELIVERED'], 'confirm receipt', 'the order is not delivered yet');
        if (openClaims().length > 0) {
          refuse(`cannot confirm receipt while claim ${openClaims()[0].id} is open: funds stay held until it is closed`);
        }
      },
    },
  );

  setHandler(
    cancelOrderUpdate,
    async ({ actor, reason }: CancelInput) => {
      const paid = state.amounts.paid > 0;
      const type = !paid ? 'CANCELLED' : actor.role === 'ops' && !withinChangeWindow() ? 'CANCELLED_BY_RECALL' : 'CANCELLED_IN_WINDOW';
      await cancel(actor, `${reason} (by the ${actor.role})`, type);
      return state;
    },
    {
      validator: ({ actor }: CancelInput) => {
        requireV2('cancel');
        requireActor(actor, ['buyer', 'supplier'], input, 'cancel the order');
        if (TERMINAL_STATUSES.includes(state.status)) refuse(`cannot cancel: the order is already ${state.status.toLowerCase()}`);
        if (!['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED', 'DEPOSIT_PAID', 'PAID'].includes(state.status)) {
          refuse('cannot cancel: the order has shipped; open a claim instead');
        }
        if (openClaims().length > 0) refuse(`cannot cancel while claim ${openClaims()[0].id} is open`);
        if (state.amounts.paid === 0 || actor.role === 'ops') return;
        if (actor.role === 'supplier') refuse('cannot cancel a paid order as supplier: ask ops to cancel and refund it');
        if (!withinChangeWindow()) {
          const closes = changeCancelWindowClosesAt(afterServicePolicy(policy.version), Date.parse(state.paidAt ?? createdAt));
          refuse(
            `cannot cancel: the change/cancel window closed at ${iso(closes)} (${afterServicePolicy(policy.version).changeCancelWindowHours} h after payment); ask ops to attempt a recall`,
          );
        }
      },
    },
  );

  function withinChangeWindow(): boolean {
    if (!state.paidAt) return true;
    return nowMs() < changeCancelWindowClosesAt(afterServicePolicy(policy.version), Date.parse(state.paidAt));
  }

  /** Tells linked monitoring tasks the order's shipping date; a closed task no longer listens. */
  function tellMonitoring(monitoringIds: string[], shipmentDate: string): void {
    for (const monitoringId of monitoringIds) {
      void enqueue(() =>
        getExternalWorkflowHandle(monitoringWorkflowId(monitoringId))
          .signal(orderShipmentDateSignal, { orderId, shipmentDate })
          .catch(() => undefined),
      );
    }
  }

  // A monitoring task links itself when it starts; if the date it was booked against is already
  // stale (an extension raced the booking), it is told the current one straight away.
  setHandler(linkMonitoringSignal, ({ monitoringId, shipmentDate }) => {
    const linked = state.monitoringIds ?? [];
    if (!linked.includes(monitoringId)) state.monitoringIds = [...linked, monitoringId];
    const current = state.shippingDate ?? terms.shippingDate;
    if (current !== shipmentDate) tellMonitoring([monitoringId], current);
  });

  setHandler(
    extendShippingUpdate,
    async ({ actor, shippingDate }: ExtendShippingInput) => {
      const previous = state.shippingDate;
      state.shippingDate = shippingDate;
      if (shipByInstant(shippingDate) > nowMs()) state.late = false;
      scheduleShippingDeadlines();
      tellMonitoring(state.monitoringIds ?? [], shippingDate);
      await change(state.status, {
        type: 'SHIPPING_EXTENDED',
        actor,
        summary: `Shipping date extended from ${previous} to ${shippingDate}`,
        data: { from: previous, to: shippingDate },
        notify: ['buyer', 'supplier'],
        subject: `shipping date extended to ${shippingDate}`,
        text: `The shipping date of order ${orderId} is now ${shippingDate} (was ${previous}).`,
      });
      return state;
    },
    {
      validator: ({ actor, shippingDate }: ExtendShippingInput) => {
        requireV2('extend the shipping date');
        requireActor(actor, ['buyer'], input, 'grant a shipping extension');
        requireStatus(state.status, PRE_SHIPMENT, 'extend the shipping date', 'only a confirmed, unshipped order has a shipping date to extend');
        const current = state.shippingDate ?? terms.shippingDate;
        if (shippingDate <= current) refuse(`cannot extend: ${shippingDate} is not later than the current shipping date ${current}`);
        const confirmedAt = Date.parse(state.confirmedAt ?? createdAt);
        const periodDays = Math.ceil((shipByInstant(shippingDate) - confirmedAt) / DAY_MS);
        if (periodDays > policy.maxShippingPeriodDays) {
          refuse(
            `cannot extend to ${shippingDate}: the shipping period would be ${periodDays} days from confirmation; the original period plus extensions may be at most ${policy.maxShippingPeriodDays} days`,
          );
        }
      },
    },
  );

  setHandler(
    extendReceivingUpdate,
    async ({ actor, days }: ExtendReceivingInput) => {
      const party = actor.role === 'supplier' ? 'supplier' : 'buyer';
      state.receivingExtensions = { ...state.receivingExtensions, [party]: days };
      scheduleReceivingWindow();
      await change(state.status, {
        type: 'RECEIVING_EXTENDED',
        actor,
        summary: `Receiving window extended by ${days} day(s) by the ${party}; it ends ${state.receivingWindowEndsAt}`,
        data: { days, endsAt: state.receivingWindowEndsAt },
        notify: ['buyer', 'supplier'],
        subject: `receiving window extended to ${state.receivingWindowEndsAt}`,
        text: `The receiving window of order ${orderId} now ends ${state.receivingWindowEndsAt}.`,
      });
      return state;
    },
    {
      validator: ({ actor, days }: ExtendReceivingInput) => {
        requireV2('extend the receiving window');
        requireActor(actor, ['buyer', 'supplier'], input, 'extend the receiving window');
        if (actor.role === 'ops') refuse('cannot extend as ops: each party extends the receiving window for itself');
        requireStatus(state.status, ['DELIVERED'], 'extend the receiving window', 'the receiving window is open only after delivery');
        const party = actor.role === 'supplier' ? 'supplier' : 'buyer';
        const ext = state.receivingExtensions ?? {};
        if (ext[party] !== undefined) refuse(`cannot extend: the ${party} already extended the receiving window once (by ${ext[party]} days)`);
        if (!Number.isInteger(days) || days < 1 || days > policy.receivingExtensionMaxDays) {
          refuse(`cannot extend by ${days} days: an extension is 1 to ${policy.receivingExtensionMaxDays} days`);
        }
        const used = (ext.buyer ?? 0) + (ext.supplier ?? 0);
        if (used + days > policy.receivingExtensionsTotalMaxDays) {
          refuse(`cannot extend by ${days} days: extensions may total at most ${policy.receivingExtensionsTotalMaxDays} days (${used} used)`);
        }
      },
    },
  );

  setHandler(
    openClaimUpdate,
    async ({ actor, cause, refundAsked, description }: OpenClaimInput) => {
      const now = nowMs();
      const claim: Claim = {
        id: `C${claims().length + 1}`,
        cause,
        status: 'OPEN',
        refundAsked,
        description,
        openedAt: iso(now),
        evidence: [],
        evidenceRequests: [],
      };
      state.claims = [...claims(), claim];
      setDeadline({
        id: `claim-${claim.id}-supplier-response`,
        kind: 'claim-supplier-response',
        claimId: claim.id,
        dueAt: now + policy.supplierResponseDays * DAY_MS,
        rule: `the supplier answers a claim within ${policy.supplierResponseDays} days`,
        onExpiry: `the buyer may escalate from day ${policy.buyerEscalationFromDay}`,
      });
      setDeadline({
        id: `claim-${claim.id}-auto-escalation`,
        kind: 'claim-auto-escalation',
        claimId: claim.id,
        dueAt: claimDayStart(now, policy.autoEscalationDay),
        rule: `an unresolved claim escalates to the platform on day ${policy.autoEscalationDay}`,
        onExpiry: 'the claim escalates to ops for a decision',
      });
      await change(state.status, {
        type: 'CLAIM_OPENED',
        actor,
        summary: `Claim ${claim.id} opened (${cause}): refund asked ${money(refundAsked)}`,
        data: { claimId: claim.id, cause, refundAsked },
        notify: ['buyer', 'supplier'],
        subject: `claim ${claim.id} opened: ${cause.toLowerCase().replace(/_/g, ' ')}`,
        text: `The buyer opened claim ${claim.id} on order ${orderId} (${cause}), asking a refund of ${money(refundAsked)}: ${description}. Supplier: accept, counter-offer or reject within ${policy.supplierResponseDays} days.`,
      });
      return state;
    },
    {
      validator: ({ actor, cause, refundAsked }: OpenClaimInput) => {
        requireV2('open a claim');
        requireActor(actor, ['buyer'], input, 'open a claim');
        const now = nowMs();
        const receivingOrBefore: OrderStatus[] = ['DEPOSIT_PAID', 'PAID', 'SHIPPED', 'DELIVERED'];
        if (state.status === 'COMPLETED' && state.receiptConfirmedAt) {
          const closes = Date.parse(state.receiptConfirmedAt) + policy.postReceiptClaimDays * DAY_MS;
          if (now >= closes) refuse(`cannot open a claim: claims closed ${iso(closes)}, ${policy.postReceiptClaimDays} days after receipt was confirmed`);
        } else if (!receivingOrBefore.includes(state.status)) {
          refuse(`cannot open a claim: claims are opened after payment, before shipment, while receiving, or within ${policy.postReceiptClaimDays} days after receipt (order is ${state.status})`);
        }
        if (cause === 'LATE_SHIPMENT' && !state.late) refuse(`cannot open a late-shipment claim: the order is not late (shipping date ${state.shippingDate})`);
        if (cause === 'NOT_RECEIVED' && !state.shipment) refuse('cannot open a not-received claim: the order has not shipped');
        const same = openClaims().find((c) => c.cause === cause);
        if (same) refuse(`cannot open a second ${cause} claim: claim ${same.id} for that cause is still open`);
        const { limit, binding } = refundLimit();
        if (refundAsked > limit) refuse(`refund asked ${money(refundAsked)} exceeds ${binding}`);
      },
    },
  );

  setHandler(
    respondToClaimUpdate,
    async ({ actor, claimId, kind, counterAmount, message }: SupplierResponseInput) => {
      const claim = findClaim(claimId);
      claim.supplierResponse = { kind, counterAmount, message, at: iso(nowMs()) };
      clearDeadlines((d) => d.claimId === claimId && d.kind === 'claim-supplier-response');
      if (kind === 'accept') {
        await decide(claim, claim.refundAsked, 'supplier', `the supplier accepted the claim: ${message}`, actor);
        return state;
      }
      claim.status = 'RESPONDED';
      await change(state.status, {
        type: kind === 'counter' ? 'CLAIM_COUNTER_OFFER' : 'CLAIM_REJECTED_BY_SUPPLIER',
        actor,
        summary:
          kind === 'counter'
            ? `Supplier counter-offered ${money(counterAmount ?? 0)} on claim ${claimId}`
            : `Supplier rejected claim ${claimId}: ${message}`,
        data: { claimId, kind, counterAmount },
        notify: ['buyer'],
        subject: kind === 'counter' ? `claim ${claimId}: counter-offer of ${money(counterAmount ?? 0)}` : `claim ${claimId}: rejected by the supplier`,
        text: `On claim ${claimId} (order ${orderId}) the supplier ${kind === 'counter' ? `offers ${money(counterAmount ?? 0)}` : 'rejects the claim'}: ${message}. You may ${kind === 'counter' ? 'accept the offer or ' : ''}escalate to the platform from ${iso(claimDayStart(Date.parse(claim.openedAt), policy.buyerEscalationFromDay))}.`,
      });
      return state;
    },
    {
      validator: ({ actor, claimId, kind, counterAmount }: SupplierResponseInput) => {
        requireV2('answer a claim');
        requireActor(actor, ['supplier'], input, 'answer a claim');
        const claim = findClaim(claimId);
        if (claim.status !== 'OPEN') refuse(`cannot answer claim ${claimId}: it is ${claim.status.toLowerCase()}, not awaiting the supplier`);
        if (kind === 'counter' && (counterAmount === undefined || counterAmount <= 0 || counterAmount >= claim.refundAsked)) {
          refuse(`a counter-offer must be more than 0 and less than the refund asked (${money(claim.refundAsked)})`);
        }
      },
    },
  );

  setHandler(
    acceptCounterOfferUpdate,
    async ({ actor, claimId }: ClaimActionInput) => {
      const claim = findClaim(claimId);
      await decide(claim, claim.supplierResponse?.counterAmount ?? 0, 'buyer', "the buyer accepted the supplier's counter-offer", actor);
      return state;
    },
    {
      validator: ({ actor, claimId }: ClaimActionInput) => {
        requireV2('accept a counter-offer');
        requireActor(actor, ['buyer'], input, 'accept a counter-offer');
        const claim = findClaim(claimId);
        if (claim.status !== 'RESPONDED' || claim.supplierResponse?.kind !== 'counter') {
          refuse(`cannot accept: claim ${claimId} has no counter-offer awaiting the buyer`);
        }
      },
    },
  );

  setHandler(
    escalateClaimUpdate,
    async ({ actor, claimId }: ClaimActionInput) => {
      await escalate(findClaim(claimId), 'buyer', actor);
      return state;
    },
    {
      validator: ({ actor, claimId }: ClaimActionInput) => {
        requireV2('escalate a claim');
        requireActor(actor, ['buyer'], input, 'escalate a claim');
        const claim = findClaim(claimId);
        if (claim.status !== 'OPEN' && claim.status !== 'RESPONDED') refuse(`cannot escalate claim ${claimId}: it is ${claim.status.toLowerCase()}`);
        const from = claimDayStart(Date.parse(claim.openedAt), policy.buyerEscalationFromDay);
        if (nowMs() < from) refuse(`cannot escalate claim ${claimId} yet: the buyer may escalate from day ${policy.buyerEscalationFromDay} (${iso(from)})`);
      },
    },
  );

  setHandler(
    withdrawClaimUpdate,
    async ({ actor, claimId }: ClaimActionInput) => {
      const claim = findClaim(claimId);
      claim.status = 'CLOSED';
      claim.outcome = 'WITHDRAWN';
      clearClaimDeadlines(claimId);
      await change(state.status, {
        type: 'CLAIM_WITHDRAWN',
        actor,
        summary: `Claim ${claimId} withdrawn by the buyer`,
        data: { claimId },
        notify: ['buyer', 'supplier'],
        subject: `claim ${claimId} withdrawn`,
        text: `The buyer withdrew claim ${claimId} on order ${orderId}.`,
      });
      await afterClaimClosed();
      return state;
    },
    {
      validator: ({ actor, claimId }: ClaimActionInput) => {
        requireV2('withdraw a claim');
        requireActor(actor, ['buyer'], input, 'withdraw a claim');
        if (findClaim(claimId).status === 'CLOSED') refuse(`cannot withdraw claim ${claimId}: it is already closed`);
      },
    },
  );

  setHandler(
    decideClaimUpdate,
    async ({ actor, claimId, refund, reason }: DecideClaimInput) => {
      await decide(findClaim(claimId), refund, 'ops', reason, actor);
      return state;
    },
    {
      validator: ({ actor, claimId, refund }: DecideClaimInput) => {
        requireV2('decide a claim');
        requireActor(actor, [], input, 'decide a claim');
        const claim = findClaim(claimId);
        if (claim.status !== 'ESCALATED') refuse(`cannot decide claim ${claimId}: only an escalated claim awaits the platform's decision (it is ${claim.status.toLowerCase()})`);
        if (refund > claim.refundAsked) refuse(`refund ${money(refund)} exceeds the refund asked ${money(claim.refundAsked)}`);
        const { limit, binding } = refundLimit();
        if (refund > limit) refuse(`refund ${money(refund)} exceeds ${binding}`);
      },
    },
  );

  setHandler(
    addEvidenceUpdate,
    async ({ actor, claimId, file }: AddEvidenceInput) => {
      const claim = findClaim(claimId);
      const party = actor.role === 'supplier' ? 'supplier' : actor.role === 'buyer' ? 'buyer' : 'ops';
      claim.evidence.push({ ...file, uploadedBy: party, uploadedAt: iso(nowMs()) });
      for (const request of claim.evidenceRequests) {
        if (request.party === party && request.status === 'OPEN') {
          request.status = 'FULFILLED';
          clearDeadlines((d) => d.id === `evidence-${request.id}`);
        }
      }
      await change(state.status, {
        type: 'CLAIM_EVIDENCE_ADDED',
        actor,
        summary: `Evidence added to claim ${claimId} by the ${party}: ${file.name}`,
        data: { claimId, fileId: file.fileId, name: file.name },
        notify: [],
        subject: '',
        text: '',
      });
      return state;
    },
    {
      validator: ({ actor, claimId }: AddEvidenceInput) => {
        requireV2('add evidence');
        requireActor(actor, ['buyer', 'supplier'], input, 'add evidence to a claim');
        const claim = findClaim(claimId);
        if (claim.status === 'CLOSED') refuse(`cannot add evidence: claim ${claimId} is closed`);
      },
    },
  );

  setHandler(
    requestEvidenceUpdate,
    async ({ actor, claimId, party, description, dueAt }: RequestEvidenceInput) => {
      const claim = findClaim(claimId);
      const request = { id: `${claimId}-E${claim.evidenceRequests.length + 1}`, party, description, dueAt: iso(Date.parse(dueAt)), status: 'OPEN' as const };
      claim.evidenceRequests.push(request);
      setDeadline({
        id: `evidence-${request.id}`,
        kind: 'evidence-due',
        claimId,
        dueAt: Date.parse(dueAt),
        rule: `evidence requested from the ${party} on claim ${claimId}`,
        onExpiry: party === 'buyer' ? "the buyer's claim is cancelled" : "the supplier's answer is cancelled and the refund asked is granted",
      });
      await change(state.status, {
        type: 'CLAIM_EVIDENCE_REQUESTED',
        actor,
        summary: `Evidence requested from the ${party} on claim ${claimId}, due ${request.dueAt}: ${description}`,
        data: { claimId, requestId: request.id, party, dueAt: request.dueAt },
        notify: [party],
        subject: `claim ${claimId}: evidence requested by ${request.dueAt}`,
        text: `The platform asks for evidence on claim ${claimId} (order ${orderId}): ${description}. Upload it by ${request.dueAt}; a missed due date cancels your request.`,
      });
      return state;
    },
    {
      validator: ({ actor, claimId, dueAt }: RequestEvidenceInput) => {
        requireV2('request evidence');
        requireActor(actor, [], input, 'request evidence');
        const claim = findClaim(claimId);
        if (claim.status === 'CLOSED') refuse(`cannot request evidence: claim ${claimId} is closed`);
        const due = Date.parse(dueAt);
        const now = nowMs();
        if (!Number.isFinite(due)) refuse('dueAt is not a date');
        if (due < now + policy.evidenceMinDueHours * HOUR_MS || due > now + policy.evidenceMaxDueDays * DAY_MS) {
          refuse(`an evidence request is due between ${policy.evidenceMinDueHours} hours and ${policy.evidenceMaxDueDays} days from now`);
        }
      },
    },
  );

  setHandler(
    leaveFeedbackUpdate,
    async ({ actor, rating, comment }: FeedbackInput) => {
      const party = actor.role === 'supplier' ? 'supplier' : 'buyer';
      state.feedback = { ...state.feedback, [party]: { rating, comment, at: iso(nowMs()) } };
      await change(state.status, {
        type: 'FEEDBACK_LEFT',
        actor,
        summary: `The ${party} left feedback: ${rating}/5`,
        data: { party, rating, comment },
        notify: [party === 'buyer' ? 'supplier' : 'buyer'],
        subject: `the ${party} left feedback`,
        text: `The ${party} rated order ${orderId} ${rating}/5: ${comment}`,
      });
      return state;
    },
    {
      validator: ({ actor, rating }: FeedbackInput) => {
        requireV2('leave feedback');
        requireActor(actor, ['buyer', 'supplier'], input, 'leave feedback');
        if (actor.role === 'ops') refuse('cannot leave feedback as ops: feedback is the parties\' own');
        requireStatus(state.status, ['COMPLETED', 'SETTLED'], 'leave feedback', 'feedback is left after the order completes');
        if (!deadlines().some((d) => d.kind === 'feedback-window')) refuse('cannot leave feedback: the feedback window has closed');
        const party = actor.role === 'supplier' ? 'supplier' : 'buyer';
        if (state.feedback?.[party]) refuse(`the ${party} already left feedback on this order`);
        if (!Number.isInteger(rating) || rating < 1 || rating > 5) refuse('rating must be a whole number from 1 to 5');
      },
    },
  );

  // An after-service case's refund: from escrow while the funds are held, else recovered from the
  // supplier's payable. The case's update id makes a retried request the same refund.
  setHandler(
    afterServiceRefundUpdate,
    async ({ actor, caseId, amount, reason }: AfterServiceRefundInput) => {
      const fromEscrow = Math.min(amount, state.amounts.held);
      const fromSupplier = amount - fromEscrow;
      state.amounts.held -= fromEscrow;
      state.amounts.refunded = (state.amounts.refunded ?? 0) + amount;
      const step = `case:${caseId}:refund:${state.revision + 1}`;
      await change(state.status, {
        type: 'AFTER_SERVICE_REFUND',
        actor,
        summary: `After-service case ${caseId}: ${money(amount)} refunded to the buyer (${reason})`,
        data: { caseId, amount, fromEscrow, fromSupplier, reason },
        notify: ['supplier'],
        subject: `after-service refund of ${money(amount)}`,
        text: `After-service case ${caseId} on order ${orderId} refunded ${money(amount)} to the buyer: ${reason}.${fromSupplier > 0 ? ` ${money(fromSupplier)} is recovered from your payable.` : ''}`,
        before: async () => {
          if (fromEscrow > 0) await acts.refundEscrowToBuyer(movement(`${step}:escrow`, buyerId, fromEscrow));
          if (fromSupplier > 0) await acts.refundFromSupplierPayable({ ...movement(`${step}:supplier`, buyerId, fromSupplier), supplierId });
        },
      });
      return state;
    },
    {
      validator: ({ actor, amount }: AfterServiceRefundInput) => {
        requireV2('refund through an after-service case');
        requireActor(actor, [], input, 'refund through an after-service case');
        const refundable = state.amounts.paid - (state.amounts.refunded ?? 0);
        if (!Number.isSafeInteger(amount) || amount <= 0) refuse('the refund amount must be a positive whole number of minor units');
        if (amount > refundable) refuse(`cannot refund ${money(amount)}: ${money(refundable)} of the ${money(state.amounts.paid)} paid is still refundable`);
        if (openClaims().length > 0) refuse(`claim ${openClaims()[0].id} is open on the order: its decision refunds the buyer`);
      },
    },
  );

  await drafted;

  if (!rulesV2) {
    // The walking-skeleton version: receipt, then release.
    await condition(() => state.status === 'RECEIPT_CONFIRMED');
    await drained();
    await releaseHeldAndComplete();
    await condition(allHandlersFinished);
    return state;
  }

  // Deadlines: sleep until the earliest falls due or the state changes, then act on what is due.
  for (;;) {
    const next = deadlines()[0];
    const terminal = TERMINAL_STATUSES.includes(state.status);
    if (terminal && !next && openClaims().length === 0) break;
    const seen = wake;
    if (next) {
      const wait = Date.parse(next.dueAt) - nowMs();
      if (wait > 0) await condition(() => wake !== seen, wait);
    } else {
      await condition(() => wake !== seen);
    }
    const now = nowMs();
    for (const due of deadlines().filter((d) => Date.parse(d.dueAt) <= now)) {
      if (!deadlines().some((d) => d.id === due.id)) continue;
      clearDeadlines((d) => d.id === due.id);
      await fire(due);
    }
  }
  await drained();
  await condition(allHandlersFinished);
  return state;
}
