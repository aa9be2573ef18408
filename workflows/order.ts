/**
 * tradeOrderWorkflow (workflow ID `order:<id>`): one buyer-protected purchase order, from the
 * supplier's draft to the release of escrowed funds, with every window of its pinned policy as a
 * durable deadline and every claim path (./order-claims). The workflow owns the order's state; the
 * read model, timeline, ledger, coverage and emails are written by idempotent activities. Money moves
 * only through the order's escrow account (./escrow).
 *
 * Versions: orders recorded before ORDER_RULES_PATCH (the walking skeleton) run the first version,
 * frozen in ./order-v1; ORDER_NOTICES_PATCH and ORDER_ESCROW_PATCH mark the later changes to the
 * commands an order issues.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  SignalDefinition,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { Activities } from '../activities';
import { Actor, DAY_MS, HOUR_MS } from './common';
import { monitoringWorkflowId, orderCancelledSignal, orderShipmentDateSignal } from './monitoring.messages';
import { EscrowAccount, EscrowStage, applyPayment, applyRefund, applyRefundAllHeld, applyRelease, planRefund } from './escrow';
import { formatMoney } from './money';
import { orderNotices } from './order.notices';
import { ORDER_VIEW_MAX_CHARS, orderRowOf } from './read-model';
import { Validation, availableActionsQuery, createActionBook, processActors } from './actions';
import { OrderChange, OrderProcess, createClaims } from './order-claims';
import {
  ActionInput,
  ConfirmInput,
  ReserveMonitoringInput,
  reserveMonitoringUpdate,
  AfterServiceRefundInput,
  CancelInput,
  Claim,
  Deadline,
  DeadlineKind,
  ExtendReceivingInput,
  ExtendShippingInput,
  FeedbackInput,
  INVALID_DRAFT,
  SHIPPING_PERIOD_CODE_REVISION,
  CANCEL_TELLS_MONITORING_CODE_REVISION,
  EXPIRY_TELLS_MONITORING_CODE_REVISION,
  NextStep,
  ORDER_NEXT_STEPS,
  OrderAck,
  OrderState,
  OrderStatus,
  PAYOUT_FAILED,
  PaymentInput,
  RefundPayment,
  RequestChangesInput,
  ReviseDraftInput,
  ShipInput,
  TERMINAL_STATUSES,
  TradeOrderInput,
  afterServiceRefundUpdate,
  cancelOrderUpdate,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  extendReceivingUpdate,
  extendShippingUpdate,
  getOrderQuery,
  leaveFeedbackUpdate,
  linkMonitoringSignal,
  markDeliveredUpdate,
  payUpdate,
  requestChangesUpdate,
  reviseDraftUpdate,
  shipUpdate,
} from './order.messages';
import {
  Party,
  calendarWords,
  createProcessCore,
  createLock,
  iso,
  nowMs,
  refuse,
  requireParty,
  runDeadlinesSerially,
  runDeadlines,
  workingDeadline,
  inputKey,
  toOpsQueue,
  withSummaries,
  PROCESS_ACTIVITY_OPTIONS,
} from './process-kit';
import { getCalendar } from './calendar';
import { runFirstVersionOrder } from './order-v1';
import { checkDraft, orderPolicy, orderTotal, shipByInstant } from './order.policy';
import {
  OrderSnapshot,
  PRE_SHIPMENT,
  afterServiceRefundRefusal,
  cancelRefusal,
  confirmAsBuyerRefusal,
  confirmAsSupplierRefusal,
  confirmedTermsRefusal,
  reserveMonitoringRefusal,
  confirmReceiptRefusal,
  escrowAccountOf,
  extendReceivingRefusal,
  extendShippingRefusal,
  leaveFeedbackRefusal,
  markDeliveredRefusal,
  payRefusal,
  paymentAmountRefusal,
  ratingRefusal,
  receivingExtensionRefusal,
  requestChangesRefusal,
  reviseDraftRefusal,
  revisedTermsRefusal,
  shipRefusal,
  shippingDateRefusal,
  withinChangeCancelWindow,
} from './order.rules';

/** Orders started from this version on enforce every window, claim and coverage rule. */
export const ORDER_RULES_PATCH = 'order-rules-v2';

/**
 * Orders started from this version on record each change and its email notices in one activity (one
 * database transaction) instead of three: a shorter history, and no change without its emails.
 */
export const ORDER_NOTICES_PATCH = 'order-notices-with-change';

/**
 * Orders started from this version on: every refund is planned by the escrow account (capped at what
 * is still refundable), a claim's refund settles the order only once no claim is open, handlers and
 * deadlines run one at a time under the order's lock, an effect that fails for good goes to the ops
 * late-task queue instead of failing the order, and a change restarts the deadline timer or upserts a
 * search attribute only when they changed.
 */
export const ORDER_ESCROW_PATCH = 'order-escrow-invariants';

/**
 * Orders that decide a claim's refund from this version on pay it to the buyer through the payment
 * adapter and watch it: due within the policy's working days, late and paged when it is not paid by
 * then. Asked only where a refund is decided, so no other history carries its marker.
 */
export const ORDER_REFUND_PAYOUT_PATCH = 'order-refund-payout';

/**
 * Orders that meet a party's evidence file again on a claim (the same bytes, no evidence request to
 * that party open) from this version on answer as for the first and record nothing: the claim, not
 * the API, knows what it already holds. Asked only when such a repeat arrives.
 */
export const ORDER_EVIDENCE_ONCE_PATCH = 'order-evidence-once';

/**
 * Orders cancelled from this version on tell their linked monitoring tasks, which close with them
 * (the fee refunded by policy). Orders of code revision 7 on do without the marker; earlier ones
 * ask it only when a cancellation finds tasks linked.
 */
export const ORDER_CANCEL_TELLS_MONITORING_PATCH = 'order-cancel-tells-monitoring';

/**
 * A draft that expires tells its monitoring tasks (booked while drafting), which close as with a
 * cancelled order. Orders of code revision 8 on do without the marker; earlier ones ask it only when
 * an expiry finds tasks linked.
 */
export const ORDER_EXPIRY_TELLS_MONITORING_PATCH = 'order-expiry-tells-monitoring';

// Database, ledger and mail activities retry until the dependency is back: nothing is dropped.
const activities = proxyActivities<Activities>(PROCESS_ACTIVITY_OPTIONS);

// A refund payout is asked again, with the same key, until the payment adapter completes it (days, for
// a bank transfer) or refuses it; retries add nothing to the history.
const payouts = proxyActivities<Pick<Activities, 'payRefundToBuyer'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 minute', backoffCoefficient: 2, maximumInterval: '2 hours', nonRetryableErrorTypes: [PAYOUT_FAILED] },
});

/** Checks that the caller may act on this order as one of the given parties (ops may always act). */
function requireActor(actor: Actor, allowed: Party[], input: TradeOrderInput, action: string): void {
  requireParty(actor, allowed, input, action);
}

/** Refuses the action with the rule's message, if the rule gives one (./order.rules). */
function refuseIf(refusal: string | undefined): void {
  if (refusal !== undefined) refuse(refusal);
}

/** Statuses in which the held funds have left escrow (released, refunded or never paid). */
const FUNDS_OUT: OrderStatus[] = ['RECEIPT_CONFIRMED', 'COMPLETED', 'SETTLED', 'CANCELLED', 'EXPIRED'];

export async function tradeOrderWorkflow(input: TradeOrderInput): Promise<OrderState> {
  // Orders started on code revision 6 or later need no patch markers: every earlier change applies.
  const current = (input.codeRevision ?? 0) >= 6;
  if (!current && !patched(ORDER_RULES_PATCH)) return runFirstVersionOrder(input);
  const noticesWithChange = current || patched(ORDER_NOTICES_PATCH);
  const escrowV5 = current || (noticesWithChange && patched(ORDER_ESCROW_PATCH));
  const policy = orderPolicy(input.policyVersion);
  // Orders of earlier code revisions keep the draft rules they started with, so their histories replay.
  const draftCheck = { shippingPeriod: (input.codeRevision ?? 0) >= SHIPPING_PERIOD_CODE_REVISION };
  const problems = checkDraft(input.terms, policy, iso(nowMs()).slice(0, 10), draftCheck);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: INVALID_DRAFT,
      message: problems.map((p) => `${p.field}: ${p.reason}`).join('; '),
      nonRetryable: true,
    });
  }

  const { orderId, buyerId, supplierId, terms } = input;
  const workflowId = workflowInfo().workflowId;
  const acts = withSummaries(activities, (activity, i) => `${activity} · order ${orderId}${inputKey(i) ? ` · ${inputKey(i)}` : ''}`);
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
      covered: 0,
      refunded: 0,
      claimRefunded: 0,
      recovered: 0,
    },
    nextStep: ORDER_NEXT_STEPS.DRAFT,
    revision: 0,
    createdAt,
    updatedAt: createdAt,
    shippingDate: terms.shippingDate,
    late: false,
    claims: [],
    deadlines: [],
    feedback: {},
    receivingExtensions: {},
  };
  const money = (amount: number) => formatMoney(amount, currency);
  const say = orderNotices(orderId, currency);
  const partyIds = (parties: Party[]) => parties.map((p) => (p === 'buyer' ? buyerId : supplierId));

  // ---- the escrow account -----------------------------------------------------------------------
  function account(): EscrowAccount {
    return escrowAccountOf(state);
  }
  function setAccount(a: EscrowAccount): void {
    Object.assign(state.amounts, { paid: a.paid, held: a.held, released: a.released, covered: a.covered, refunded: a.refunded, claimRefunded: a.claimRefunded, recovered: a.recovered });
  }

  // ---- the process skeleton: revisions, deadlines, search attributes, effects ----------------------
  const core = createProcessCore<OrderStatus, NextStep, Deadline>(state, {
    workflowId,
    policyVersion: policy.version,
    nextSteps: ORDER_NEXT_STEPS,
    parties: { buyerId, supplierId },
    title: () => `Order ${orderId}: buyer ${buyerId}, supplier ${supplierId}, ${money(state.amounts.total)}`,
    // From ORDER_ESCROW_PATCH on, a change upserts only the search attributes that moved.
    searchAttributes: escrowV5 ? 'when-changed' : 'every-change',
    // From ORDER_ESCROW_PATCH on, an effect that failed for good (its activity refused the data;
    // outages retry until the dependency is back) goes to the ops late-task queue and the order goes
    // on, instead of every later effect waiting behind it.
    effectFailures: toOpsQueue('order', orderId, () => escrowV5, acts, () => {
      state.failedEffects = (state.failedEffects ?? 0) + 1;
    }),
  });
  const { deadlines, setDeadline, clearDeadlines, clearKinds, enqueue, drained } = core;
  // Handlers and firing deadlines take turns (orders from ORDER_ESCROW_PATCH on): each starts from a
  // state no other transition is halfway through, and checks its rule again when its turn comes.
  const lock = createLock();

  /** Moves the order to a new revision now, and records it (read model, timeline, emails) in order. */
  function change(status: OrderStatus, c: OrderChange): Promise<void> {
    const { event, key } = core.advance(status, c);
    // The order as it is now, copied (the record may be written after later changes to the state);
    // a long one leaves its view behind and sends its row only.
    const json = JSON.stringify(state);
    const record = json.length <= ORDER_VIEW_MAX_CHARS ? { view: JSON.parse(json) as OrderState } : { order: orderRowOf(state) };
    core.publishSearchAttributes();
    const parties = c.notify.length > 0 ? { key, partyIds: partyIds(c.notify), subject: `[TradeGuard ${orderId}] ${c.subject}`, text: c.text } : undefined;
    const ops = c.ops ? { key, audience: c.ops.audience, subject: `[TradeGuard ${orderId}] ${c.ops.subject}`, text: c.ops.text } : undefined;
    return enqueue(async () => {
      if (c.before) await core.effect(`${c.type}:money`, key, c.before);
      if (noticesWithChange) {
        await core.effect(`${c.type}:record`, key, () => acts.recordOrderChange({ ...record, event, notices: { parties, ops } }));
        return;
      }
      await acts.recordOrderChange({ ...record, event });
      if (parties) await acts.notifyParties(parties);
      if (ops) await acts.notifyOps(ops);
    });
  }

  const actionBook = createActionBook();
  const ack = (extra?: Partial<OrderAck> | void): OrderAck => ({ orderId, status: state.status, revision: state.revision, ...(extra ?? {}) });

  /**
   * Registers an Update. Its validator refuses an action the order does not allow now; from
   * ORDER_ESCROW_PATCH on the handler also takes the order's lock and checks the same rule again,
   * since a transition accepted at the same moment may have run first.
   */
  const onUpdate: OrderProcess['onUpdate'] = <A extends { actor: Actor }>(
    def: UpdateDefinition<OrderAck, [A]>,
    validation: ((a: A) => void) | Validation<A>,
    run: (a: A) => Promise<Partial<OrderAck> | void>,
    beforeAccept?: (a: A) => void,
  ) => {
    const validate = typeof validation === 'function' ? validation : actionBook.validator(def, validation);
    setHandler(
      def,
      async (a: A) => {
        const extra = escrowV5 ? await lock.run(async () => {
          validate(a);
          return run(a);
        }) : await run(a);
        return ack(extra);
      },
      {
        validator: (a: A) => {
          validate(a);
          beforeAccept?.(a);
        },
      },
    );
  };

  const system: Actor = { role: 'system' };

  // ---- money movements --------------------------------------------------------------------------
  const movement = (step: string, partyId: string, amount: number) => ({ id: `${workflowId}:${step}`, orderId, partyId, amount, currency });

  /** Refunds every held amount to the buyer (cancellation). */
  function refundAllHeld(step: string): (() => Promise<unknown>) | undefined {
    const { account: after, refunded } = applyRefundAllHeld(account());
    if (refunded <= 0) return undefined;
    setAccount(after);
    return () => acts.refundEscrowToBuyer(movement(step, buyerId, refunded));
  }

  const releaseCoverage = () => acts.releaseCoverage({ orderId });

  function cancel(actor: Actor, reason: string, type: 'CANCELLED' | 'CANCELLED_UNPAID' | 'CANCELLED_IN_WINDOW' | 'CANCELLED_BY_RECALL'): Promise<void> {
    const refund = refundAllHeld('cancel:refund');
    const refunded = state.amounts.refunded ?? 0;
    state.closedReason = reason;
    clearDeadlines(owedNoMore);
    const cancelled = change('CANCELLED', {
      type,
      actor,
      summary: `Order cancelled: ${reason}${refund ? `; ${money(refunded)} refunded to the buyer` : ''}`,
      data: { reason, refunded },
      notify: ['buyer', 'supplier'],
      ...say.cancelled({ reason, refunded: refund ? refunded : undefined }),
      before: async () => {
        if (refund) await refund();
        await releaseCoverage();
      },
    });
    const tasks = state.monitoringIds ?? [];
    if (tasks.length > 0 && cancelTellsTasks()) tellTasksCancelled(tasks, reason);
    return cancelled;
  }

  /** Whether a cancellation tells the order's monitoring tasks (code revision 7 on, or the patch); asked only when there are tasks to tell. */
  function cancelTellsTasks(): boolean {
    return (input.codeRevision ?? 0) >= CANCEL_TELLS_MONITORING_CODE_REVISION || patched(ORDER_CANCEL_TELLS_MONITORING_PATCH);
  }

  /** Whether an expired draft tells the order's monitoring tasks (code revision 8 on, or the patch); asked only when there are tasks to tell. */
  function expiryTellsTasks(): boolean {
    return (input.codeRevision ?? 0) >= EXPIRY_TELLS_MONITORING_CODE_REVISION || patched(ORDER_EXPIRY_TELLS_MONITORING_PATCH);
  }
  const expiredReason = `the draft expired: not confirmed by both parties within ${policy.draftExpiryDays} days`;

  /** After the cancellation is recorded, in the effect queue's order; a task closed meanwhile ignores it. */
  function tellTasksCancelled(monitoringIds: string[], reason: string): void {
    signalTasks(monitoringIds, orderCancelledSignal, { orderId, reason });
  }

  /** Signals each task, one after another in the effect queue; a task gone or closed is no failure of the order's. */
  function signalTasks<A>(monitoringIds: string[], signal: SignalDefinition<[A]>, arg: A): void {
    for (const monitoringId of monitoringIds) {
      void enqueue(() =>
        getExternalWorkflowHandle(monitoringWorkflowId(monitoringId))
          .signal(signal, arg)
          .catch(() => undefined),
      );
    }
  }

  // ---- refunds owed to the buyer ------------------------------------------------------------------
  /** Every deadline but a refund's payment: closing the order does not settle what it owes the buyer. */
  const owedNoMore = (d: Deadline) => d.kind !== 'refund-payment';
  const refundPaymentId = (claimId: string) => `refund-payment-${claimId}`;

  /** A refund was decided on a claim: it is paid to the buyer through the payment adapter, and watched. */
  function refundDecided(claimId: string, amount: number): { dueAt: string; start: () => void } | undefined {
    if (!current && !patched(ORDER_REFUND_PAYOUT_PATCH)) return undefined;
    const now = nowMs();
    const calendar = getCalendar(policy.opsCalendar, policy.opsCalendarVersion);
    const due = workingDeadline(calendar, now, policy.refundPaymentWorkingDays);
    const payment: RefundPayment = { claimId, amount, currency, decidedAt: iso(now), dueAt: iso(due.dueAt), status: 'PENDING' };
    state.refundPayments = [...(state.refundPayments ?? []), payment];
    setDeadline({
      id: refundPaymentId(claimId),
      kind: 'refund-payment',
      claimId,
      dueAt: due.dueAt,
      rule: `a refund decided on a claim is paid to the buyer within ${policy.refundPaymentWorkingDays} working days of the decision (${calendarWords(calendar, due.provisional)})`,
      onExpiry: 'the refund is late: it goes on the late-task queue and ops leads are paged',
      ...(due.provisional ? { provisional: true } : {}),
    });
    return { dueAt: payment.dueAt, start: () => void payRefund(payment) };
  }

  /** Asks the payment adapter to pay the refund until it completes or refuses it, then records which. */
  async function payRefund(payment: RefundPayment): Promise<void> {
    const { claimId, amount } = payment;
    let outcome: { payoutId: string } | { failure: string };
    try {
      outcome = await payouts.payRefundToBuyer({ key: `${workflowId}:claim:${claimId}:payout`, orderId, claimId, buyerId, amount, currency });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      outcome = { failure: err.cause?.message ?? err.message };
    }
    await lock.run(async () => {
      clearDeadlines((d) => d.id === refundPaymentId(claimId));
      if ('payoutId' in outcome) {
        Object.assign(payment, { status: 'PAID', payoutId: outcome.payoutId, paidAt: iso(nowMs()) });
        await change(state.status, {
          type: 'REFUND_PAID',
          actor: system,
          summary: `Refund of ${money(amount)} on claim ${claimId} paid to the buyer (payout ${outcome.payoutId})${payment.late ? `, after its due time ${payment.dueAt}` : ''}`,
          data: { claimId, amount, payoutId: outcome.payoutId, late: payment.late === true },
          notify: ['buyer'],
          ...say.refundPaid({ claimId, amount, payoutId: outcome.payoutId }),
        });
        return;
      }
      Object.assign(payment, { status: 'FAILED', failure: outcome.failure });
      await change(state.status, {
        type: 'REFUND_PAYMENT_FAILED',
        actor: system,
        summary: `Refund of ${money(amount)} on claim ${claimId} refused by the payment adapter: ${outcome.failure}; ops pays the buyer by hand`,
        data: { claimId, amount, reason: outcome.failure },
        notify: [],
        subject: '',
        text: '',
        ops: {
          audience: 'ops-leads',
          ...say.refundPaymentFailed({ claimId, amount, buyerId, failure: outcome.failure, dueAt: payment.dueAt }),
        },
      });
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
      ...say.receiptConfirmed({ automatic, held: state.amounts.held }),
    });
    await receipt;
    await releaseHeldAndComplete();
  }

  function releaseHeldAndComplete(): Promise<void> {
    // Orders before ORDER_ESCROW_PATCH never reach here with a claim open either, but replay them as recorded.
    const { account: after, released } = applyRelease(account(), escrowV5 ? openClaims().length : 0);
    setAccount(after);
    state.completedAt = iso(nowMs());
    const receiptAt = Date.parse(state.receiptConfirmedAt ?? state.completedAt);
    setDeadline({
      id: 'post-receipt-claims',
      kind: 'post-receipt-claims',
      dueAt: receiptAt + policy.postReceiptClaimDays * DAY_MS,
      rule: `claims may be opened up to ${policy.postReceiptClaimDays} days after receipt is confirmed`,
      onExpiry: 'claims can no longer be opened on this order',
    });
    setFeedbackWindow();
    return change('COMPLETED', {
      type: 'FUNDS_RELEASED',
      actor: system,
      summary: `Funds of ${money(released)} released to the supplier; order completed`,
      data: { amount: released, currency },
      notify: ['buyer', 'supplier'],
      ...say.completed(released),
      before: async () => {
        if (released > 0) {
          await acts.releaseEscrowToSupplier({ id: `${workflowId}:release`, orderId, partyId: supplierId, amount: released, currency });
        }
        await releaseCoverage();
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

  // ---- settlement after a claim's refund ----------------------------------------------------------
  /** Releases what is still held to the supplier and settles the order; only once no claim is open. */
  function settle(): Promise<void> {
    const claimId = state.settlementPending;
    state.settlementPending = undefined;
    const { account: after, released } = applyRelease(account(), openClaims().length);
    setAccount(after);
    state.closedReason = `settled by claim ${claimId}`;
    clearDeadlines(owedNoMore);
    setFeedbackWindow();
    return change('SETTLED', {
      type: 'ORDER_SETTLED',
      actor: system,
      summary: `Order settled after the refund on claim ${claimId}: ${money(released)} released to the supplier`,
      data: { claimId, released },
      notify: ['buyer', 'supplier'],
      ...say.settled({ claimId, released }),
      before: async () => {
        if (released > 0) await acts.releaseEscrowToSupplier(movement(`claim:${claimId}:release`, supplierId, released));
        await releaseCoverage();
      },
    });
  }

  /** Orders before ORDER_ESCROW_PATCH: a claim's refund while funds are held settles the order at once. */
  function settleLegacy(claim: Claim, fromEscrow: number, reason: string, actor: Actor): Promise<void> {
    const rest = state.amounts.held - fromEscrow;
    state.amounts.held = 0;
    state.amounts.released += rest;
    state.closedReason = `settled by claim ${claim.id}`;
    clearDeadlines((d) => d.claimId === undefined || openClaims().every((c) => c.id !== d.claimId));
    setFeedbackWindow();
    return change('SETTLED', {
      type: 'CLAIM_REFUNDED',
      actor,
      summary: `Claim ${claim.id} decided: ${money(fromEscrow)} refunded to the buyer, ${money(rest)} released to the supplier`,
      data: { claimId: claim.id, refund: fromEscrow, released: rest, reason },
      notify: ['buyer', 'supplier'],
      ...say.claimSettledAtOnce({ claimId: claim.id, refund: fromEscrow, released: rest, reason }),
      before: async () => {
        await acts.refundEscrowToBuyer(movement(`claim:${claim.id}:refund`, buyerId, fromEscrow));
        if (rest > 0) await acts.releaseEscrowToSupplier(movement(`claim:${claim.id}:release`, supplierId, rest));
        await releaseCoverage();
      },
    });
  }

  const stage = (): EscrowStage => (FUNDS_OUT.includes(state.status) ? 'released' : state.status === 'DELIVERED' ? 'delivered' : 'before-delivery');

  /** Windows that waited for the claims to close act now; a pending settlement comes first. */
  const deferred: DeadlineKind[] = [];
  async function afterClaimsClosed(): Promise<void> {
    if (openClaims().length > 0) return;
    if (escrowV5 && state.settlementPending) {
      deferred.length = 0;
      await settle();
      return;
    }
    while (deferred.length > 0) {
      const kind = deferred.shift() as DeadlineKind;
      if (kind === 'receiving-window' && state.status === 'DELIVERED') await completeReceipt(system, true);
      if (kind === 'balance-due' && state.status === 'DEPOSIT_PAID') {
        await cancel(system, `the balance was not paid by the end of the shipping date ${state.shippingDate}`, 'CANCELLED_UNPAID');
      }
    }
  }

  // ---- claims -----------------------------------------------------------------------------------
  const process: OrderProcess = {
    input,
    state,
    policy,
    escrowV5,
    acts,
    money,
    change,
    setDeadline,
    clearDeadlines,
    account,
    setAccount,
    movement,
    onUpdate,
    stage,
    afterClaimsClosed,
    settleLegacy,
    refundDecided,
    recordsRepeatedEvidenceOnce: () => current || patched(ORDER_EVIDENCE_ONCE_PATCH),
  };
  // The draft is revision 1 before any handler exists: an update delivered with the start is
  // dispatched as soon as its handler is registered, and must find the draft in place.
  setDeadline({
    id: 'draft-expiry',
    kind: 'draft-expiry',
    dueAt: nowMs() + policy.draftExpiryDays * DAY_MS,
    rule: `a draft not confirmed by both parties within ${policy.draftExpiryDays} days expires`,
    onExpiry: 'the purchase order expires',
  });
  const drafted = change('DRAFT', {
    type: 'DRAFTED',
    actor: input.createdBy,
    summary: `Purchase order drafted: ${terms.items.length} item(s), ${money(total)}, deposit ${money(terms.depositAmount)}`,
    data: { total, deposit: terms.depositAmount, currency, shippingDate: terms.shippingDate, ...(input.requestId ? { requestId: input.requestId } : {}) },
    notify: ['buyer'],
    ...say.drafted({ supplierId, requestId: input.requestId, total, deposit: terms.depositAmount, shippingDate: terms.shippingDate }),
  });

  const claimsProcess = createClaims(process);
  const { openClaims } = claimsProcess;

  // ---- firing deadlines -------------------------------------------------------------------------
  async function fire(d: Deadline): Promise<void> {
    if (await claimsProcess.fire(d)) return;
    switch (d.kind) {
      case 'draft-expiry':
        if (state.status === 'DRAFT' || state.status === 'BUYER_CONFIRMED') {
          state.closedReason = 'draft not confirmed in time';
          clearDeadlines(() => true);
          const expired = change('EXPIRED', {
            type: 'DRAFT_EXPIRED',
            actor: system,
            summary: `Draft expired: not confirmed by both parties within ${policy.draftExpiryDays} days`,
            notify: ['buyer', 'supplier'],
            ...say.draftExpired(policy.draftExpiryDays),
          });
          // A task booked while drafting closes with the draft, as with a cancelled order.
          const tasks = state.monitoringIds ?? [];
          if (tasks.length > 0 && expiryTellsTasks()) tellTasksCancelled(tasks, expiredReason);
          await expired;
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
          ...say.shippingReminder({ shippingDate: state.shippingDate, balanceUnpaid: state.status === 'DEPOSIT_PAID' }),
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
          ...say.shipmentLate(state.shippingDate),
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
          ...say.shippedLate(state.shippingDate),
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
      case 'post-receipt-claims':
      case 'feedback-window':
        core.touch();
        return;
      case 'refund-payment': {
        const payment = state.refundPayments?.find((x) => x.claimId === d.claimId);
        if (!payment || payment.status !== 'PENDING') return;
        payment.late = true;
        await change(state.status, {
          type: 'REFUND_PAYMENT_LATE',
          actor: system,
          summary: `Refund of ${money(payment.amount)} on claim ${payment.claimId} not paid within ${policy.refundPaymentWorkingDays} working days of the decision: ops leads paged`,
          data: { claimId: payment.claimId, amount: payment.amount, decidedAt: payment.decidedAt, dueAt: payment.dueAt },
          notify: [],
          subject: '',
          text: '',
          ops: {
            audience: 'ops-leads',
            ...say.refundPaymentLate({ claimId: payment.claimId, amount: payment.amount, decidedAt: payment.decidedAt, dueAt: payment.dueAt }),
          },
        });
        return;
      }
    }
  }

  /** Records a deadline that passed with nothing else to do (orders from ORDER_ESCROW_PATCH on). */
  function recordPassed(d: Deadline): Promise<void> {
    const waiting = deferred.includes(d.kind) && openClaims().length > 0;
    return change(state.status, {
      type: 'DEADLINE_PASSED',
      actor: system,
      summary: waiting
        ? `Deadline passed while claim ${openClaims()[0].id} is open (${d.rule}): ${d.onExpiry} once every claim is closed`
        : `Deadline passed: ${d.rule}${d.kind === 'feedback-window' || d.kind === 'post-receipt-claims' ? `; ${d.onExpiry}` : ''}`,
      data: { deadlineId: d.id, kind: d.kind, ...(d.claimId ? { claimId: d.claimId } : {}), waiting },
      notify: [],
      subject: '',
      text: '',
    });
  }

  // ---- handlers ---------------------------------------------------------------------------------
  /** The supplier's confirmation is reserving coverage: other actions wait for its answer. */
  let confirming = false;
  /** The order as its rules (./order.rules) see it now. */
  const snapshot = (): OrderSnapshot => ({ state, policy, now: nowMs(), confirming, draftCheck });

  setHandler(getOrderQuery, () => state);
  setHandler(availableActionsQuery, () => actionBook.available(processActors(input)));

  onUpdate(
    confirmByBuyerUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['buyer'], input, 'confirm the purchase order as buyer');
        refuseIf(confirmAsBuyerRefusal(snapshot()));
      },
      check: ({ draftRevision }) => refuseIf(confirmedTermsRefusal(snapshot(), draftRevision)),
    },
    async ({ actor }: ConfirmInput) => {
      await change('BUYER_CONFIRMED', {
        type: 'BUYER_CONFIRMED',
        actor,
        summary: 'Buyer confirmed the purchase order',
        notify: ['supplier'],
        ...say.buyerConfirmed(state.amounts.total),
      });
    },
  );

  onUpdate(
    confirmBySupplierUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['supplier'], input, 'confirm the purchase order as supplier');
        refuseIf(confirmAsSupplierRefusal(snapshot()));
      },
      check: ({ draftRevision }) => refuseIf(confirmedTermsRefusal(snapshot(), draftRevision)),
    },
    async ({ actor }: ConfirmInput) => {
      // Claim the status now so a second confirmation is refused while coverage is reserved.
      state.status = 'CONFIRMED';
      confirming = true;
      const reservation = await acts.reserveCoverage({ orderId, supplierId, currency, requested: state.amounts.total }).finally(() => {
        confirming = false;
      });
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
      await change('CONFIRMED', {
        type: 'SUPPLIER_CONFIRMED',
        actor,
        summary: `Supplier confirmed the purchase order, accepting all terms; Trade Assurance covers ${money(reservation.covered)}`,
        data: { covered: reservation.covered, granted: reservation.granted },
        notify: ['buyer', 'supplier'],
        ...say.confirmed({ deposit: state.amounts.deposit, depositDueDays: policy.depositDueDays, covered: reservation.covered }),
      });
    },
  );

  // ---- changes to the draft before both confirm ---------------------------------------------------
  const partyOf = (actor: Actor): 'buyer' | 'supplier' | 'ops' => (actor.role === 'buyer' ? 'buyer' : actor.role === 'supplier' ? 'supplier' : 'ops');

  onUpdate(
    requestChangesUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['buyer', 'supplier'], input, 'request changes to the purchase order');
        refuseIf(requestChangesRefusal(snapshot()));
      },
    },
    async ({ actor, message }: RequestChangesInput) => {
      const by = partyOf(actor);
      const revision = state.draftRevision ?? 1;
      const voided = state.status === 'BUYER_CONFIRMED';
      state.changeRequests = [...(state.changeRequests ?? []), { by, message, at: iso(nowMs()), revision }];
      state.changesPending = true;
      await change('DRAFT', {
        type: 'CHANGES_REQUESTED',
        actor,
        summary: `The ${by} asked for changes to draft revision ${revision}: ${message}${voided ? "; the buyer's confirmation is void" : ''}`,
        data: { by, message, revision, voidedConfirmation: voided },
        notify: by === 'buyer' ? ['supplier'] : by === 'supplier' ? ['buyer'] : ['buyer', 'supplier'],
        ...say.changesRequested({ by, revision, message, voided }),
      });
    },
  );

  onUpdate(
    reviseDraftUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['supplier'], input, 'revise the purchase order');
        refuseIf(reviseDraftRefusal(snapshot()));
      },
      check: ({ terms: revised }: ReviseDraftInput) => refuseIf(revisedTermsRefusal(snapshot(), revised)),
    },
    async ({ actor, terms: revised, message }: ReviseDraftInput) => {
      const revision = (state.draftRevision ?? 1) + 1;
      const previous = { total: state.amounts.total, deposit: state.amounts.deposit, shippingDate: state.shippingDate ?? terms.shippingDate };
      const revisedTotal = orderTotal(revised.items);
      const voided = state.status === 'BUYER_CONFIRMED';
      state.terms = revised;
      state.draftRevision = revision;
      state.changesPending = false;
      Object.assign(state.amounts, { total: revisedTotal, deposit: revised.depositAmount, balance: revisedTotal - revised.depositAmount });
      state.shippingDate = revised.shippingDate;
      // A revision is a new draft to review: the window for both confirmations starts again.
      setDeadline({
        id: 'draft-expiry',
        kind: 'draft-expiry',
        dueAt: nowMs() + policy.draftExpiryDays * DAY_MS,
        rule: `a draft not confirmed by both parties within ${policy.draftExpiryDays} days of its latest revision (${revision}) expires`,
        onExpiry: 'the purchase order expires',
      });
      if (revised.shippingDate !== previous.shippingDate) tellMonitoring(state.monitoringIds ?? [], revised.shippingDate);
      await change('DRAFT', {
        type: 'DRAFT_REVISED',
        actor,
        summary:
          `Purchase order revised (revision ${revision}): ${revised.items.length} item(s), ${money(revisedTotal)}, deposit ${money(revised.depositAmount)}, shipping by ${revised.shippingDate}` +
          `${message ? `: ${message}` : ''}; both parties confirm again`,
        data: {
          revision,
          total: revisedTotal,
          deposit: revised.depositAmount,
          shippingDate: revised.shippingDate,
          previous,
          items: revised.items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPrice: i.unitPrice })),
          ...(message ? { message } : {}),
          voidedConfirmation: voided,
        },
        notify: ['buyer'],
        ...say.revised({ supplierId, revision, total: revisedTotal, previousTotal: previous.total, deposit: revised.depositAmount, shippingDate: revised.shippingDate, message }),
      });
    },
  );

  onUpdate(
    payUpdate,
    {
      // Asked without a kind (the query), the payment due now is meant (payRefusal's default).
      when: (actor, { kind }) => {
        requireActor(actor, ['buyer'], input, 'pay for the order');
        refuseIf(payRefusal(snapshot(), kind));
      },
      check: (payment: PaymentInput) => refuseIf(paymentAmountRefusal(snapshot(), payment)),
    },
    async ({ actor, kind, amount, reference }: PaymentInput) => {
      const now = nowMs();
      setAccount(applyPayment(account(), amount));
      const fullyPaid = state.amounts.paid === state.amounts.total;
      const status: OrderStatus = fullyPaid ? 'PAID' : 'DEPOSIT_PAID';
      state.paidAt ??= iso(now);
      clearKinds('deposit-due', 'balance-due');
      state.status = status;
      if (!fullyPaid) scheduleShippingDeadlines();
      await change(status, {
        type: kind === 'deposit' ? 'DEPOSIT_PAID' : 'BALANCE_PAID',
        actor,
        summary: `${kind === 'deposit' ? 'Deposit' : 'Balance'} of ${money(amount)} paid and held in escrow`,
        data: { kind, amount, currency, reference },
        notify: ['buyer', 'supplier'],
        ...say.paid({ kind, amount, fullyPaid, shippingDate: state.shippingDate ?? terms.shippingDate, balance: state.amounts.balance }),
        before: () => acts.holdPaymentInEscrow(movement(`payment:${kind}`, buyerId, amount)),
      });
    },
  );

  onUpdate(
    shipUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['supplier'], input, 'ship the order');
        refuseIf(shipRefusal(snapshot()));
      },
    },
    async ({ actor, carrier, trackingNumber }: ShipInput) => {
      const now = nowMs();
      state.shipment = { carrier, trackingNumber, shippedAt: iso(now) };
      clearKinds('shipping-reminder', 'shipping-date', 'balance-due');
      setDeadline({
        id: 'carrier-check',
        kind: 'carrier-check',
        dueAt: now + policy.carrierNoDataHours * HOUR_MS,
        rule: `the carrier's data is checked ${policy.carrierNoDataHours} h after the shipping proof`,
        onExpiry: "the carrier's first scan counts as the shipping time; without carrier data, the proof's upload time counts",
      });
      await change('SHIPPED', {
        type: 'SHIPPED',
        actor,
        summary: `Shipped with ${carrier}, tracking number ${trackingNumber}`,
        data: { carrier, trackingNumber },
        notify: ['buyer'],
        ...say.shipped({ carrier, trackingNumber }),
      });
    },
  );

  onUpdate(
    markDeliveredUpdate,
    {
      when: (actor) => {
        requireActor(actor, [], input, 'record a delivery');
        refuseIf(markDeliveredRefusal(snapshot()));
      },
    },
    async ({ actor }: ActionInput) => {
      state.deliveredAt = iso(nowMs());
      state.status = 'DELIVERED';
      scheduleReceivingWindow();
      await change('DELIVERED', {
        type: 'DELIVERED',
        actor,
        summary: 'Goods delivered to the buyer',
        notify: ['buyer', 'supplier'],
        ...say.delivered(state.receivingWindowEndsAt),
      });
    },
  );

  onUpdate(
    confirmReceiptUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['buyer'], input, 'confirm receipt');
        refuseIf(confirmReceiptRefusal(snapshot()));
      },
    },
    async ({ actor }: ActionInput) => {
      await completeReceipt(actor, false);
    },
  );

  onUpdate(
    cancelOrderUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['buyer', 'supplier'], input, 'cancel the order');
        refuseIf(cancelRefusal(snapshot(), actor));
      },
    },
    async ({ actor, reason }: CancelInput) => {
      const paid = state.amounts.paid > 0;
      const type = !paid ? 'CANCELLED' : actor.role === 'ops' && !withinChangeWindow() ? 'CANCELLED_BY_RECALL' : 'CANCELLED_IN_WINDOW';
      await cancel(actor, `${reason} (by the ${actor.role})`, type);
    },
  );

  function withinChangeWindow(): boolean {
    return withinChangeCancelWindow(snapshot());
  }

  /** Tells linked monitoring tasks the order's shipping date; a closed task no longer listens. */
  function tellMonitoring(monitoringIds: string[], shipmentDate: string): void {
    signalTasks(monitoringIds, orderShipmentDateSignal, { orderId, shipmentDate });
  }

  // The API takes a place for a monitoring task before starting it: the limit holds under any number
  // of bookings at once. The task links itself again when it starts (the same id: nothing changes).
  onUpdate(
    reserveMonitoringUpdate,
    {
      when: (actor) => requireActor(actor, ['buyer', 'supplier'], input, 'book production monitoring on this order'),
      check: ({ monitoringId }) => refuseIf(reserveMonitoringRefusal(snapshot(), monitoringId)),
    },
    async ({ monitoringId }: ReserveMonitoringInput) => {
      // A place only: the order tells a task of its changes once the task has linked itself, so an id
      // a caller names (another order's task, say) never receives this order's signals.
      const taken = state.monitoringReservations ?? [];
      if (!taken.includes(monitoringId)) state.monitoringReservations = [...taken, monitoringId];
    },
  );

  // A monitoring task links itself when it starts; if the date it was booked against is already
  // stale (an extension raced the booking), it is told the current one straight away.
  setHandler(linkMonitoringSignal, ({ monitoringId, shipmentDate }) => {
    const linked = state.monitoringIds ?? [];
    if (!linked.includes(monitoringId)) state.monitoringIds = [...linked, monitoringId];
    // A task that links itself after the order was cancelled (booked just before) closes with it too,
    // and so does one that links itself to an expired draft.
    if (state.status === 'CANCELLED' && cancelTellsTasks()) {
      tellTasksCancelled([monitoringId], state.closedReason ?? 'the order was cancelled');
      return;
    }
    if (state.status === 'EXPIRED' && expiryTellsTasks()) {
      tellTasksCancelled([monitoringId], expiredReason);
      return;
    }
    const current = state.shippingDate ?? terms.shippingDate;
    if (current !== shipmentDate) tellMonitoring([monitoringId], current);
  });

  onUpdate(
    extendShippingUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['buyer'], input, 'grant a shipping extension');
        refuseIf(extendShippingRefusal(snapshot()));
      },
      check: ({ shippingDate }: ExtendShippingInput) => refuseIf(shippingDateRefusal(snapshot(), shippingDate)),
    },
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
        ...say.shippingExtended({ shippingDate, previous }),
      });
    },
  );

  onUpdate(
    extendReceivingUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['buyer', 'supplier'], input, 'extend the receiving window');
        refuseIf(extendReceivingRefusal(snapshot(), actor));
      },
      check: ({ days }: ExtendReceivingInput) => refuseIf(receivingExtensionRefusal(snapshot(), days)),
    },
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
        ...say.receivingExtended(state.receivingWindowEndsAt),
      });
    },
  );

  onUpdate(
    leaveFeedbackUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['buyer', 'supplier'], input, 'leave feedback');
        refuseIf(leaveFeedbackRefusal(snapshot(), actor));
      },
      check: ({ rating }: FeedbackInput) => refuseIf(ratingRefusal(rating)),
    },
    async ({ actor, rating, comment }: FeedbackInput) => {
      const party = actor.role === 'supplier' ? 'supplier' : 'buyer';
      state.feedback = { ...state.feedback, [party]: { rating, comment, at: iso(nowMs()) } };
      await change(state.status, {
        type: 'FEEDBACK_LEFT',
        actor,
        summary: `The ${party} left feedback: ${rating}/5`,
        data: { party, rating, comment },
        notify: [party === 'buyer' ? 'supplier' : 'buyer'],
        ...say.feedback({ party, rating, comment }),
      });
    },
  );

  // An after-service case's refund: from escrow while the funds are held, else recovered from the
  // supplier's payable, never more than what was paid less every refund. The case's update id makes
  // a retried request the same refund.
  onUpdate(
    afterServiceRefundUpdate,
    ({ actor, amount }: AfterServiceRefundInput) => {
      requireActor(actor, [], input, 'refund through an after-service case');
      refuseIf(afterServiceRefundRefusal(snapshot(), amount));
    },
    async ({ actor, caseId, amount, reason }: AfterServiceRefundInput) => {
      const plan = planRefund(account(), 'after-service', amount) ?? { amount: 0, fromEscrow: 0, fromSupplier: 0 };
      setAccount(applyRefund(account(), 'after-service', plan));
      const { fromEscrow, fromSupplier } = plan;
      const step = `case:${caseId}:refund:${state.revision + 1}`;
      await change(state.status, {
        type: 'AFTER_SERVICE_REFUND',
        actor,
        summary: `After-service case ${caseId}: ${money(amount)} refunded to the buyer (${reason})`,
        data: { caseId, amount, fromEscrow, fromSupplier, reason },
        notify: ['supplier'],
        ...say.afterServiceRefund({ caseId, amount, reason, fromSupplier }),
        before: async () => {
          if (fromEscrow > 0) await acts.refundEscrowToBuyer(movement(`${step}:escrow`, buyerId, fromEscrow));
          if (fromSupplier > 0) await acts.refundFromSupplierPayable({ ...movement(`${step}:supplier`, buyerId, fromSupplier), supplierId });
        },
      });
    },
  );

  await drafted;

  if (escrowV5) {
    // The order is closed when it is terminal with no claim open; it ends only once, besides that,
    // no deadline is left and every handler (and its recorded change) has finished.
    const owed = () => (state.refundPayments ?? []).some((x) => x.status === 'PENDING');
    const closed = () => TERMINAL_STATUSES.includes(state.status) && openClaims().length === 0 && !owed();
    for (;;) {
      await runDeadlinesSerially({
        list: deadlines,
        finished: closed,
        fire: (id) =>
          lock.run(async () => {
            const due = deadlines().find((d) => d.id === id);
            if (!due || Date.parse(due.dueAt) > nowMs()) return;
            clearDeadlines((d) => d.id === id);
            const revision = state.revision;
            await fire(due);
            // A deadline that passed without changing anything else is recorded all the same, so the
            // read model never lists a deadline the order no longer has.
            if (state.revision === revision) await recordPassed(due);
          }),
      });
      await condition(allHandlersFinished);
      await drained();
      if (closed() && deadlines().length === 0) break;
    }
    return state;
  }

  // Deadlines: sleep until the earliest falls due or the state changes, then act on what is due.
  await runDeadlines({
    list: deadlines,
    take: (id) => clearDeadlines((d) => d.id === id),
    wake: core.wake,
    finished: () => TERMINAL_STATUSES.includes(state.status) && openClaims().length === 0,
    fire,
  });
  await drained();
  await condition(allHandlersFinished);
  return state;
}
