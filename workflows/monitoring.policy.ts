/**
 * Production Monitoring & Inspection policy: the fee, the booking cutoff, the service's working-day
 * windows, the refund schedule, card rules and upload limits, by version. A task pins the version in
 * force when it was booked; a new version is added here, never an old one edited.
 * Pure module: imported by the monitoring workflow, and by the API for read-only previews (the
 * booking cutoff, whether a card number is one the service accepts) before it starts or updates one.
 *
 * The booking cutoff: the seed says "book the service and complete your payment at least seven
 * working days before the shipment date". The shipment day itself does not count; the cutoff day is
 * the 7th working day counting back from the day before shipment (workingDaysBefore(cal,
 * shipmentDate, 7)). Weekends and public holidays of the supplier's calendar do not count; its
 * adjusted (make-up) working days do. How the cutoff day itself is read is pinned per version
 * (`bookingCutoffReading`):
 *  - 'through-cutoff-day' (2026-12 on): paying on the cutoff day is paying seven working days before
 *    the shipment date, so it is in time until the end of that day in the supplier's time zone; the
 *    last instant is 23:59:59.999 local time, and the booking lapses at the next midnight.
 *  - 'before-cutoff-day' (2026-11): payment had to be complete before the cutoff day began (seven
 *    whole working days left), one day stricter than the words; kept for the tasks booked under it.
 */
import {
  CalendarError,
  WorkingCalendar,
  addDays,
  calendarWords,
  endOfLocalDay,
  getCalendar,
  isValidDate,
  startOfLocalDay,
  workingDaysBefore,
} from './calendar';
import { DefectCounts, inspectionPlan, judge } from './aql';
import { isMinorUnits } from './money';
import type { CheckResult, OnSiteCheck, ProductDetails } from './monitoring.messages';
import type { OrderState, OrderStatus } from './order.messages';

export type MonitoringAddedVia = 'SUPPLIER_DRAFT' | 'BUYER_ORDER_MANAGEMENT' | 'ORDER_DETAILS_SEPARATE';
export const ADDED_VIA: readonly MonitoringAddedVia[] = ['SUPPLIER_DRAFT', 'BUYER_ORDER_MANAGEMENT', 'ORDER_DETAILS_SEPARATE'];

export type AcceptedCardBrand = 'visa' | 'mastercard';
export type CardBrand = AcceptedCardBrand | 'amex' | 'discover' | 'jcb' | 'unionpay' | 'diners' | 'unknown';

export interface MonitoringPolicy {
  version: string;
  /** The service fee, paid by card. */
  fee: { amount: number; currency: string };
  /** Booked and paid at least this many working days before the shipment date (supplier's calendar). */
  bookingCutoffWorkingDays: number;
  /** Whether payment on the cutoff day itself is in time (see the module comment). */
  bookingCutoffReading: BookingCutoffReading;
  /**
   * The release of each supplier calendar a task of this version counts in, pinned with the policy:
   * a later calendar release moves no booked task's cutoff or report window.
   */
  calendarVersions: Readonly<Record<string, string>>;
  /** The buyer is reminded this often (calendar days) until product information and pictures arrive. */
  productInfoReminderDays: number;
  /** Ops assigns an inspector and confirms the check date within this many working days of the request. */
  inspectorAssignmentWorkingDays: number;
  /** After the on-site check: the inspector is reminded after this many working days without a report… */
  reportReminderWorkingDays: number;
  /** …and after this many the report is late and ops is paged. */
  reportLateWorkingDays: number;
  /** The calendar (and its data version, pinned with the policy) ops' own deadline (inspector assignment) is counted in. */
  opsCalendar: string;
  opsCalendarVersion: string;
  /** Share of the fee refunded on cancellation, by how far the service has gone. */
  refundPercent: Record<RefundStage, number>;
  /** The buyer may review (and, after a Fail, ask for a re-inspection) this many days after the report. */
  reviewWindowDays: number;
  acceptedCardBrands: readonly AcceptedCardBrand[];
  uploads: { maxBytes: number; pictureTypes: readonly string[]; reportTypes: readonly string[]; maxPictures: number };
  /** What a party can repeat on one task, so that no one can grow its history without bound. */
  limits: {
    /** Product information updates (description or picture) by the buyer. */
    maxProductInfoUpdates: number;
    /** Production progress reports by the inspector or ops. */
    maxProgressReports: number;
    /** Photos attached to one progress report. */
    maxPhotosPerProgressReport: number;
    /** Edits of the service (details, check date) by the buyer. */
    maxEdits: number;
    /** Shipment date changes asked by a party. */
    maxShipmentDateChanges: number;
    /** Inspection rounds (the first and every re-inspection). */
    maxRounds: number;
  };
}

export type BookingCutoffReading = 'before-cutoff-day' | 'through-cutoff-day';

/** How far the service has gone when it is cancelled. */
export type RefundStage = 'BEFORE_INSPECTOR_ASSIGNED' | 'INSPECTOR_ASSIGNED' | 'CHECKED';

const POLICY_2026_11: MonitoringPolicy = {
  version: '2026-11',
  fee: { amount: 299_00, currency: 'USD' },
  bookingCutoffWorkingDays: 7,
  bookingCutoffReading: 'before-cutoff-day',
  // The releases every task of this version ran with (stated when calendars became versioned data).
  calendarVersions: { CN: '2026-11', DE: '2026-11', US: '2026-11' },
  productInfoReminderDays: 2,
  inspectorAssignmentWorkingDays: 2,
  reportReminderWorkingDays: 1,
  reportLateWorkingDays: 2,
  opsCalendar: 'CN',
  opsCalendarVersion: '2026-11',
  refundPercent: { BEFORE_INSPECTOR_ASSIGNED: 100, INSPECTOR_ASSIGNED: 50, CHECKED: 0 },
  reviewWindowDays: 30,
  acceptedCardBrands: ['visa', 'mastercard'],
  uploads: {
    maxBytes: 10 * 1024 * 1024,
    pictureTypes: ['image/jpeg', 'image/png'],
    reportTypes: ['application/pdf', 'image/jpeg', 'image/png'],
    maxPictures: 20,
  },
  limits: {
    maxProductInfoUpdates: 40,
    maxProgressReports: 30,
    maxPhotosPerProgressReport: 10,
    maxEdits: 20,
    maxShipmentDateChanges: 10,
    maxRounds: 3,
  },
};

export const MONITORING_POLICIES: Readonly<Record<string, MonitoringPolicy>> = {
  '2026-11': POLICY_2026_11,
  // Paying on the cutoff day is in time; CN counted on its release 2026-12 (days off in lieu in provisional years).
  '2026-12': {
    ...POLICY_2026_11,
    version: '2026-12',
    bookingCutoffReading: 'through-cutoff-day',
    calendarVersions: { CN: '2026-12', DE: '2026-11', US: '2026-11' },
    opsCalendarVersion: '2026-12',
  },
};

export const CURRENT_MONITORING_POLICY_VERSION = '2026-12';

export function monitoringPolicy(version: string): MonitoringPolicy {
  const policy = Object.prototype.hasOwnProperty.call(MONITORING_POLICIES, version) ? MONITORING_POLICIES[version] : undefined;
  if (!policy) throw new Error(`unknown monitoring policy version ${version}`);
  return policy;
}

// ---- booking cutoff -----------------------------------------------------------------------------

export interface BookingCutoff {
  /** The cutoff day (supplier's calendar): the 7th working day before the shipment date. */
  date: string;
  /** The first instant a booking is too late (epoch ms): the unpaid booking lapses then. */
  at: number;
  /** The last instant a booking and its payment are in time (epoch ms): `at` less one millisecond. */
  lastInstant: number;
  /** The rule in words, naming the last instant, for deadlines and refusals. */
  rule: string;
  /** Counted on provisional calendar data (the rule says so too). */
  provisional: boolean;
}

/** The booking cutoff for a shipment date (see the module comment for the reading of the rule). Throws CalendarError. */
export function bookingCutoff(policy: MonitoringPolicy, cal: WorkingCalendar, shipmentDate: string): BookingCutoff {
  const n = policy.bookingCutoffWorkingDays;
  const date = workingDaysBefore(cal, shipmentDate, n);
  if (policy.bookingCutoffReading === 'before-cutoff-day') {
    const at = startOfLocalDay(cal, date);
    return {
      date,
      at,
      lastInstant: at - 1,
      rule: `booked and paid before ${date} 00:00 ${cal.timeZone}: ${n} whole working days before the shipment date ${shipmentDate} (${cal.id} calendar)`,
      provisional: false,
    };
  }
  const at = endOfLocalDay(cal, date);
  const provisional = cal.provisionalFrom !== undefined && addDays(shipmentDate, -1) >= cal.provisionalFrom;
  return {
    date,
    at,
    lastInstant: at - 1,
    rule:
      `booked and paid by the end of ${date} in ${cal.timeZone}, the last instant being ${new Date(at - 1).toISOString()}: ` +
      `${date} is the ${n}th working day before the shipment date ${shipmentDate}, and paying on it is in time (${calendarWords(cal, provisional)})`,
    provisional,
  };
}

export interface FieldProblem {
  field: string;
  reason: string;
}

export interface BookingTerms {
  addedVia: MonitoringAddedVia;
  /** Whether the order's initial payment (deposit) was already made when the service was added. */
  orderInitialPaymentMade: boolean;
  /** The supplier agreed to the service (needed from order management once the initial payment is made). */
  supplierAgreed?: boolean;
  shipmentDate: string;
  /** The supplier's calendar id, from its profile. */
  supplierCalendar: string;
  /** The order's status at booking; a shipped or closed order can no longer use the service. */
  orderStatus?: OrderStatus;
}

/** Order statuses in which the service can still be added: the order is open and has not shipped. */
export const BOOKABLE_ORDER_STATUSES: readonly OrderStatus[] = ['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED', 'DEPOSIT_PAID', 'PAID'];

export interface BookingCheck {
  /** Bad input (400): each names its field. */
  problems: FieldProblem[];
  /** Valid input the rules refuse now (409), with what the person can do. */
  refusal?: string;
  cutoff?: BookingCutoff;
  calendarVersion?: string;
}

/** Whether a booking may be made at `now`. The API asks it for a preview; the workflow re-checks at start. */
/**
 * Who books through which channel: a supplier only while drafting (SUPPLIER_DRAFT); a buyer from
 * order management or the order details, never as a supplier's draft; ops through any. The reason
 * a role may not use the channel, or undefined.
 */
export function bookingChannelRefusal(role: string, addedVia: MonitoringAddedVia): string | undefined {
  const bySupplier = addedVia === 'SUPPLIER_DRAFT';
  if (role === 'supplier' && !bySupplier) return `a supplier adds the service only while drafting (addedVia SUPPLIER_DRAFT), not ${addedVia}`;
  if (role === 'buyer' && bySupplier) return 'a buyer adds the service from order management or the order details, not as a supplier draft';
  return undefined;
}

/**
 * The facts a booking is checked against, from the order's live state and the supplier's profile,
 * never from the caller: its shipment date, whether its initial payment was made, its status.
 */
export function bookingTermsOf(
  order: Pick<OrderState, 'shippingDate' | 'terms' | 'amounts' | 'status'>,
  request: { addedVia: MonitoringAddedVia; supplierAgreed?: boolean },
  supplierCalendar: string | undefined,
): BookingTerms {
  return {
    addedVia: request.addedVia,
    orderInitialPaymentMade: order.amounts.paid > 0,
    supplierAgreed: request.supplierAgreed,
    shipmentDate: order.shippingDate ?? order.terms.shippingDate,
    supplierCalendar: supplierCalendar ?? 'CN',
    orderStatus: order.status,
  };
}

export function checkBooking(policy: MonitoringPolicy, terms: BookingTerms, now: number): BookingCheck {
  const problems: FieldProblem[] = [];
  if (!ADDED_VIA.includes(terms.addedVia)) problems.push({ field: 'addedVia', reason: `must be one of ${ADDED_VIA.join(', ')}` });
  if (!isValidDate(terms.shipmentDate)) problems.push({ field: 'shipmentDate', reason: 'must be a real date as YYYY-MM-DD' });
  let cal: WorkingCalendar | undefined;
  const pinned = Object.prototype.hasOwnProperty.call(policy.calendarVersions, terms.supplierCalendar) ? policy.calendarVersions[terms.supplierCalendar] : undefined;
  if (pinned === undefined) {
    problems.push({
      field: 'supplierCalendar',
      reason: `no calendar ${JSON.stringify(terms.supplierCalendar)} in monitoring policy ${policy.version}; known: ${Object.keys(policy.calendarVersions).join(', ')}`,
    });
  } else {
    try {
      cal = getCalendar(terms.supplierCalendar, pinned);
    } catch (err) {
      problems.push({ field: 'supplierCalendar', reason: err instanceof Error ? err.message : 'unknown calendar' });
    }
  }
  if (problems.length > 0 || !cal) return { problems };
  let cutoff: BookingCutoff;
  try {
    cutoff = bookingCutoff(policy, cal, terms.shipmentDate);
  } catch (err) {
    if (err instanceof CalendarError) return { problems: [{ field: 'shipmentDate', reason: err.message }] };
    throw err;
  }
  const result: BookingCheck = { problems, cutoff, calendarVersion: cal.version };
  if (terms.orderStatus !== undefined && !BOOKABLE_ORDER_STATUSES.includes(terms.orderStatus)) {
    const shipped = ['SHIPPED', 'DELIVERED', 'RECEIPT_CONFIRMED'].includes(terms.orderStatus);
    result.refusal = shipped
      ? `cannot book: the order has shipped (it is ${terms.orderStatus}); production monitoring and the on-site check happen before shipment`
      : `cannot book: the order is closed (it is ${terms.orderStatus}); the service is added to an open order before it ships`;
  } else if (terms.addedVia === 'SUPPLIER_DRAFT' && terms.orderInitialPaymentMade) {
    result.refusal =
      'cannot add the service as a supplier draft: the order is past drafting (its initial payment is made); the buyer adds it from order management with the supplier\'s agreement, or from the order details';
  } else if (terms.addedVia === 'BUYER_ORDER_MANAGEMENT' && terms.orderInitialPaymentMade && terms.supplierAgreed !== true) {
    result.refusal =
      "cannot add the service from order management: the order's initial payment is made, so the supplier must agree first (set supplierAgreed once it has)";
  } else if (now >= cutoff.at) {
    result.refusal = `cannot book: the booking cutoff passed at ${new Date(cutoff.at).toISOString()}; the last instant to book and pay was ${new Date(cutoff.lastInstant).toISOString()} (${cutoff.rule})`;
  }
  return result;
}

// ---- cards --------------------------------------------------------------------------------------

const BRAND_NAMES: Record<CardBrand, string> = {
  visa: 'Visa',
  mastercard: 'MasterCard',
  amex: 'American Express',
  discover: 'Discover',
  jcb: 'JCB',
  unionpay: 'UnionPay',
  diners: 'Diners Club',
  unknown: 'unrecognised',
};

export function cardBrandName(brand: string): string {
  return Object.prototype.hasOwnProperty.call(BRAND_NAMES, brand) ? BRAND_NAMES[brand as CardBrand] : brand;
}

/** The card brand from the number's prefix (IIN ranges). Visa 4; MasterCard 51–55 and 2221–2720. */
export function detectCardBrand(number: string): CardBrand {
  const digits = number.replace(/[\s-]/g, '');
  if (!/^\d+$/.test(digits)) return 'unknown';
  if (/^4/.test(digits)) return 'visa';
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^3(0[0-5]|[689])/.test(digits)) return 'diners';
  if (four >= 3528 && four <= 3589) return 'jcb';
  if (/^(6011|64[4-9]|65)/.test(digits)) return 'discover';
  if (/^62/.test(digits)) return 'unionpay';
  return 'unknown';
}

/** The Luhn (mod 10) check digit test. */
export function luhnValid(number: string): boolean {
  const digits = number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function isAcceptedBrand(policy: MonitoringPolicy, brand: string): brand is AcceptedCardBrand {
  return (policy.acceptedCardBrands as readonly string[]).includes(brand);
}

const BRAND_LENGTHS: Record<AcceptedCardBrand, number[]> = { visa: [13, 16, 19], mastercard: [16] };

export type CardCheck = { ok: true; brand: AcceptedCardBrand; last4: string } | { ok: false; problem: FieldProblem };

/** Whether the service accepts a card number: Visa or MasterCard, the brand's length, a valid check digit. */
export function checkCard(policy: MonitoringPolicy, number: string): CardCheck {
  const digits = number.replace(/[\s-]/g, '');
  const field = 'card.number';
  if (!/^\d{12,19}$/.test(digits)) return { ok: false, problem: { field, reason: 'must be 12 to 19 digits' } };
  const brand = detectCardBrand(digits);
  const accepted = policy.acceptedCardBrands.map(cardBrandName).join(' or ');
  if (!isAcceptedBrand(policy, brand)) {
    const which = brand === 'unknown' ? 'this card brand is not recognised' : `${cardBrandName(brand)} cards are not accepted`;
    return { ok: false, problem: { field, reason: `${which}: the monitoring service is paid by ${accepted} only` } };
  }
  if (!BRAND_LENGTHS[brand].includes(digits.length)) {
    return { ok: false, problem: { field, reason: `a ${cardBrandName(brand)} number has ${BRAND_LENGTHS[brand].join(' or ')} digits` } };
  }
  if (!luhnValid(digits)) return { ok: false, problem: { field, reason: 'is not a valid card number (check digit mismatch): check for a typo' } };
  return { ok: true, brand, last4: digits.slice(-4) };
}

/** Expiry check against the month of `now` (UTC): a card is valid through the end of its expiry month. */
export function cardExpired(expMonth: number, expYear: number, now: number): boolean {
  const d = new Date(now);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  return expYear < year || (expYear === year && expMonth < month);
}

// ---- refunds ------------------------------------------------------------------------------------

export interface RefundDecision {
  stage: RefundStage;
  percent: number;
  /** Minor units, rounded down. */
  amount: number;
  rule: string;
}

const STAGE_WORDS: Record<RefundStage, string> = {
  BEFORE_INSPECTOR_ASSIGNED: 'before an inspector is assigned',
  INSPECTOR_ASSIGNED: 'after an inspector is assigned',
  CHECKED: 'after the on-site check',
};

/** What a cancellation refunds of the fee paid, by stage. */
export function cancellationRefund(policy: MonitoringPolicy, stage: RefundStage, paid: number): RefundDecision {
  if (!isMinorUnits(paid) || paid < 0) throw new Error('paid must be a non-negative integer of minor units');
  const percent = policy.refundPercent[stage];
  const amount = Math.floor((paid * percent) / 100);
  return { stage, percent, amount, rule: `cancelled ${STAGE_WORDS[stage]}: ${percent}% of the fee is refunded` };
}

/** The proforma invoice's fields an on-site check compares with what the inspector saw. */
export const DETAIL_FIELDS: (keyof ProductDetails)[] = ['productName', 'quantity', 'shippingMarks', 'packaging', 'innerCartonMarkings'];

function norm(value: unknown): string {
  return String(value ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The lot an on-site check samples is what was produced for the order: at most the units the
 * proforma invoice lists, or the units the inspector counted when there are more. A larger lot
 * would draw a sample plan for units that do not exist.
 */
export function lotSizeRefusal(proforma: Pick<ProductDetails, 'quantity'>, observed: Partial<Pick<ProductDetails, 'quantity'>>, lotSize: number): string | undefined {
  const counted = typeof observed.quantity === 'number' && Number.isSafeInteger(observed.quantity) ? observed.quantity : 0;
  const most = Math.max(proforma.quantity, counted);
  if (lotSize <= most) return undefined;
  return `lotSize ${lotSize} is more than the units there are: the proforma invoice lists ${proforma.quantity}${counted > 0 ? ` and the inspector counted ${counted}` : ''}; the lot is what was produced for this order`;
}

/**
 * The verdict of an on-site check: FAIL when the AQL sample fails (ISO 2859-1, the lot's plan);
 * otherwise PENDING while anything is left to settle (a detail that differs from the proforma
 * invoice, fewer units inspected than the plan draws, a reason the inspector gives), else PASS.
 */
export function judgeCheck(p: {
  proforma: ProductDetails;
  observed: Partial<ProductDetails>;
  lotSize: number;
  sampleInspected: number;
  defects: DefectCounts;
  pendingReasons?: string[];
}): Pick<OnSiteCheck, 'aql' | 'mismatches' | 'result' | 'reasons'> {
  const plan = inspectionPlan(p.lotSize);
  const aql = judge(plan, p.defects);
  const mismatches: OnSiteCheck['mismatches'] = [];
  for (const field of DETAIL_FIELDS) {
    const expected = p.proforma[field];
    if (expected === undefined) continue;
    if (norm(expected) !== norm(p.observed[field])) mismatches.push({ field, expected: String(expected), observed: String(p.observed[field] ?? '(not recorded)') });
  }
  const reasons: string[] = [];
  let result: CheckResult;
  if (aql.result === 'FAIL') {
    result = 'FAIL';
    reasons.push(...aql.reasons);
  } else {
    reasons.push(...mismatches.map((m) => `${m.field} differs from the proforma invoice: expected "${m.expected}", found "${m.observed}"`));
    if (p.sampleInspected < plan.unitsToDraw) reasons.push(`only ${p.sampleInspected} units inspected; the plan draws ${plan.unitsToDraw} (code letter ${plan.codeLetter})`);
    reasons.push(...(p.pendingReasons ?? []));
    result = reasons.length > 0 ? 'PENDING' : 'PASS';
    if (result === 'PASS') reasons.push(...aql.reasons);
  }
  return { aql: { ...aql, codeLetter: plan.codeLetter, unitsToDraw: plan.unitsToDraw }, mismatches, result, reasons };
}
