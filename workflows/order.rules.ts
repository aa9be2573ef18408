/**
 * What an order allows now: the rule behind each of the order workflow's Update validators, and of
 * its claims (./order-claims). Each rule reads a snapshot of the order (its state, its pinned policy,
 * the time) and returns why the action is refused, in words a person can act on, or undefined when
 * it is allowed. Who may act (the order's buyer, supplier, ops) is the workflow's `requireParty`
 * check, made before these; a rule here sees only an actor's role where the rule itself depends on it.
 *
 * Pure and deterministic: no Temporal import, no clock (the caller passes `now`). Imported by the
 * order workflow, by unit tests, and by the API for a read-only preview.
 */
import { Actor, DAY_MS, HOUR_MS } from './common';
import { afterServicePolicy, changeCancelWindowClosesAt } from './after-service.policy';
import { EscrowAccount, afterServiceRefundable, claimRefundCeiling } from './escrow';
import { formatMoney } from './money';
import type {
  AddEvidenceInput,
  Claim,
  DecideClaimInput,
  OpenClaimInput,
  OrderState,
  OrderStatus,
  PaymentInput,
  PaymentKind,
  SupplierResponseInput,
} from './order.messages';
import { DraftCheck, DraftTerms, OrderPolicy, TERMINAL_STATUSES, checkDraft, claimDayStart, latestShippingDate, shippingPeriodDays } from './order.policy';

/** The order as its rules see it at one instant. */
export interface OrderSnapshot {
  state: OrderState;
  policy: OrderPolicy;
  /** Workflow time, epoch ms. */
  now: number;
  /** The supplier's confirmation is still reserving coverage (its handler has not finished). */
  confirming?: boolean;
  /** What a revised draft is held to beyond its terms (the rules of the order's code revision). */
  draftCheck?: DraftCheck;
}


/** Confirmed and not shipped: the order has a shipping date that can still be met or extended. */
export const PRE_SHIPMENT: readonly OrderStatus[] = ['CONFIRMED', 'DEPOSIT_PAID', 'PAID'];
const BEFORE_BOTH_CONFIRM: readonly OrderStatus[] = ['DRAFT', 'BUYER_CONFIRMED'];
const CANCELLABLE: readonly OrderStatus[] = ['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED', 'DEPOSIT_PAID', 'PAID'];
const UNPAID: readonly OrderStatus[] = ['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED'];
/** Statuses in which a claim may be opened, besides the post-receipt window of a completed order. */
const CLAIMABLE: readonly OrderStatus[] = ['DEPOSIT_PAID', 'PAID', 'SHIPPED', 'DELIVERED'];

const iso = (ms: number) => new Date(ms).toISOString();
const moneyOf = (state: OrderState) => (amount: number) => formatMoney(amount, state.amounts.currency);
const openClaimsOf = (state: OrderState): Claim[] => (state.claims ?? []).filter((c) => c.status !== 'CLOSED');

/** The order's escrow account, read from its amounts. */
export function escrowAccountOf(state: Pick<OrderState, 'amounts'>): EscrowAccount {
  const a = state.amounts;
  return {
    currency: a.currency,
    paid: a.paid,
    held: a.held,
    covered: a.covered ?? 0,
    refunded: a.refunded ?? 0,
    claimRefunded: a.claimRefunded ?? 0,
    released: a.released,
    recovered: a.recovered ?? 0,
  };
}

/** The party an actor acts for on a claim: the buyer, the supplier, or ops (everyone else). */
export function partyOf(actor: Pick<Actor, 'role'>): 'buyer' | 'supplier' | 'ops' {
  return actor.role === 'supplier' ? 'supplier' : actor.role === 'buyer' ? 'buyer' : 'ops';
}

function statusRefusal(current: OrderStatus, expected: readonly OrderStatus[], action: string, why: string): string | undefined {
  return expected.includes(current) ? undefined : `cannot ${action}: ${why} (order is ${current})`;
}

/** Any action but the supplier's confirmation waits while that confirmation reserves coverage. */
export function confirmingRefusal(order: Pick<OrderSnapshot, 'confirming'>, action: string): string | undefined {
  return order.confirming ? `cannot ${action}: the supplier's confirmation is being recorded; try again in a moment` : undefined;
}

/** Confirmations wait while changes are asked for and not yet made. */
export function changesPendingRefusal(state: OrderState, action: string): string | undefined {
  if (!state.changesPending) return undefined;
  const last = state.changeRequests?.at(-1);
  return `cannot ${action}: the ${last?.by ?? 'buyer'} asked for changes at ${last?.at ?? 'an earlier time'} ("${last?.message ?? ''}"); the supplier revises the draft first`;
}

// ---- the purchase order ---------------------------------------------------------------------------

export function confirmAsBuyerRefusal({ state }: OrderSnapshot): string | undefined {
  return statusRefusal(state.status, ['DRAFT'], 'confirm as buyer', "only a draft awaits the buyer's confirmation") ?? changesPendingRefusal(state, 'confirm as buyer');
}

export function confirmAsSupplierRefusal({ state }: OrderSnapshot): string | undefined {
  if (state.status === 'DRAFT') return 'cannot confirm as supplier: the buyer has not confirmed the purchase order yet';
  if (TERMINAL_STATUSES.includes(state.status)) return `cannot confirm as supplier: the order is ${state.status.toLowerCase()}`;
  return statusRefusal(state.status, ['BUYER_CONFIRMED'], 'confirm as supplier', 'the purchase order is already confirmed');
}

export function requestChangesRefusal(order: OrderSnapshot): string | undefined {
  const { state, policy } = order;
  const refusal =
    confirmingRefusal(order, 'request changes') ??
    statusRefusal(state.status, BEFORE_BOTH_CONFIRM, 'request changes', 'changes are asked for before both parties confirm the purchase order');
  if (refusal) return refusal;
  const asked = state.changeRequests?.length ?? 0;
  const limit = policy.limits.maxChangeRequests;
  if (asked >= limit) {
    return `cannot request changes: this draft has had ${asked} requests for changes, the most allowed (limit maxChangeRequests = ${limit}); cancel the order and draft a new one`;
  }
  return undefined;
}

export function reviseDraftRefusal(order: OrderSnapshot): string | undefined {
  const { state, policy } = order;
  const refusal =
    confirmingRefusal(order, 'revise the draft') ??
    statusRefusal(state.status, BEFORE_BOTH_CONFIRM, 'revise the draft', 'a purchase order is revised before both parties confirm it');
  if (refusal) return refusal;
  const revision = state.draftRevision ?? 1;
  const limit = policy.limits.maxDraftRevisions;
  if (revision >= limit) {
    return `cannot revise the draft: it is at revision ${revision}, the most allowed (limit maxDraftRevisions = ${limit}); cancel the order and draft a new one`;
  }
  return undefined;
}

/**
 * A confirmation that names the draft revision it approves confirms those terms only: once the
 * supplier has revised the draft since, it is refused, so that nobody confirms terms they never saw.
 */
export function confirmedTermsRefusal({ state }: OrderSnapshot, draftRevision: number | undefined): string | undefined {
  if (draftRevision === undefined) return undefined;
  const current = state.draftRevision ?? 1;
  if (draftRevision === current) return undefined;
  return `cannot confirm draft revision ${draftRevision}: the terms are at draft revision ${current} now; read the order again and confirm the terms it shows (draftRevision ${current})`;
}

/**
 * A monitoring task may be booked on an order that is open and has a place left (maxMonitoringTasks
 * over its life); the same task's id again finds its place taken.
 */
export function reserveMonitoringRefusal({ state, policy }: OrderSnapshot, monitoringId: string): string | undefined {
  if (TERMINAL_STATUSES.includes(state.status)) return `cannot book production monitoring: order ${state.orderId} is ${state.status.toLowerCase()}`;
  const taken = [...new Set([...(state.monitoringReservations ?? []), ...(state.monitoringIds ?? [])])];
  const limit = policy.limits.maxMonitoringTasks;
  if (!taken.includes(monitoringId) && taken.length >= limit) {
    return `cannot book production monitoring: order ${state.orderId} already has ${taken.length} monitoring tasks, the most allowed (limit maxMonitoringTasks = ${limit})`;
  }
  return undefined;
}

/** The revised terms: the same currency, and a draft that may be started today (UTC). */
export function revisedTermsRefusal({ state, policy, now, draftCheck }: OrderSnapshot, revised: DraftTerms): string | undefined {
  const currency = state.amounts.currency;
  if (revised.currency !== currency) return `cannot revise the currency: the purchase order is in ${currency}; cancel it and draft a new one in ${revised.currency}`;
  const problems = checkDraft(revised, policy, iso(now).slice(0, 10), draftCheck);
  if (problems.length > 0) return `cannot revise the draft: ${problems.map((x) => `terms.${x.field}: ${x.reason}`).join('; ')}`;
  return undefined;
}

/** Asked without a kind (the available-actions query), the payment due now is meant: the balance once the deposit is paid. */
export function payRefusal(order: OrderSnapshot, kind: PaymentKind = order.state.status === 'DEPOSIT_PAID' ? 'balance' : 'deposit'): string | undefined {
  const { state } = order;
  const confirming = confirmingRefusal(order, 'pay');
  if (confirming) return confirming;
  if (state.settlementPending) return `cannot pay: claim ${state.settlementPending} was refunded in full and the order settles once the open claims close`;
  if (kind === 'deposit') {
    if (state.status === 'DRAFT' || state.status === 'BUYER_CONFIRMED') return 'cannot pay the deposit: the purchase order is not confirmed by both parties yet';
    return statusRefusal(state.status, ['CONFIRMED'], 'pay the deposit', 'the deposit is already paid');
  }
  if (state.amounts.balance === 0) return 'cannot pay a balance: this order has no balance; its deposit is the full amount';
  if (state.status === 'CONFIRMED') return 'cannot pay the balance: the deposit is due first';
  return statusRefusal(state.status, ['DEPOSIT_PAID'], 'pay the balance', 'the balance is not due now');
}

/** A payment is exactly the amount agreed for its kind. */
export function paymentAmountRefusal({ state }: OrderSnapshot, { kind, amount }: Pick<PaymentInput, 'kind' | 'amount'>): string | undefined {
  const money = moneyOf(state);
  if (kind === 'deposit' && amount !== state.amounts.deposit) {
    return `deposit must be ${money(state.amounts.deposit)} as agreed on the purchase order, not ${money(amount)}`;
  }
  if (kind === 'balance' && amount !== state.amounts.balance) return `balance must be ${money(state.amounts.balance)}, not ${money(amount)}`;
  return undefined;
}

export function shipRefusal({ state }: OrderSnapshot): string | undefined {
  if (UNPAID.includes(state.status)) return 'cannot ship: the order is unpaid; the buyer pays the deposit and balance before shipment';
  if (state.status === 'DEPOSIT_PAID') return `cannot ship: the balance of ${moneyOf(state)(state.amounts.balance)} is due before shipment`;
  const refusal = statusRefusal(state.status, ['PAID'], 'ship', 'the order has already shipped');
  if (refusal) return refusal;
  if (state.settlementPending) return `cannot ship: claim ${state.settlementPending} was refunded in full and the order settles once the open claims close`;
  return undefined;
}

export function markDeliveredRefusal({ state }: OrderSnapshot): string | undefined {
  return statusRefusal(state.status, ['SHIPPED'], 'mark as delivered', 'only a shipped order can be delivered');
}

export function confirmReceiptRefusal({ state }: OrderSnapshot): string | undefined {
  const refusal = statusRefusal(state.status, ['DELIVERED'], 'confirm receipt', 'the order is not delivered yet');
  if (refusal) return refusal;
  const open = openClaimsOf(state)[0];
  if (open) return `cannot confirm receipt while claim ${open.id} is open: funds stay held until it is closed`;
  return undefined;
}

/** When the change/cancel window after payment closes (epoch ms); before any payment, counted from the order's creation. */
export function changeCancelWindowCloses({ state, policy }: Pick<OrderSnapshot, 'state' | 'policy'>): number {
  return changeCancelWindowClosesAt(afterServicePolicy(policy.afterServicePolicyVersion), Date.parse(state.paidAt ?? state.createdAt));
}

/** Whether a party may still cancel a paid order by itself: unpaid, or before the window closes (half-open: the closing instant is outside). */
export function withinChangeCancelWindow(order: Pick<OrderSnapshot, 'state' | 'policy' | 'now'>): boolean {
  if (!order.state.paidAt) return true;
  return order.now < changeCancelWindowCloses(order);
}

export function cancelRefusal(order: OrderSnapshot, actor: Pick<Actor, 'role'>): string | undefined {
  const { state, policy } = order;
  const confirming = confirmingRefusal(order, 'cancel');
  if (confirming) return confirming;
  if (TERMINAL_STATUSES.includes(state.status)) return `cannot cancel: the order is already ${state.status.toLowerCase()}`;
  if (!CANCELLABLE.includes(state.status)) return 'cannot cancel: the order has shipped; open a claim instead';
  const open = openClaimsOf(state)[0];
  if (open) return `cannot cancel while claim ${open.id} is open`;
  if (state.settlementPending) return `cannot cancel: claim ${state.settlementPending} was refunded and the order is settling`;
  if (state.amounts.paid === 0 || actor.role === 'ops') return undefined;
  if (actor.role === 'supplier') return 'cannot cancel a paid order as supplier: ask ops to cancel and refund it';
  if (!withinChangeCancelWindow(order)) {
    const hours = afterServicePolicy(policy.afterServicePolicyVersion).changeCancelWindowHours;
    return `cannot cancel: the change/cancel window closed at ${iso(changeCancelWindowCloses(order))} (${hours} h after payment); ask ops to attempt a recall`;
  }
  return undefined;
}

export function extendShippingRefusal({ state }: OrderSnapshot): string | undefined {
  return statusRefusal(state.status, PRE_SHIPMENT, 'extend the shipping date', 'only a confirmed, unshipped order has a shipping date to extend');
}

/** A new shipping date is later than the current one and within the policy's shipping period from the confirmation day. */
export function shippingDateRefusal({ state, policy }: OrderSnapshot, shippingDate: string): string | undefined {
  const current = state.shippingDate ?? state.terms.shippingDate;
  if (shippingDate <= current) return `cannot extend: ${shippingDate} is not later than the current shipping date ${current}`;
  const confirmedAt = Date.parse(state.confirmedAt ?? state.createdAt);
  const latest = latestShippingDate(policy, confirmedAt);
  if (shippingDate > latest) {
    return (
      `cannot extend to ${shippingDate}: the shipping period would be ${shippingPeriodDays(confirmedAt, shippingDate)} days from the confirmation day ${iso(confirmedAt).slice(0, 10)}; ` +
      `the original period plus extensions may be at most ${policy.maxShippingPeriodDays} days, so ${latest} is the latest shipping date`
    );
  }
  return undefined;
}

export function extendReceivingRefusal({ state }: OrderSnapshot, actor: Pick<Actor, 'role'>): string | undefined {
  if (actor.role === 'ops') return 'cannot extend as ops: each party extends the receiving window for itself';
  const refusal = statusRefusal(state.status, ['DELIVERED'], 'extend the receiving window', 'the receiving window is open only after delivery');
  if (refusal) return refusal;
  const party = actor.role === 'supplier' ? 'supplier' : 'buyer';
  const ext = state.receivingExtensions ?? {};
  if (ext[party] !== undefined) return `cannot extend: the ${party} already extended the receiving window once (by ${ext[party]} days)`;
  return undefined;
}

/** An extension is 1 to the policy's days, and all extensions together stay within the policy's total. */
export function receivingExtensionRefusal({ state, policy }: OrderSnapshot, days: number): string | undefined {
  if (!Number.isInteger(days) || days < 1 || days > policy.receivingExtensionMaxDays) {
    return `cannot extend by ${days} days: an extension is 1 to ${policy.receivingExtensionMaxDays} days`;
  }
  const ext = state.receivingExtensions ?? {};
  const used = (ext.buyer ?? 0) + (ext.supplier ?? 0);
  if (used + days > policy.receivingExtensionsTotalMaxDays) {
    return `cannot extend by ${days} days: extensions may total at most ${policy.receivingExtensionsTotalMaxDays} days (${used} used)`;
  }
  return undefined;
}

/** Feedback is the parties' own, left once each while the order's feedback window is open. */
export function leaveFeedbackRefusal({ state }: OrderSnapshot, actor: Pick<Actor, 'role'>): string | undefined {
  if (actor.role === 'ops') return "cannot leave feedback as ops: feedback is the parties' own";
  const refusal = statusRefusal(state.status, ['COMPLETED', 'SETTLED'], 'leave feedback', 'feedback is left after the order completes');
  if (refusal) return refusal;
  if (!(state.deadlines ?? []).some((d) => d.kind === 'feedback-window')) return 'cannot leave feedback: the feedback window has closed';
  const party = actor.role === 'supplier' ? 'supplier' : 'buyer';
  if (state.feedback?.[party]) return `the ${party} already left feedback on this order`;
  return undefined;
}

export function ratingRefusal(rating: number): string | undefined {
  return !Number.isInteger(rating) || rating < 1 || rating > 5 ? 'rating must be a whole number from 1 to 5' : undefined;
}

/** An after-service case's refund: at most what was paid less every refund, and not while a claim is open. */
export function afterServiceRefundRefusal(order: OrderSnapshot, amount: number): string | undefined {
  const { state } = order;
  const confirming = confirmingRefusal(order, 'refund');
  if (confirming) return confirming;
  const money = moneyOf(state);
  const refundable = afterServiceRefundable(escrowAccountOf(state));
  if (!Number.isSafeInteger(amount) || amount <= 0) return 'the refund amount must be a positive whole number of minor units';
  if (amount > refundable) return `cannot refund ${money(amount)}: ${money(refundable)} of the ${money(state.amounts.paid)} paid is still refundable`;
  const open = openClaimsOf(state)[0];
  if (open) return `claim ${open.id} is open on the order: its decision refunds the buyer`;
  return undefined;
}

// ---- claims ---------------------------------------------------------------------------------------

/** The claim, or why there is none to act on. */
function claimOrRefusal(state: OrderState, claimId: string): { claim: Claim } | { refusal: string } {
  const claim = (state.claims ?? []).find((c) => c.id === claimId);
  return claim ? { claim } : { refusal: `no claim ${claimId} on order ${state.orderId}` };
}

/** A claim refund above what the escrow account still allows for claims: min(covered, paid) less earlier claim refunds, and never above what is left of the amount paid. */
function claimRefundRefusal(state: OrderState, amount: number, what: string, instead: string): string | undefined {
  const { limit, binding } = claimRefundCeiling(escrowAccountOf(state));
  return amount > limit ? `${what} ${moneyOf(state)(amount)} exceeds ${binding}${instead ? `; ${instead}` : ''}` : undefined;
}

/**
 * A party's evidence file the claim already holds (the same bytes) while no evidence request to that
 * party is open: sent again, it adds nothing. Sent again to answer a request made since, it counts.
 */
export function isRepeatedEvidence(claim: Claim, party: 'buyer' | 'supplier' | 'ops', sha256: string): boolean {
  if (party === 'ops') return false;
  const asked = claim.evidenceRequests.some((r) => r.party === party && r.status === 'OPEN');
  return !asked && claim.evidence.some((e) => e.uploadedBy === party && e.sha256 === sha256);
}

/** Claims are opened after payment until receipt, or within the policy's days after receipt was confirmed. */
export function openClaimRefusal({ state, policy, now }: OrderSnapshot): string | undefined {
  if (state.status === 'COMPLETED' && state.receiptConfirmedAt) {
    const closes = Date.parse(state.receiptConfirmedAt) + policy.postReceiptClaimDays * DAY_MS;
    if (now >= closes) return `cannot open a claim: claims closed ${iso(closes)}, ${policy.postReceiptClaimDays} days after receipt was confirmed`;
  } else if (!CLAIMABLE.includes(state.status)) {
    return `cannot open a claim: claims are opened after payment, before shipment, while receiving, or within ${policy.postReceiptClaimDays} days after receipt (order is ${state.status})`;
  }
  if (state.settlementPending) return `cannot open a claim: claim ${state.settlementPending} was refunded and the order settles once the open claims close`;
  return undefined;
}

/** The claim's cause fits the order, one open claim per cause, the policy's claim limit, and a refund within the ceiling. */
export function newClaimRefusal({ state, policy }: OrderSnapshot, { cause, refundAsked }: Pick<OpenClaimInput, 'cause' | 'refundAsked'>): string | undefined {
  if (cause === 'LATE_SHIPMENT' && !state.late) return `cannot open a late-shipment claim: the order is not late (shipping date ${state.shippingDate})`;
  if (cause === 'NOT_RECEIVED' && !state.shipment) return 'cannot open a not-received claim: the order has not shipped';
  const same = openClaimsOf(state).find((c) => c.cause === cause);
  if (same) return `cannot open a second ${cause} claim: claim ${same.id} for that cause is still open`;
  if ((state.claims ?? []).length >= policy.limits.maxClaims) {
    return `cannot open a claim: an order takes at most ${policy.limits.maxClaims} claims (limit maxClaims); ask ops to reopen the matter`;
  }
  return claimRefundRefusal(state, refundAsked, 'refund asked', '');
}

export function respondToClaimRefusal({ state }: OrderSnapshot, claimId: string): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  const { claim } = found;
  if (claim.status !== 'OPEN') return `cannot answer claim ${claimId}: it is ${claim.status.toLowerCase()}, not awaiting the supplier`;
  return undefined;
}

/** A counter-offer lies strictly between 0 and the refund asked; what the supplier grants is within the claim refund ceiling. */
export function claimResponseRefusal(
  { state }: OrderSnapshot,
  { claimId, kind, counterAmount }: Pick<SupplierResponseInput, 'claimId' | 'kind' | 'counterAmount'>,
): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  const { claim } = found;
  if (kind === 'counter' && (counterAmount === undefined || counterAmount <= 0 || counterAmount >= claim.refundAsked)) {
    return `a counter-offer must be more than 0 and less than the refund asked (${moneyOf(state)(claim.refundAsked)})`;
  }
  if (kind === 'accept') return claimRefundRefusal(state, claim.refundAsked, `cannot accept claim ${claimId} in full: its refund`, 'counter-offer at most what is left, or reject it');
  if (kind === 'counter') return claimRefundRefusal(state, counterAmount ?? 0, 'the counter-offer', 'offer at most what is left');
  return undefined;
}

export function acceptCounterOfferRefusal({ state }: OrderSnapshot, claimId: string): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  const { claim } = found;
  if (claim.status !== 'RESPONDED' || claim.supplierResponse?.kind !== 'counter') return `cannot accept: claim ${claimId} has no counter-offer awaiting the buyer`;
  return claimRefundRefusal(state, claim.supplierResponse.counterAmount ?? 0, 'cannot accept the counter-offer: its refund', 'escalate the claim to the platform instead');
}

/** The buyer escalates an open or answered claim from the policy's claim day on (day 1 is the day it opened). */
export function escalateClaimRefusal({ state, policy, now }: OrderSnapshot, claimId: string): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  const { claim } = found;
  if (claim.status !== 'OPEN' && claim.status !== 'RESPONDED') return `cannot escalate claim ${claimId}: it is ${claim.status.toLowerCase()}`;
  const from = claimDayStart(Date.parse(claim.openedAt), policy.buyerEscalationFromDay);
  if (now < from) return `cannot escalate claim ${claimId} yet: the buyer may escalate from day ${policy.buyerEscalationFromDay} (${iso(from)})`;
  return undefined;
}

export function withdrawClaimRefusal({ state }: OrderSnapshot, claimId: string): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  if (found.claim.status === 'CLOSED') return `cannot withdraw claim ${claimId}: it is already closed`;
  return undefined;
}

export function decideClaimRefusal({ state }: OrderSnapshot, claimId: string): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  const { claim } = found;
  if (claim.status !== 'ESCALATED') return `cannot decide claim ${claimId}: only an escalated claim awaits the platform's decision (it is ${claim.status.toLowerCase()})`;
  return undefined;
}

/** The platform's refund: a whole number of minor units, at most the refund asked, and within the claim refund ceiling. */
export function claimDecisionRefusal({ state }: OrderSnapshot, { claimId, refund }: Pick<DecideClaimInput, 'claimId' | 'refund'>): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  const { claim } = found;
  const money = moneyOf(state);
  if (!Number.isSafeInteger(refund) || refund < 0) return 'the refund must be a whole number of minor units, zero or more';
  if (refund > claim.refundAsked) return `refund ${money(refund)} exceeds the refund asked ${money(claim.refundAsked)}`;
  return claimRefundRefusal(state, refund, 'refund', '');
}

/** Evidence goes to a claim still open, within the policy's files per party; a file the claim already holds from the party answers as the first did, even at the cap. */
export function addEvidenceRefusal(
  { state, policy }: OrderSnapshot,
  actor: Pick<Actor, 'role'>,
  claimId: string,
  file?: Pick<AddEvidenceInput['file'], 'sha256'>,
): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  const { claim } = found;
  if (claim.status === 'CLOSED') return `cannot add evidence: claim ${claimId} is closed`;
  const party = partyOf(actor);
  const own = claim.evidence.filter((e) => e.uploadedBy === party);
  const { maxEvidenceFilesPerParty } = policy.limits;
  if (own.length >= maxEvidenceFilesPerParty && !(file && isRepeatedEvidence(claim, party, file.sha256))) {
    return `cannot add evidence: the ${party} has added ${own.length} files to claim ${claimId}, the most allowed (limit maxEvidenceFilesPerParty = ${maxEvidenceFilesPerParty})`;
  }
  return undefined;
}

/** A new file keeps the party's evidence on the claim within the policy's bytes; a repeated file adds nothing. */
export function evidenceFileRefusal(
  { state, policy }: OrderSnapshot,
  actor: Pick<Actor, 'role'>,
  { claimId, file }: { claimId: string; file: Pick<AddEvidenceInput['file'], 'sha256' | 'size'> },
): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  const { claim } = found;
  const party = partyOf(actor);
  if (isRepeatedEvidence(claim, party, file.sha256)) return undefined;
  const own = claim.evidence.filter((e) => e.uploadedBy === party);
  const { maxEvidenceBytesPerParty } = policy.limits;
  const bytes = own.reduce((sum, e) => sum + e.size, 0);
  if (bytes + file.size > maxEvidenceBytesPerParty) {
    return `cannot add evidence: the ${party}'s files on claim ${claimId} would total ${bytes + file.size} bytes, over the limit maxEvidenceBytesPerParty = ${maxEvidenceBytesPerParty} bytes`;
  }
  return undefined;
}

export function requestEvidenceRefusal({ state, policy }: OrderSnapshot, claimId: string): string | undefined {
  const found = claimOrRefusal(state, claimId);
  if ('refusal' in found) return found.refusal;
  const { claim } = found;
  if (claim.status === 'CLOSED') return `cannot request evidence: claim ${claimId} is closed`;
  if (claim.evidenceRequests.length >= policy.limits.maxEvidenceRequests) {
    return `cannot request evidence: claim ${claimId} has had ${claim.evidenceRequests.length} evidence requests, the most allowed (limit maxEvidenceRequests); decide the claim`;
  }
  return undefined;
}

/** An evidence request is due between the policy's bounds from now, both included. */
export function evidenceDueRefusal({ policy, now }: OrderSnapshot, dueAt: string): string | undefined {
  const due = Date.parse(dueAt);
  if (!Number.isFinite(due)) return 'dueAt is not a date';
  if (due < now + policy.evidenceMinDueHours * HOUR_MS || due > now + policy.evidenceMaxDueDays * DAY_MS) {
    return `an evidence request is due between ${policy.evidenceMinDueHours} hours and ${policy.evidenceMaxDueDays} days from now`;
  }
  return undefined;
}
