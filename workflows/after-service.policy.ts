/**
 * After-service windows that open at payment and delivery (seed 004), and the case promises. One
 * rule in one place: the order workflow asks whether a change or cancellation is accepted
 * automatically, the API and the case workflow ask whether a case may be opened. Pure module.
 */
import { DAY_MS, HOUR_MS } from './common';
export interface AfterServicePolicy {
  version: string;
  /** Change or cancel within this many hours after payment: accepted automatically. */
  changeCancelWindowHours: number;
  /** Tracking after-service within this many days after payment. */
  trackingWindowDays: number;
  /** Product guarantee (defective: resend or refund) within this many days after delivery. */
  guaranteeWindowDays: number;
  /** No-reason return within this many days after delivery. */
  noReasonReturnDays: number;
  /** Without a delivery event, delivery is taken to be this many days after shipment. */
  deliveryFallbackDaysAfterShipment: number;
  /** Every case gets a first reply within this many hours (the after-service promise). */
  firstReplyHours: number;
  /** The reply team is reminded this many hours after the case opened. */
  firstReplyReminderHours: number;
  /** A resolved case closes by itself this many days after the resolution unless the customer confirms. */
  autoCloseDays: number;
  /** The weekly self-check flags a shipment whose tracking has not moved for more than this many days. */
  staleTrackingDays: number;
  /** Target defect rate (quality cases per shipped order), as a fraction. */
  defectRateTarget: number;
  /** What a party can repeat on one case, so that no one can grow its history without bound. */
  limits: {
    /** Messages written on one case (replies of every party). */
    maxMessages: number;
    /** Evidence files each party (the customer, ops) adds to one case. */
    maxEvidenceFilesPerParty: number;
    /** Bytes of evidence each party adds to one case. */
    maxEvidenceBytesPerParty: number;
  };
}

export const AFTER_SERVICE_POLICIES: Readonly<Record<string, AfterServicePolicy>> = {
  '2026-11': {
    version: '2026-11',
    changeCancelWindowHours: 24,
    trackingWindowDays: 60,
    guaranteeWindowDays: 30,
    noReasonReturnDays: 7,
    deliveryFallbackDaysAfterShipment: 20,
    firstReplyHours: 24,
    firstReplyReminderHours: 18,
    autoCloseDays: 7,
    staleTrackingDays: 15,
    defectRateTarget: 0.002,
    limits: { maxMessages: 60, maxEvidenceFilesPerParty: 30, maxEvidenceBytesPerParty: 50 * 1024 * 1024 },
  },
};

export const CURRENT_AFTER_SERVICE_POLICY_VERSION = '2026-11';

export function afterServicePolicy(version: string): AfterServicePolicy {
  const policy = Object.prototype.hasOwnProperty.call(AFTER_SERVICE_POLICIES, version)
    ? AFTER_SERVICE_POLICIES[version]
    : undefined;
  if (!policy) throw new Error(`unknown after-service policy version ${version}`);
  return policy;
}


/** When the automatic change/cancel window after a payment closes (epoch ms). */
export function changeCancelWindowClosesAt(policy: AfterServicePolicy, paidAt: number): number {
  return paidAt + policy.changeCancelWindowHours * HOUR_MS;
}

export type CaseType = 'TRACKING' | 'QUALITY' | 'RETURN' | 'CHANGE_CANCEL';
export const CASE_TYPES: readonly CaseType[] = ['TRACKING', 'QUALITY', 'RETURN', 'CHANGE_CANCEL'];

/** The report's categories: tracking (carrier), quality (the product), warehouse (what was sent). */
export type CaseCategory = 'tracking' | 'quality' | 'warehouse';

export function categoryOf(type: CaseType): CaseCategory {
  switch (type) {
    case 'TRACKING':
      return 'tracking';
    case 'QUALITY':
      return 'quality';
    case 'RETURN':
    case 'CHANGE_CANCEL':
      return 'warehouse';
  }
}

/** An order can still be recalled (changed or cancelled by ops) until it ships. */
export const RECALLABLE_ORDER_STATUSES: readonly string[] = ['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED', 'DEPOSIT_PAID', 'PAID'];

/** What is known of an order when a case is opened: epoch ms, absent when it has not happened. */
export interface OrderFacts {
  paidAt?: number;
  shippedAt?: number;
  deliveredAt?: number;
  /** Whether the order can still be recalled (not yet fulfilled or shipped). */
  recallable: boolean;
}

export type WindowBasis = 'payment' | 'delivery' | 'delivery-fallback';

export interface WindowDecision {
  type: CaseType;
  open: boolean;
  /** Where the window starts from; 'delivery-fallback' when no delivery event arrived. */
  basis?: WindowBasis;
  opensAt?: number;
  closesAt?: number;
  /** The rule in words, with any fallback said out loud. */
  rule: string;
  /** Why the case cannot be opened, with the window and when it closed. */
  refusal?: string;
  /** CHANGE_CANCEL only: accepted without review (inside the 24 h window). */
  automatic?: boolean;
}

const isoOf = (ms: number) => new Date(ms).toISOString();

/**
 * Whether a case of `type` may be opened at `now`, and the window that decides it. Windows are
 * half-open: a request exactly at the closing instant is outside.
 */
export function caseWindow(policy: AfterServicePolicy, type: CaseType, facts: OrderFacts, now: number): WindowDecision {
  const within = (opensAt: number, days: number, basis: WindowBasis, what: string, fallbackNote = ''): WindowDecision => {
    const closesAt = opensAt + days * DAY_MS;
    const rule = `${what} within ${days} days after ${basis === 'payment' ? 'payment' : 'delivery'}${fallbackNote}`;
    if (now < closesAt) return { type, open: true, basis, opensAt, closesAt, rule };
    return { type, open: false, basis, opensAt, closesAt, rule, refusal: `the ${what} window (${days} days after ${basis === 'payment' ? 'payment' : 'delivery'}${fallbackNote}) closed at ${isoOf(closesAt)}` };
  };
  const delivery = (): { at: number; basis: WindowBasis; note: string } | undefined => {
    if (facts.deliveredAt !== undefined) return { at: facts.deliveredAt, basis: 'delivery', note: '' };
    if (facts.shippedAt === undefined) return undefined;
    const at = facts.shippedAt + policy.deliveryFallbackDaysAfterShipment * DAY_MS;
    return { at, basis: 'delivery-fallback', note: ` (no delivery event: delivery taken as shipment + ${policy.deliveryFallbackDaysAfterShipment} days, ${isoOf(at)})` };
  };

  switch (type) {
    case 'TRACKING': {
      if (facts.paidAt === undefined) return { type, open: false, rule: 'tracking after-service opens at payment', refusal: 'the order is not paid yet: tracking after-service opens at payment' };
      if (facts.shippedAt === undefined) return { type, open: false, rule: 'tracking after-service needs a shipment', refusal: 'the order has not shipped: there is no parcel to track yet' };
      return within(facts.paidAt, policy.trackingWindowDays, 'payment', 'tracking after-service');
    }
    case 'QUALITY':
    case 'RETURN': {
      const d = delivery();
      const what = type === 'QUALITY' ? 'product guarantee' : 'no-reason return';
      const days = type === 'QUALITY' ? policy.guaranteeWindowDays : policy.noReasonReturnDays;
      if (!d) return { type, open: false, rule: `${what} opens at delivery`, refusal: `the order has not shipped: the ${what} window opens at delivery` };
      if (d.basis === 'delivery-fallback' && now < d.at) {
        // Shipped, no delivery event yet: the goods are in the buyer's hands from the delivery event only.
        return { type, open: false, basis: d.basis, opensAt: d.at, rule: `${what} opens at delivery`, refusal: `the goods are not delivered yet: the ${what} window opens at delivery (or, without a delivery event, at ${isoOf(d.at)})` };
      }
      return within(d.at, days, d.basis, what, d.note);
    }
    case 'CHANGE_CANCEL': {
      if (facts.paidAt === undefined) {
        return { type, open: true, automatic: true, basis: 'payment', rule: 'an unpaid order may be changed or cancelled' };
      }
      const closesAt = changeCancelWindowClosesAt(policy, facts.paidAt);
      const rule = `change or cancel within ${policy.changeCancelWindowHours} h after payment is accepted automatically; later only while the order can be recalled`;
      if (now < closesAt) return { type, open: true, automatic: true, basis: 'payment', opensAt: facts.paidAt, closesAt, rule };
      if (facts.recallable) return { type, open: true, automatic: false, basis: 'payment', opensAt: facts.paidAt, closesAt, rule };
      return {
        type,
        open: false,
        basis: 'payment',
        opensAt: facts.paidAt,
        closesAt,
        rule,
        refusal: `the automatic change/cancel window (${policy.changeCancelWindowHours} h after payment) closed at ${isoOf(closesAt)} and the order can no longer be recalled: it has shipped`,
      };
    }
  }
}
