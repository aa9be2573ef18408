/**
 * The monitoring service's pure rules: the booking cutoff in the supplier's calendar, card brand
 * detection and the Luhn check, and the refund schedule.
 */
import { getCalendar } from '../../workflows/calendar';
import {
  BookingTerms,
  CURRENT_MONITORING_POLICY_VERSION,
  bookingChannelRefusal,
  bookingTermsOf,
  bookingCutoff,
  cancellationRefund,
  cardExpired,
  checkBooking,
  judgeCheck,
  lotSizeRefusal,
  checkCard,
  detectCardBrand,
  luhnValid,
  monitoringPolicy,
} from '../../workflows/monitoring.policy';

// The reading of the cutoff booked tasks of policy 2026-11 keep: payment before the cutoff day begins.
const policy = monitoringPolicy('2026-11');
const CN = getCalendar('CN', '2026-11');
const US = getCalendar('US', '2026-11');
// The reading from policy 2026-12 on: payment on the cutoff day is in time.
const current = monitoringPolicy(CURRENT_MONITORING_POLICY_VERSION);
const CN_NOW = getCalendar('CN', current.calendarVersions.CN);

const terms = (overrides: Partial<BookingTerms> = {}): BookingTerms => ({
  addedVia: 'ORDER_DETAILS_SEPARATE',
  orderInitialPaymentMade: false,
  shipmentDate: '2026-12-14',
  supplierCalendar: 'CN',
  ...overrides,
});

describe('booking cutoff', () => {
  it('is the start of the 7th working day before the shipment date, in the supplier time zone', () => {
    // Shipment Monday 2026-12-14: Fri 11, Thu 10, Wed 9, Tue 8, Mon 7, Fri 4, Thu 3.
    const cutoff = bookingCutoff(policy, CN, '2026-12-14');
    expect(cutoff.date).toBe('2026-12-03');
    expect(new Date(cutoff.at).toISOString()).toBe('2026-12-02T16:00:00.000Z'); // 00:00 in Asia/Shanghai
    expect(cutoff.rule).toMatch(/7 whole working days before the shipment date 2026-12-14 \(CN calendar\)/);
  });

  it('uses the supplier calendar time zone: the same dates in the US calendar end at 00:00 New York time', () => {
    const cutoff = bookingCutoff(policy, US, '2026-12-14');
    expect(cutoff.date).toBe('2026-12-03');
    expect(new Date(cutoff.at).toISOString()).toBe('2026-12-03T05:00:00.000Z');
  });

  it('skips the Spring Festival 2026 holiday and counts its make-up Saturday', () => {
    // Shipment Tue 2026-02-24: 15–23 Feb are holidays, Sat 14 Feb is a make-up working day.
    // 14(1), 13(2), 12(3), 11(4), 10(5), 9(6), 6(7): seven weekdays back would wrongly give 13 Feb.
    expect(bookingCutoff(policy, CN, '2026-02-24').date).toBe('2026-02-06');
    // Shipment Mon 2026-03-02: Sat 28 Feb (make-up) 27, 26, 25, 24, Sat 14 (make-up), 13.
    expect(bookingCutoff(policy, CN, '2026-03-02').date).toBe('2026-02-13');
  });

  it('accepts a booking one millisecond before the cutoff and refuses it at the cutoff, naming the date', () => {
    const { at } = bookingCutoff(policy, CN, '2026-12-14');
    const before = checkBooking(policy, terms(), at - 1);
    expect(before).toMatchObject({ problems: [], calendarVersion: CN.version });
    expect(before.refusal).toBeUndefined();
    const atCutoff = checkBooking(policy, terms(), at);
    expect(atCutoff.refusal).toBe(
      'cannot book: the booking cutoff passed at 2026-12-02T16:00:00.000Z; the last instant to book and pay was 2026-12-02T15:59:59.999Z (booked and paid before 2026-12-03 00:00 Asia/Shanghai: 7 whole working days before the shipment date 2026-12-14 (CN calendar))',
    );
    expect(checkBooking(policy, terms(), at + 86_400_000).refusal).toMatch(/^cannot book: the booking cutoff passed at 2026-12-02T16:00:00.000Z/);
  });

  it('needs the supplier agreement from order management once the initial payment is made', () => {
    const now = Date.parse('2026-11-22T00:00:00Z');
    expect(checkBooking(policy, terms({ addedVia: 'BUYER_ORDER_MANAGEMENT', orderInitialPaymentMade: false }), now).refusal).toBeUndefined();
    expect(checkBooking(policy, terms({ addedVia: 'BUYER_ORDER_MANAGEMENT', orderInitialPaymentMade: true }), now).refusal).toMatch(
      /the supplier must agree first/,
    );
    expect(
      checkBooking(policy, terms({ addedVia: 'BUYER_ORDER_MANAGEMENT', orderInitialPaymentMade: true, supplierAgreed: true }), now).refusal,
    ).toBeUndefined();
    expect(checkBooking(policy, terms({ addedVia: 'SUPPLIER_DRAFT', orderInitialPaymentMade: true }), now).refusal).toMatch(/past drafting/);
  });

  it('names the field for an unknown calendar, a date outside the calendar or a non-date', () => {
    const now = Date.parse('2026-11-22T00:00:00Z');
    expect(checkBooking(policy, terms({ supplierCalendar: 'XX' }), now).problems[0].field).toBe('supplierCalendar');
    expect(checkBooking(policy, terms({ shipmentDate: '2031-01-10' }), now).problems[0]).toMatchObject({ field: 'shipmentDate', reason: expect.stringMatching(/outside/) });
    expect(checkBooking(policy, terms({ shipmentDate: '2026-02-30' }), now).problems[0].field).toBe('shipmentDate');
  });
});

describe('booking cutoff from policy 2026-12: paying on the cutoff day is in time', () => {
  it('is pinned to the reading and the calendar releases of its version', () => {
    expect(current).toMatchObject({ version: '2026-12', bookingCutoffReading: 'through-cutoff-day', calendarVersions: { CN: '2026-12', DE: '2026-11', US: '2026-11' } });
    expect(policy).toMatchObject({ bookingCutoffReading: 'before-cutoff-day', calendarVersions: { CN: '2026-11', DE: '2026-11', US: '2026-11' } });
  });

  it('ends with the 7th working day before the shipment date: its last instant is 23:59:59.999 in the supplier time zone', () => {
    // Shipment Monday 2026-12-14: the 7th working day before is Thursday 3 December.
    const cutoff = bookingCutoff(current, CN_NOW, '2026-12-14');
    expect(cutoff.date).toBe('2026-12-03');
    expect(new Date(cutoff.lastInstant).toISOString()).toBe('2026-12-03T15:59:59.999Z');
    expect(new Date(cutoff.at).toISOString()).toBe('2026-12-03T16:00:00.000Z');
    expect(cutoff.rule).toBe(
      'booked and paid by the end of 2026-12-03 in Asia/Shanghai, the last instant being 2026-12-03T15:59:59.999Z: 2026-12-03 is the 7th working day before the shipment date 2026-12-14, and paying on it is in time (CN calendar 2026-12)',
    );
    expect(cutoff.provisional).toBe(false);
  });

  it('accepts a booking at its last instant and refuses it one millisecond later, naming the last instant', () => {
    const { at, lastInstant } = bookingCutoff(current, CN_NOW, '2026-12-14');
    expect(checkBooking(current, terms(), lastInstant)).toMatchObject({ problems: [], calendarVersion: '2026-12' });
    expect(checkBooking(current, terms(), lastInstant).refusal).toBeUndefined();
    expect(checkBooking(current, terms(), at).refusal).toBe(
      'cannot book: the booking cutoff passed at 2026-12-03T16:00:00.000Z; the last instant to book and pay was 2026-12-03T15:59:59.999Z ' +
        '(booked and paid by the end of 2026-12-03 in Asia/Shanghai, the last instant being 2026-12-03T15:59:59.999Z: 2026-12-03 is the 7th working day before the shipment date 2026-12-14, and paying on it is in time (CN calendar 2026-12))',
    );
  });

  it('a shipment on 18 Feb 2027 has its cutoff on 3 Feb (days off in lieu 9-10 Feb), marked provisional', () => {
    const cutoff = bookingCutoff(current, CN_NOW, '2027-02-18');
    expect(cutoff.date).toBe('2027-02-03');
    expect(cutoff.provisional).toBe(true);
    expect(cutoff.rule).toMatch(/\(CN calendar 2026-12; PROVISIONAL: from 2027-01-01 the calendar holds the statutory holidays and their days off in lieu by rule/);
    // Tasks of policy 2026-11 keep the release they were booked on.
    expect(bookingCutoff(policy, CN, '2027-02-18').date).toBe('2027-02-09');
  });

  it('refuses a booking for an order that has shipped or is closed, whatever the cutoff', () => {
    const now = Date.parse('2026-11-22T00:00:00Z');
    for (const status of ['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED', 'DEPOSIT_PAID', 'PAID'] as const) {
      expect([status, checkBooking(current, terms({ orderStatus: status }), now).refusal]).toEqual([status, undefined]);
    }
    for (const status of ['SHIPPED', 'DELIVERED', 'RECEIPT_CONFIRMED'] as const) {
      expect(checkBooking(current, terms({ orderStatus: status }), now).refusal).toBe(
        `cannot book: the order has shipped (it is ${status}); production monitoring and the on-site check happen before shipment`,
      );
    }
    for (const status of ['CANCELLED', 'EXPIRED', 'COMPLETED', 'SETTLED'] as const) {
      expect(checkBooking(current, terms({ orderStatus: status }), now).refusal).toBe(
        `cannot book: the order is closed (it is ${status}); the service is added to an open order before it ships`,
      );
    }
  });

  it('counts in the calendar the policy pins for the supplier calendar id, and names the known ones otherwise', () => {
    const now = Date.parse('2026-11-22T00:00:00Z');
    expect(checkBooking(current, terms({ supplierCalendar: 'US' }), now).cutoff?.at).toBe(Date.parse('2026-12-04T05:00:00.000Z'));
    expect(checkBooking(current, terms({ supplierCalendar: 'XX' }), now).problems).toEqual([
      { field: 'supplierCalendar', reason: 'no calendar "XX" in monitoring policy 2026-12; known: CN, DE, US' },
    ]);
  });
});

describe('cards', () => {
  it.each([
    ['4242424242424242', 'visa'],
    ['4000000000000002', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['5105105105105100', 'mastercard'],
    ['2221000000000009', 'mastercard'],
    ['2720990000000007', 'mastercard'],
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['3566002020360505', 'jcb'],
    ['2220990000000000', 'unknown'],
    ['2721000000000000', 'unknown'],
    ['5600000000000000', 'unknown'],
  ])('%s is %s', (number, brand) => {
    expect(detectCardBrand(number)).toBe(brand);
  });

  it('checks the Luhn digit', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242 4242 4242 4242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(luhnValid('79927398713')).toBe(false); // 11 digits: too short for a card
    expect(luhnValid('5555555555554444')).toBe(true);
  });

  it('accepts Visa and MasterCard with a valid number, keeping only the last four digits', () => {
    expect(checkCard(policy, '4242 4242 4242 4242')).toEqual({ ok: true, brand: 'visa', last4: '4242' });
    expect(checkCard(policy, '2223003122003222')).toEqual({ ok: true, brand: 'mastercard', last4: '3222' });
  });

  it('refuses other brands, bad lengths and check digits with a clear reason on card.number', () => {
    expect(checkCard(policy, '378282246310005')).toEqual({
      ok: false,
      problem: { field: 'card.number', reason: 'American Express cards are not accepted: the monitoring service is paid by Visa or MasterCard only' },
    });
    expect(checkCard(policy, '6011111111111117')).toMatchObject({ ok: false, problem: { reason: expect.stringMatching(/^Discover cards are not accepted/) } });
    expect(checkCard(policy, '9999999999999995')).toMatchObject({ ok: false, problem: { reason: expect.stringMatching(/not recognised/) } });
    expect(checkCard(policy, '4242424242424241')).toMatchObject({ ok: false, problem: { reason: expect.stringMatching(/check digit/) } });
    expect(checkCard(policy, '55555555555544')).toMatchObject({ ok: false, problem: { reason: 'a MasterCard number has 16 digits' } });
    expect(checkCard(policy, '4242-abc')).toMatchObject({ ok: false, problem: { reason: 'must be 12 to 19 digits' } });
  });

  it('treats a card as valid through the end of its expiry month', () => {
    const now = Date.parse('2026-11-22T00:00:00Z');
    expect(cardExpired(11, 2026, now)).toBe(false);
    expect(cardExpired(10, 2026, now)).toBe(true);
    expect(cardExpired(1, 2027, now)).toBe(false);
    expect(cardExpired(12, 2025, now)).toBe(true);
  });
});

describe('refund policy', () => {
  it('refunds all before an inspector is assigned, half after, nothing after the check', () => {
    expect(cancellationRefund(policy, 'BEFORE_INSPECTOR_ASSIGNED', 29_900)).toMatchObject({ percent: 100, amount: 29_900 });
    expect(cancellationRefund(policy, 'INSPECTOR_ASSIGNED', 29_900)).toMatchObject({ percent: 50, amount: 14_950 });
    expect(cancellationRefund(policy, 'CHECKED', 29_900)).toMatchObject({ percent: 0, amount: 0 });
  });

  it('rounds a partial refund down to whole minor units and refuses a non-integer amount', () => {
    expect(cancellationRefund(policy, 'INSPECTOR_ASSIGNED', 29_901).amount).toBe(14_950);
    expect(() => cancellationRefund(policy, 'INSPECTOR_ASSIGNED', 10.5)).toThrow(/minor units/);
  });

  it('pins the version: an unknown policy version is an error, not a default', () => {
    expect(() => monitoringPolicy('1999-01')).toThrow(/unknown monitoring policy version/);
    expect(policy.fee).toEqual({ amount: 29_900, currency: 'USD' });
  });
});

describe('who books through which channel, and the facts a booking is checked against', () => {
  it('lets a supplier book only while drafting and a buyer never as a supplier draft; ops through any', () => {
    expect(bookingChannelRefusal('supplier', 'SUPPLIER_DRAFT')).toBeUndefined();
    expect(bookingChannelRefusal('supplier', 'BUYER_ORDER_MANAGEMENT')).toBe('a supplier adds the service only while drafting (addedVia SUPPLIER_DRAFT), not BUYER_ORDER_MANAGEMENT');
    expect(bookingChannelRefusal('buyer', 'SUPPLIER_DRAFT')).toBe('a buyer adds the service from order management or the order details, not as a supplier draft');
    expect(bookingChannelRefusal('buyer', 'ORDER_DETAILS_SEPARATE')).toBeUndefined();
    for (const via of ['SUPPLIER_DRAFT', 'BUYER_ORDER_MANAGEMENT', 'ORDER_DETAILS_SEPARATE'] as const) expect(bookingChannelRefusal('ops', via)).toBeUndefined();
  });

  it('takes the shipment date, the initial payment and the status from the order, and the calendar from the profile (CN without one)', () => {
    const order = { shippingDate: '2027-03-01', terms: { shippingDate: '2027-02-01' }, amounts: { paid: 0 }, status: 'CONFIRMED' } as Parameters<typeof bookingTermsOf>[0];
    expect(bookingTermsOf(order, { addedVia: 'ORDER_DETAILS_SEPARATE' }, undefined)).toEqual({
      addedVia: 'ORDER_DETAILS_SEPARATE', orderInitialPaymentMade: false, supplierAgreed: undefined, shipmentDate: '2027-03-01', supplierCalendar: 'CN', orderStatus: 'CONFIRMED',
    });
    const paid = { ...order, shippingDate: undefined, amounts: { paid: 1 }, status: 'DEPOSIT_PAID' } as Parameters<typeof bookingTermsOf>[0];
    expect(bookingTermsOf(paid, { addedVia: 'BUYER_ORDER_MANAGEMENT', supplierAgreed: true }, 'VN')).toMatchObject({
      orderInitialPaymentMade: true, supplierAgreed: true, shipmentDate: '2027-02-01', supplierCalendar: 'VN', orderStatus: 'DEPOSIT_PAID',
    });
  });
});

describe('the verdict of an on-site check', () => {
  const proforma = { productName: 'Bluetooth speaker', quantity: 1000, shippingMarks: 'TG/2026', packaging: 'carton of 20' };
  const clean = { critical: 0, major: 0, minor: 0 };
  const seen = { productName: '  bluetooth   SPEAKER ', quantity: 1000, shippingMarks: 'TG/2026', packaging: 'Carton of 20' };

  it('samples a lot of at most the units there are: the proforma quantity, or the units counted when more', () => {
    expect(lotSizeRefusal(proforma, seen, 1000)).toBeUndefined();
    expect(lotSizeRefusal(proforma, seen, 2)).toBeUndefined();
    expect(lotSizeRefusal(proforma, { quantity: 1200 }, 1200)).toBeUndefined();
    expect(lotSizeRefusal(proforma, seen, 100_000_000)).toBe(
      'lotSize 100000000 is more than the units there are: the proforma invoice lists 1000 and the inspector counted 1000; the lot is what was produced for this order',
    );
    expect(lotSizeRefusal(proforma, {}, 1001)).toBe('lotSize 1001 is more than the units there are: the proforma invoice lists 1000; the lot is what was produced for this order');
    expect(lotSizeRefusal(proforma, { quantity: 1200 }, 1201)).toMatch(/^lotSize 1201 is more than the units there are/);
  });

  it('passes a clean sample of the plan size whose details match the proforma (case and spacing aside)', () => {
    const v = judgeCheck({ proforma, observed: seen, lotSize: 1000, sampleInspected: 80, defects: clean });
    expect(v.result).toBe('PASS');
    expect(v.mismatches).toEqual([]);
    expect(v.aql).toMatchObject({ result: 'PASS', codeLetter: 'J', unitsToDraw: 80 });
    expect(v.reasons).toHaveLength(3);
  });

  it('fails on the AQL sample whatever else is pending: one critical defect', () => {
    const v = judgeCheck({ proforma, observed: { ...seen, packaging: 'bags' }, lotSize: 1000, sampleInspected: 10, defects: { ...clean, critical: 1 }, pendingReasons: ['labels missing'] });
    expect(v.result).toBe('FAIL');
    expect(v.reasons.join('; ')).toMatch(/critical defects 1/);
    expect(v.reasons.join('; ')).not.toMatch(/labels missing|packaging/);
  });

  it('is pending on a differing detail, too small a sample, or a reason the inspector gives, naming each', () => {
    const v = judgeCheck({ proforma, observed: { ...seen, packaging: 'bags of 20', shippingMarks: undefined }, lotSize: 1000, sampleInspected: 50, defects: clean, pendingReasons: ['lab test awaited'] });
    expect(v.result).toBe('PENDING');
    expect(v.mismatches).toEqual([
      { field: 'shippingMarks', expected: 'TG/2026', observed: '(not recorded)' },
      { field: 'packaging', expected: 'carton of 20', observed: 'bags of 20' },
    ]);
    expect(v.reasons).toEqual([
      'shippingMarks differs from the proforma invoice: expected "TG/2026", found "(not recorded)"',
      'packaging differs from the proforma invoice: expected "carton of 20", found "bags of 20"',
      'only 50 units inspected; the plan draws 80 (code letter J)',
      'lab test awaited',
    ]);
  });
});
