/**
 * Order policy: the windows and limits an order is held to, by version. An order pins the version
 * in force when it was created; a new version is added here, never an old one edited.
 * Pure module: imported by the order workflow, and by the API for read-only checks before a start.
 */
import { DAY_MS } from './common';
import type { OrderStatus } from './order.messages';
import { isMinorUnits, isSupportedCurrency } from './money';

export interface OrderPolicy {
  version: string;
  /** The largest order total accepted, in minor units. */
  maxOrderTotal: number;
  /** Most line items on one purchase order. */
  maxItems: number;
  /** A draft that both parties have not confirmed within this many days expires. */
  draftExpiryDays: number;
  /** The deposit is due within this many days of the supplier's confirmation. */
  depositDueDays: number;
  /** Reminders to the supplier this many days before the agreed shipping date. */
  shippingReminderDays: number[];
  /**
   * Original shipping period plus extensions, at most: the shipping date may be at most this many
   * calendar days after the day of confirmation (UTC dates, as shipping dates are).
   */
  maxShippingPeriodDays: number;
  /** Without carrier data this long after the shipping proof, the proof's upload time counts. */
  carrierNoDataHours: number;
  /** The buyer confirms receipt within this many days of delivery, or it is confirmed automatically. */
  receivingWindowDays: number;
  /** Each party may extend the receiving window once by at most this many days. */
  receivingExtensionMaxDays: number;
  /** All receiving-window extensions together, at most. */
  receivingExtensionsTotalMaxDays: number;
  /** Claims may still be opened this many days after receipt is confirmed. */
  postReceiptClaimDays: number;
  /** The supplier answers a claim (accept, counter-offer, reject) within this many days. */
  supplierResponseDays: number;
  /** The claim day (day 1 = the day it opened) from which the buyer may escalate. */
  buyerEscalationFromDay: number;
  /** The claim day on which an unresolved claim escalates to ops by itself. */
  autoEscalationDay: number;
  /** Ops decides an escalated claim within this many working days; a reminder goes out after the first. */
  opsDecisionWorkingDays: number;
  opsDecisionReminderWorkingDays: number;
  /**
   * The working-day calendar ops deadlines (a claim's decision, a refund's payment) are counted in,
   * and its data version, pinned with the policy: a later calendar release moves no running order's
   * deadlines (and every history replays against the data it ran with).
   */
  opsCalendar: string;
  opsCalendarVersion: string;
  /** The after-service policy (change/cancel window) the order's cancellation follows. */
  afterServicePolicyVersion: string;
  /**
   * A refund decided on a claim is paid to the buyer within this many working days (ops calendar):
   * if the payment adapter has not completed it by then, it goes on the late-task queue and ops leads
   * are paged.
   */
  refundPaymentWorkingDays: number;
  /** An evidence request is due between these bounds from when it is made. */
  evidenceMinDueHours: number;
  evidenceMaxDueDays: number;
  /** Both parties may leave feedback this many days after completion. */
  feedbackWindowDays: number;
  /**
   * Limits on what a party can repeat, so that no party can grow an order's history without bound
   * (Temporal terminates a workflow whose history passes its size limits, escrow and all).
   */
  limits: OrderLimits;
}

export interface OrderLimits {
  /** Claims opened on one order, over its whole life. */
  maxClaims: number;
  /** Evidence files each party may add to one claim. */
  maxEvidenceFilesPerParty: number;
  /** Bytes of evidence each party may add to one claim. */
  maxEvidenceBytesPerParty: number;
  /** Evidence requests ops may make on one claim. */
  maxEvidenceRequests: number;
  /** Requests for changes to the draft, by both parties together, before both confirm. */
  maxChangeRequests: number;
  /** Revisions of the draft by the supplier (the first draft is revision 1). */
  maxDraftRevisions: number;
  /**
   * Production monitoring tasks booked on one order, over its whole life: each is linked to the order,
   * which tells each one when its shipping date moves or it is cancelled.
   */
  maxMonitoringTasks: number;
}

const POLICY_2026_11: OrderPolicy = {
  version: '2026-11',
  maxOrderTotal: 1_000_000_000_00,
  maxItems: 200,
  draftExpiryDays: 14,
  depositDueDays: 7,
  shippingReminderDays: [3, 1],
  maxShippingPeriodDays: 90,
  carrierNoDataHours: 48,
  receivingWindowDays: 30,
  receivingExtensionMaxDays: 15,
  receivingExtensionsTotalMaxDays: 30,
  postReceiptClaimDays: 30,
  supplierResponseDays: 3,
  buyerEscalationFromDay: 4,
  autoEscalationDay: 7,
  opsDecisionWorkingDays: 2,
  opsDecisionReminderWorkingDays: 1,
  opsCalendar: 'CN',
  // The calendar every order of this version ran with: CN@2026-11, whose provisional years have no
  // days off in lieu. Stated here when calendars became versioned data; it was the only release.
  opsCalendarVersion: '2026-11',
  afterServicePolicyVersion: '2026-11',
  // The documents' rule from the start; watched from the refund-payment change on (behind its patch).
  refundPaymentWorkingDays: 7,
  evidenceMinDueHours: 24,
  evidenceMaxDueDays: 14,
  feedbackWindowDays: 60,
  limits: {
    maxClaims: 8,
    maxEvidenceFilesPerParty: 20,
    maxEvidenceBytesPerParty: 50 * 1024 * 1024,
    maxEvidenceRequests: 6,
    maxChangeRequests: 20,
    maxDraftRevisions: 10,
    maxMonitoringTasks: 5,
  },
};

export const ORDER_POLICIES: Readonly<Record<string, OrderPolicy>> = {
  '2026-11': POLICY_2026_11,
  // The 2026-11 rules counted on the CN calendar release 2026-12 (days off in lieu in provisional years).
  '2026-12': { ...POLICY_2026_11, version: '2026-12', opsCalendarVersion: '2026-12' },
};


/** The agreed shipping date is met by shipping any time on that day (UTC): the deadline is the next midnight. */
export function shipByInstant(shippingDate: string): number {
  return Date.parse(`${shippingDate}T00:00:00Z`) + DAY_MS;
}

/**
 * The latest shipping date an extension may set: the confirmation day plus the policy's shipping
 * period, in calendar days. Confirmed on 2026-12-07 at any hour, 90 days: 2027-03-07 is the last.
 */
export function latestShippingDate(policy: OrderPolicy, confirmedAt: number): string {
  const confirmationDay = Date.parse(`${new Date(confirmedAt).toISOString().slice(0, 10)}T00:00:00Z`);
  return new Date(confirmationDay + policy.maxShippingPeriodDays * DAY_MS).toISOString().slice(0, 10);
}

/** Calendar days from the confirmation day to a shipping date (UTC dates). */
export function shippingPeriodDays(confirmedAt: number, shippingDate: string): number {
  const confirmationDay = Date.parse(`${new Date(confirmedAt).toISOString().slice(0, 10)}T00:00:00Z`);
  return Math.round((Date.parse(`${shippingDate}T00:00:00Z`) - confirmationDay) / DAY_MS);
}

/** Claim day N (day 1 is the day it opened) starts N-1 days after opening. */
export function claimDayStart(openedAt: number, day: number): number {
  return openedAt + (day - 1) * DAY_MS;
}

/** Where an order ends: nothing moves it on, and it takes no further actions but feedback and claims after receipt. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['COMPLETED', 'EXPIRED', 'CANCELLED', 'SETTLED'];

export const CURRENT_ORDER_POLICY_VERSION = '2026-12';

export function orderPolicy(version: string): OrderPolicy {
  const policy = Object.prototype.hasOwnProperty.call(ORDER_POLICIES, version) ? ORDER_POLICIES[version] : undefined;
  if (!policy) throw new Error(`unknown order policy version ${version}`);
  return policy;
}

export interface DraftItem {
  sku: string;
  description: string;
  quantity: number;
  /** Price of one unit in minor units of the order's currency. */
  unitPrice: number;
}

export interface DraftTerms {
  currency: string;
  items: DraftItem[];
  /** Initial payment (deposit) in minor units; the balance is the total minus the deposit. */
  depositAmount: number;
  /** Agreed shipping date, YYYY-MM-DD. */
  shippingDate: string;
}

export interface FieldProblem {
  field: string;
  reason: string;
}

export function orderTotal(items: readonly DraftItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
}

/** What checkDraft holds a draft to beyond its terms. */
export interface DraftCheck {
  /**
   * The shipping date lies within the policy's shipping period of `today` (the agreed date and its
   * extensions together are at most maxShippingPeriodDays after confirmation, which comes later).
   * Drafts of orders started before this rule (an earlier code revision) are not held to it.
   */
  shippingPeriod?: boolean;
}

/** The last shipping date a draft made on `today` (YYYY-MM-DD, UTC) may agree: today plus the shipping period. */
export function latestDraftShippingDate(policy: OrderPolicy, today: string): string {
  return new Date(Date.parse(`${today}T00:00:00Z`) + policy.maxShippingPeriodDays * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Business checks on a purchase-order draft (the API checks shapes first). Returns every problem,
 * each naming its field; an empty list means the draft may be started. With `today` (YYYY-MM-DD,
 * UTC), a shipping date in the past is a problem too, and with `check.shippingPeriod` one past the
 * shipping period.
 */
export function checkDraft(terms: DraftTerms, policy: OrderPolicy, today?: string, check: DraftCheck = {}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (today !== undefined && terms.shippingDate < today) {
    problems.push({ field: 'shippingDate', reason: `${terms.shippingDate} is in the past (today is ${today})` });
  } else if (today !== undefined && check.shippingPeriod && terms.shippingDate > latestDraftShippingDate(policy, today)) {
    const latest = latestDraftShippingDate(policy, today);
    problems.push({
      field: 'shippingDate',
      reason: `${terms.shippingDate} is more than ${policy.maxShippingPeriodDays} days away: the agreed shipping date and its extensions together end at most ${policy.maxShippingPeriodDays} days after confirmation, so a draft made today ships by ${latest} at the latest`,
    });
  }
  if (!isSupportedCurrency(terms.currency)) {
    problems.push({ field: 'currency', reason: `${terms.currency} is not a supported settlement currency` });
  }
  if (terms.items.length === 0) problems.push({ field: 'items', reason: 'a purchase order needs at least one item' });
  if (terms.items.length > policy.maxItems) {
    problems.push({ field: 'items', reason: `at most ${policy.maxItems} items per purchase order` });
  }
  const skus = new Set<string>();
  terms.items.forEach((item, i) => {
    if (skus.has(item.sku)) problems.push({ field: `items[${i}].sku`, reason: `SKU ${item.sku} appears twice` });
    skus.add(item.sku);
  });
  const total = orderTotal(terms.items);
  if (!isMinorUnits(total) || total > policy.maxOrderTotal) {
    problems.push({ field: 'items', reason: `the order total exceeds the largest accepted total (${policy.maxOrderTotal} minor units)` });
  } else if (total <= 0) {
    problems.push({ field: 'items', reason: 'the order total must be positive' });
  } else if (terms.depositAmount > total) {
    problems.push({ field: 'depositAmount', reason: 'the deposit cannot exceed the order total' });
  }
  return problems;
}
