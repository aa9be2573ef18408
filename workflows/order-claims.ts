/**
 * The claims process of a Trade Assurance order: opening a claim, the supplier's answer, escalation,
 * the platform's decision, evidence and its requests, and what each claim's deadlines do. It runs
 * inside tradeOrderWorkflow (one workflow owns the order and its claims) and moves money only
 * through the order's escrow account (./escrow).
 */
import { ApplicationFailure, type UpdateDefinition as WorkflowUpdateDefinition } from '@temporalio/common';
import type { Activities } from '../activities';
import type { EscrowMovement } from '../activities/ledger';
import { Actor, DAY_MS, EVIDENCE_HELD } from './common';
import { getCalendar } from './calendar';
import { orderNotices } from './order.notices';
import {
  EscrowAccount,
  applyRefund,
  planRefund,
  refundSettles,
  EscrowStage,
} from './escrow';
import {
  AddEvidenceInput,
  Claim,
  ClaimActionInput,
  Deadline,
  DeadlineKind,
  DecideClaimInput,
  OpenClaimInput,
  OrderAck,
  OrderState,
  OrderStatus,
  RequestEvidenceInput,
  SupplierResponseInput,
  TradeOrderInput,
  acceptCounterOfferUpdate,
  addEvidenceUpdate,
  decideClaimUpdate,
  escalateClaimUpdate,
  openClaimUpdate,
  requestEvidenceUpdate,
  respondToClaimUpdate,
  withdrawClaimUpdate,
} from './order.messages';
import type { Validation } from './actions';
import { OrderPolicy, claimDayStart } from './order.policy';
import type { OrderEventType } from './read-model';
import { Party, calendarWords, iso, nowMs, refuse, requireParty, workingDeadline } from './process-kit';
import {
  OrderSnapshot,
  acceptCounterOfferRefusal,
  addEvidenceRefusal,
  claimDecisionRefusal,
  claimResponseRefusal,
  decideClaimRefusal,
  escalateClaimRefusal,
  evidenceDueRefusal,
  evidenceFileRefusal,
  isRepeatedEvidence,
  newClaimRefusal,
  openClaimRefusal,
  partyOf,
  requestEvidenceRefusal,
  respondToClaimRefusal,
  withdrawClaimRefusal,
} from './order.rules';

/** Refuses the action with the rule's message, if the rule gives one (./order.rules). */
function refuseIf(refusal: string | undefined): void {
  if (refusal !== undefined) refuse(refusal);
}

/** One recorded change of the order: its timeline entry, its notices, and the money it moves first. */
export interface OrderChange {
  type: OrderEventType;
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

type UpdateDefinition<A> = WorkflowUpdateDefinition<OrderAck, [A]>;

/** What the claims process needs of the order that holds it. */
export interface OrderProcess {
  input: TradeOrderInput;
  state: OrderState;
  policy: OrderPolicy;
  /** Orders from ORDER_ESCROW_PATCH on: refunds planned by the escrow account, settlement once no claim is open. */
  escrowV5: boolean;
  acts: Pick<Activities, 'refundEscrowToBuyer' | 'refundFromSupplierPayable' | 'releaseEscrowToSupplier'>;
  money(amount: number): string;
  change(status: OrderStatus, c: OrderChange): Promise<void>;
  setDeadline(d: Omit<Deadline, 'dueAt' | 'policyVersion'> & { dueAt: number }): void;
  clearDeadlines(match: (d: Deadline) => boolean): void;
  account(): EscrowAccount;
  setAccount(a: EscrowAccount): void;
  movement(step: string, partyId: string, amount: number): EscrowMovement;
  /** Registers an Update: the validator refuses early, and (from ORDER_ESCROW_PATCH on) runs again under the order's lock. */
  onUpdate<A extends { actor: Actor }>(
    def: UpdateDefinition<A>,
    validation: ((a: A) => void) | Validation<A>,
    run: (a: A) => Promise<Partial<OrderAck> | void>,
    /**
     * Runs after the validation when Temporal asks whether to accept the Update, and only then (not
     * again in the handler): what it throws rejects the Update without a trace in the history.
     */
    beforeAccept?: (a: A) => void,
  ): void;
  /** The escrow stage of the order now, for the settlement rule. */
  stage(): EscrowStage;
  /** The last open claim closed: a pending settlement, or windows that waited for the claims, act now. */
  afterClaimsClosed(): Promise<void>;
  /** Legacy orders (before ORDER_ESCROW_PATCH): a refund while funds are held settles the order at once. */
  settleLegacy(claim: Claim, fromEscrow: number, reason: string, actor: Actor): Promise<void>;
  /**
   * A refund was decided on a claim: sets its payment deadline (orders from the refund-payment change
   * on) and returns what starts the payout once the refund is recorded, with the due time.
   */
  refundDecided(claimId: string, amount: number): { dueAt: string; start: () => void } | undefined;
  /** Whether a repeated evidence file answers as the first and records nothing (asked only on a repeat). */
  recordsRepeatedEvidenceOnce(): boolean;
}

export function createClaims(p: OrderProcess) {
  const { input, state, policy, money } = p;
  const { orderId } = input;
  const say = orderNotices(orderId, input.terms.currency);
  const claims = () => state.claims ?? [];
  const openClaims = () => claims().filter((c) => c.status !== 'CLOSED');
  const clearClaimDeadlines = (claimId: string) => p.clearDeadlines((d) => d.claimId === claimId);
  // The ops calendar at the version the order's policy pins: a later calendar release moves no deadline of this order.
  const opsCalendar = () => getCalendar(policy.opsCalendar, policy.opsCalendarVersion);
  const requireActor = (actor: Actor, allowed: Party[], action: string) => requireParty(actor, allowed, input, action);
  const openClaimIds = () => openClaims().map((c) => c.id);

  function findClaim(claimId: string): Claim {
    const claim = claims().find((c) => c.id === claimId);
    if (!claim) refuse(`no claim ${claimId} on order ${orderId}`);
    return claim;
  }

  /** The order as the claim rules (./order.rules) see it now. */
  const snapshot = (): OrderSnapshot => ({ state, policy, now: nowMs() });

  function escalate(claim: Claim, by: 'buyer' | 'system', actor: Actor): Promise<void> {
    const now = nowMs();
    claim.status = 'ESCALATED';
    claim.escalatedAt = iso(now);
    claim.escalatedBy = by;
    clearClaimDeadlines(claim.id);
    const calendar = opsCalendar();
    const reminder = workingDeadline(calendar, now, policy.opsDecisionReminderWorkingDays);
    const due = workingDeadline(calendar, now, policy.opsDecisionWorkingDays);
    const dueAt = due.dueAt;
    p.setDeadline({
      id: `claim-${claim.id}-decision-reminder`,
      kind: 'claim-decision-reminder',
      claimId: claim.id,
      dueAt: reminder.dueAt,
      rule: `ops is reminded ${policy.opsDecisionReminderWorkingDays} working day(s) after escalation (${calendarWords(calendar, reminder.provisional)})`,
      onExpiry: 'ops is reminded to decide the claim',
      ...(reminder.provisional ? { provisional: true } : {}),
    });
    p.setDeadline({
      id: `claim-${claim.id}-decision-due`,
      kind: 'claim-decision-due',
      claimId: claim.id,
      dueAt,
      rule: `ops decides within ${policy.opsDecisionWorkingDays} working days of escalation (${calendarWords(calendar, due.provisional)})`,
      onExpiry: 'the decision is overdue: ops leads are paged',
      ...(due.provisional ? { provisional: true } : {}),
    });
    return p.change(state.status, {
      type: 'CLAIM_ESCALATED',
      actor,
      summary: `Claim ${claim.id} escalated to the platform${by === 'system' ? ` automatically on day ${policy.autoEscalationDay}` : ' by the buyer'}`,
      data: { claimId: claim.id, decisionDueAt: iso(dueAt) },
      notify: ['buyer', 'supplier'],
      ...say.claimEscalated({ claimId: claim.id, decideBy: iso(dueAt) }),
      ops: { audience: 'ops', ...say.claimToDecide({ claimId: claim.id, cause: claim.cause, refundAsked: claim.refundAsked, decideBy: iso(dueAt) }) },
    });
  }

  function closeWithoutRefund(claim: Claim, reason: string, actor: Actor): Promise<void> {
    return p.change(state.status, {
      type: 'CLAIM_DECIDED',
      actor,
      summary: `Claim ${claim.id} closed without a refund: ${reason}`,
      data: { claimId: claim.id, refund: 0 },
      notify: ['buyer', 'supplier'],
      ...say.claimClosedWithoutRefund({ claimId: claim.id, reason }),
    });
  }

  /**
   * Closes a claim with a refund of at most `asked` (maybe zero). The escrow account plans the refund:
   * never above what claims may still refund, paid first from escrow, the rest recovered from what
   * the supplier was paid. After delivery, or when nothing is left held, the refund settles the order
   * once no other claim is open; a partial refund before delivery leaves the order running.
   */
  async function decide(claim: Claim, asked: number, by: 'supplier' | 'buyer' | 'ops' | 'system', reason: string, actor: Actor): Promise<void> {
    claim.status = 'CLOSED';
    clearClaimDeadlines(claim.id);
    if (!p.escrowV5) return decideLegacy(claim, asked, by, reason, actor);

    const before = p.account();
    const plan = planRefund(before, 'claim', asked);
    const refund = plan?.amount ?? 0;
    const capped = refund < asked ? ` (${money(asked)} asked; ${money(refund)} was still refundable on this order)` : '';
    claim.decision = { refund, reason: `${reason}${capped}`, by, at: iso(nowMs()) };
    claim.outcome = refund > 0 ? 'REFUNDED' : 'NO_REFUND';
    if (!plan || refund === 0) {
      await closeWithoutRefund(claim, `${reason}${capped}`, actor);
      return p.afterClaimsClosed();
    }
    const stage = p.stage();
    const after = applyRefund(before, 'claim', plan);
    p.setAccount(after);
    if (refundSettles(after, stage)) state.settlementPending ??= claim.id;
    const payment = p.refundDecided(claim.id, refund);
    const step = `claim:${claim.id}:refund`;
    const sources =
      plan.fromSupplier === 0
        ? 'from escrow'
        : plan.fromEscrow === 0
          ? "from the supplier's payable"
          : `${money(plan.fromEscrow)} from escrow, ${money(plan.fromSupplier)} from the supplier's payable`;
    await p.change(state.status, {
      type: 'CLAIM_REFUNDED',
      actor,
      summary: `Claim ${claim.id} decided: ${money(refund)} refunded to the buyer (${sources})${capped}`,
      data: { claimId: claim.id, refund, fromEscrow: plan.fromEscrow, fromSupplier: plan.fromSupplier, reason },
      notify: ['buyer', 'supplier'],
      ...say.claimRefunded({
        claimId: claim.id,
        refund,
        reason,
        capped,
        ...(payment ? { paidBy: payment.dueAt, paymentDays: policy.refundPaymentWorkingDays } : {}),
        restHeld: openClaims().length > 0 && state.settlementPending !== undefined,
      }),
      before: async () => {
        if (plan.fromEscrow > 0) await p.acts.refundEscrowToBuyer(p.movement(step, input.buyerId, plan.fromEscrow));
        if (plan.fromSupplier > 0) {
          const supplierStep = plan.fromEscrow > 0 ? `${step}:supplier` : step;
          await p.acts.refundFromSupplierPayable({ ...p.movement(supplierStep, input.buyerId, plan.fromSupplier), supplierId: input.supplierId });
        }
      },
    });
    payment?.start();
    return p.afterClaimsClosed();
  }

  /** Orders before ORDER_ESCROW_PATCH keep the commands they were recorded with. */
  async function decideLegacy(claim: Claim, refund: number, by: 'supplier' | 'buyer' | 'ops' | 'system', reason: string, actor: Actor): Promise<void> {
    claim.decision = { refund, reason, by, at: iso(nowMs()) };
    claim.outcome = refund > 0 ? 'REFUNDED' : 'NO_REFUND';
    if (refund === 0) {
      await closeWithoutRefund(claim, reason, actor);
      return p.afterClaimsClosed();
    }
    state.amounts.refunded = (state.amounts.refunded ?? 0) + refund;
    state.amounts.claimRefunded = (state.amounts.claimRefunded ?? 0) + refund;
    if (state.amounts.held > 0) {
      await p.settleLegacy(claim, Math.min(refund, state.amounts.held), reason, actor);
    } else {
      state.amounts.recovered = (state.amounts.recovered ?? 0) + refund;
      await p.change(state.status, {
        type: 'CLAIM_REFUNDED',
        actor,
        summary: `Claim ${claim.id} decided: ${money(refund)} refunded to the buyer from the supplier's payable`,
        data: { claimId: claim.id, refund, reason },
        notify: ['buyer', 'supplier'],
        ...say.claimRefunded({ claimId: claim.id, refund, reason }),
        before: () => p.acts.refundFromSupplierPayable({ ...p.movement(`claim:${claim.id}:refund`, input.buyerId, refund), supplierId: input.supplierId }),
      });
    }
    return p.afterClaimsClosed();
  }

  /** What a claim's deadline does when it falls due; false when the deadline is not a claim's. */
  async function fire(d: Deadline): Promise<boolean> {
    const claim = d.claimId ? claims().find((c) => c.id === d.claimId) : undefined;
    switch (d.kind) {
      case 'claim-auto-escalation':
        if (claim && (claim.status === 'OPEN' || claim.status === 'RESPONDED')) await escalate(claim, 'system', { role: 'system' });
        return true;
      case 'claim-supplier-response':
        if (claim && claim.status === 'OPEN') {
          await p.change(state.status, {
            type: 'CLAIM_SUPPLIER_SILENT',
            actor: { role: 'system' },
            summary: `Supplier did not answer claim ${claim.id} within ${policy.supplierResponseDays} days`,
            data: { claimId: claim.id },
            notify: ['buyer', 'supplier'],
            ...say.claimNotAnswered({ claimId: claim.id, responseDays: policy.supplierResponseDays, escalationFromDay: policy.buyerEscalationFromDay, autoEscalationDay: policy.autoEscalationDay }),
          });
        }
        return true;
      case 'claim-decision-reminder':
        if (claim && claim.status === 'ESCALATED') {
          await p.change(state.status, {
            type: 'CLAIM_DECISION_REMINDER',
            actor: { role: 'system' },
            summary: `Ops reminded to decide claim ${claim.id}`,
            data: { claimId: claim.id },
            notify: [],
            subject: '',
            text: '',
            ops: { audience: 'ops', ...say.claimDecisionReminder(claim.id) },
          });
        }
        return true;
      case 'claim-decision-due':
        if (claim && claim.status === 'ESCALATED') {
          await p.change(state.status, {
            type: 'CLAIM_DECISION_OVERDUE',
            actor: { role: 'system' },
            summary: `Decision on claim ${claim.id} is overdue: ops leads paged`,
            data: { claimId: claim.id },
            notify: [],
            subject: '',
            text: '',
            ops: { audience: 'ops-leads', ...say.claimDecisionOverdue({ claimId: claim.id, dueAt: d.dueAt }) },
          });
        }
        return true;
      case 'evidence-due': {
        const request = claim?.evidenceRequests.find((r) => `evidence-${r.id}` === d.id);
        if (!claim || !request || request.status !== 'OPEN' || claim.status === 'CLOSED') return true;
        request.status = 'MISSED';
        if (request.party === 'buyer') {
          claim.status = 'CLOSED';
          claim.outcome = 'CANCELLED';
          clearClaimDeadlines(claim.id);
          await p.change(state.status, {
            type: 'CLAIM_CANCELLED',
            actor: { role: 'system' },
            summary: `Claim ${claim.id} cancelled: the buyer did not provide the requested evidence by ${request.dueAt}`,
            data: { claimId: claim.id, requestId: request.id },
            notify: ['buyer', 'supplier'],
            ...say.claimCancelledEvidenceMissing({ claimId: claim.id, dueAt: request.dueAt }),
          });
          await p.afterClaimsClosed();
        } else {
          await decide(
            claim,
            claim.refundAsked,
            'system',
            `the supplier did not provide the requested evidence by ${request.dueAt}; its answer is cancelled`,
            { role: 'system' },
          );
        }
        return true;
      }
      default:
        return false;
    }
  }

  const claimKinds: readonly DeadlineKind[] = ['claim-auto-escalation', 'claim-supplier-response', 'claim-decision-reminder', 'claim-decision-due', 'evidence-due'];

  // ---- handlers ---------------------------------------------------------------------------------
  p.onUpdate(
    openClaimUpdate as UpdateDefinition<OpenClaimInput>,
    {
      when: (actor) => {
        requireActor(actor, ['buyer'], 'open a claim');
        refuseIf(openClaimRefusal(snapshot()));
      },
      check: (claim: OpenClaimInput) => refuseIf(newClaimRefusal(snapshot(), claim)),
    },
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
      p.setDeadline({
        id: `claim-${claim.id}-supplier-response`,
        kind: 'claim-supplier-response',
        claimId: claim.id,
        dueAt: now + policy.supplierResponseDays * DAY_MS,
        rule: `the supplier answers a claim within ${policy.supplierResponseDays} days`,
        onExpiry: `the buyer may escalate from day ${policy.buyerEscalationFromDay}`,
      });
      p.setDeadline({
        id: `claim-${claim.id}-auto-escalation`,
        kind: 'claim-auto-escalation',
        claimId: claim.id,
        dueAt: claimDayStart(now, policy.autoEscalationDay),
        rule: `an unresolved claim escalates to the platform on day ${policy.autoEscalationDay}`,
        onExpiry: 'the claim escalates to ops for a decision',
      });
      await p.change(state.status, {
        type: 'CLAIM_OPENED',
        actor,
        summary: `Claim ${claim.id} opened (${cause}): refund asked ${money(refundAsked)}`,
        data: { claimId: claim.id, cause, refundAsked },
        notify: ['buyer', 'supplier'],
        ...say.claimOpened({ claimId: claim.id, cause, refundAsked, description, responseDays: policy.supplierResponseDays }),
      });
      return { claimId: claim.id };
    },
  );

  p.onUpdate(
    respondToClaimUpdate as UpdateDefinition<SupplierResponseInput>,
    {
      claims: openClaimIds,
      when: (actor, { claimId = '' }) => {
        requireActor(actor, ['supplier'], 'answer a claim');
        refuseIf(respondToClaimRefusal(snapshot(), claimId));
      },
      check: (response: SupplierResponseInput) => refuseIf(claimResponseRefusal(snapshot(), response)),
    },
    async ({ actor, claimId, kind, counterAmount, message }: SupplierResponseInput) => {
      const claim = findClaim(claimId);
      claim.supplierResponse = { kind, counterAmount, message, at: iso(nowMs()) };
      p.clearDeadlines((d) => d.claimId === claimId && d.kind === 'claim-supplier-response');
      if (kind === 'accept') {
        await decide(claim, claim.refundAsked, 'supplier', `the supplier accepted the claim: ${message}`, actor);
        return { claimId };
      }
      claim.status = 'RESPONDED';
      await p.change(state.status, {
        type: kind === 'counter' ? 'CLAIM_COUNTER_OFFER' : 'CLAIM_REJECTED_BY_SUPPLIER',
        actor,
        summary:
          kind === 'counter'
            ? `Supplier counter-offered ${money(counterAmount ?? 0)} on claim ${claimId}`
            : `Supplier rejected claim ${claimId}: ${message}`,
        data: { claimId, kind, counterAmount },
        notify: ['buyer'],
        ...say.claimAnswered({ claimId, kind, counterAmount: counterAmount ?? 0, message, escalationFrom: iso(claimDayStart(Date.parse(claim.openedAt), policy.buyerEscalationFromDay)) }),
      });
      return { claimId };
    },
  );

  p.onUpdate(
    acceptCounterOfferUpdate as UpdateDefinition<ClaimActionInput>,
    {
      claims: openClaimIds,
      when: (actor, { claimId = '' }) => {
        requireActor(actor, ['buyer'], 'accept a counter-offer');
        refuseIf(acceptCounterOfferRefusal(snapshot(), claimId));
      },
    },
    async ({ actor, claimId }: ClaimActionInput) => {
      const claim = findClaim(claimId);
      await decide(claim, claim.supplierResponse?.counterAmount ?? 0, 'buyer', "the buyer accepted the supplier's counter-offer", actor);
      return { claimId };
    },
  );

  p.onUpdate(
    escalateClaimUpdate as UpdateDefinition<ClaimActionInput>,
    {
      claims: openClaimIds,
      when: (actor, { claimId = '' }) => {
        requireActor(actor, ['buyer'], 'escalate a claim');
        refuseIf(escalateClaimRefusal(snapshot(), claimId));
      },
    },
    async ({ actor, claimId }: ClaimActionInput) => {
      await escalate(findClaim(claimId), 'buyer', actor);
      return { claimId };
    },
  );

  p.onUpdate(
    withdrawClaimUpdate as UpdateDefinition<ClaimActionInput>,
    {
      claims: openClaimIds,
      when: (actor, { claimId = '' }) => {
        requireActor(actor, ['buyer'], 'withdraw a claim');
        refuseIf(withdrawClaimRefusal(snapshot(), claimId));
      },
    },
    async ({ actor, claimId }: ClaimActionInput) => {
      const claim = findClaim(claimId);
      claim.status = 'CLOSED';
      claim.outcome = 'WITHDRAWN';
      clearClaimDeadlines(claimId);
      await p.change(state.status, {
        type: 'CLAIM_WITHDRAWN',
        actor,
        summary: `Claim ${claimId} withdrawn by the buyer`,
        data: { claimId },
        notify: ['buyer', 'supplier'],
        ...say.claimWithdrawn(claimId),
      });
      await p.afterClaimsClosed();
      return { claimId };
    },
  );

  p.onUpdate(
    decideClaimUpdate as UpdateDefinition<DecideClaimInput>,
    {
      claims: openClaimIds,
      when: (actor, { claimId = '' }) => {
        requireActor(actor, [], 'decide a claim');
        refuseIf(decideClaimRefusal(snapshot(), claimId));
      },
      check: (decision: DecideClaimInput) => refuseIf(claimDecisionRefusal(snapshot(), decision)),
    },
    async ({ actor, claimId, refund, reason }: DecideClaimInput) => {
      await decide(findClaim(claimId), refund, 'ops', reason, actor);
      return { claimId };
    },
  );

  p.onUpdate(
    addEvidenceUpdate as UpdateDefinition<AddEvidenceInput>,
    {
      claims: openClaimIds,
      when: (actor, { claimId = '', file }) => {
        requireActor(actor, ['buyer', 'supplier'], 'add evidence to a claim');
        refuseIf(addEvidenceRefusal(snapshot(), actor, claimId, file));
      },
      check: (evidence: AddEvidenceInput) => refuseIf(evidenceFileRefusal(snapshot(), evidence.actor, evidence)),
    },
    async ({ actor, claimId, file }: AddEvidenceInput) => {
      const claim = findClaim(claimId);
      const party = partyOf(actor);
      // The same file again (a retry, or both copies of a double send): the claim already holds it.
      if (isRepeatedEvidence(claim, party, file.sha256) && p.recordsRepeatedEvidenceOnce()) return { claimId };
      claim.evidence.push({ ...file, uploadedBy: party, uploadedAt: iso(nowMs()) });
      for (const request of claim.evidenceRequests) {
        if (request.party === party && request.status === 'OPEN') {
          request.status = 'FULFILLED';
          p.clearDeadlines((d) => d.id === `evidence-${request.id}`);
        }
      }
      await p.change(state.status, {
        type: 'CLAIM_EVIDENCE_ADDED',
        actor,
        summary: `Evidence added to claim ${claimId} by the ${party}: ${file.name}`,
        data: { claimId, fileId: file.fileId, name: file.name },
        notify: [],
        subject: '',
        text: '',
      });
      return { claimId };
    },
    // A file the claim already holds from this party is refused before it is accepted, so a party
    // repeating one upload adds nothing to the history (an accepted Update is recorded even when it
    // changes nothing); the API answers the repeat as the first (EVIDENCE_HELD). Two copies sent at
    // once may both be accepted: the handler above records the second as nothing.
    ({ actor, claimId, file }: AddEvidenceInput) => {
      if (isRepeatedEvidence(findClaim(claimId), partyOf(actor), file.sha256)) {
        throw ApplicationFailure.create({ type: EVIDENCE_HELD, message: `claim ${claimId} already holds this file (${file.sha256}) from the ${partyOf(actor)}`, nonRetryable: true });
      }
    },
  );

  p.onUpdate(
    requestEvidenceUpdate as UpdateDefinition<RequestEvidenceInput>,
    {
      claims: openClaimIds,
      when: (actor, { claimId = '' }) => {
        requireActor(actor, [], 'request evidence');
        refuseIf(requestEvidenceRefusal(snapshot(), claimId));
      },
      check: ({ dueAt }: RequestEvidenceInput) => refuseIf(evidenceDueRefusal(snapshot(), dueAt)),
    },
    async ({ actor, claimId, party, description, dueAt }: RequestEvidenceInput) => {
      const claim = findClaim(claimId);
      const request = { id: `${claimId}-E${claim.evidenceRequests.length + 1}`, party, description, dueAt: iso(Date.parse(dueAt)), status: 'OPEN' as const };
      claim.evidenceRequests.push(request);
      p.setDeadline({
        id: `evidence-${request.id}`,
        kind: 'evidence-due',
        claimId,
        dueAt: Date.parse(dueAt),
        rule: `evidence requested from the ${party} on claim ${claimId}`,
        onExpiry: party === 'buyer' ? "the buyer's claim is cancelled" : "the supplier's answer is cancelled and the refund asked is granted",
      });
      await p.change(state.status, {
        type: 'CLAIM_EVIDENCE_REQUESTED',
        actor,
        summary: `Evidence requested from the ${party} on claim ${claimId}, due ${request.dueAt}: ${description}`,
        data: { claimId, requestId: request.id, party, dueAt: request.dueAt },
        notify: [party],
        ...say.evidenceRequested({ claimId, description, dueAt: request.dueAt }),
      });
      return { claimId };
    },
  );

  return { claims, openClaims, fire, claimKinds };
}
