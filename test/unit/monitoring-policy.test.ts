/**
 * The monitoring service's pure rules: the booking cutoff in the supplier's calendar, card brand
 * detection and the Luhn check, and the refund schedule.
 */
import { getCalendar } from '../../workflows/calendar';
import {
  BookingTerms,
  bookingCutoff,
  cancellationRefund,
  cardExpired,
  checkBooking,
  checkCard,
  detectCardBrand,
  luhnValid,
  monitoringPolicy,
} from '../../workflows/monitoring.policy';

const policy = monitoringPolicy('2026-11');
const CN = getCalendar('CN');
const US = getCalendar('US');

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
      'cannot book: the booking cutoff passed at 2026-12-02T16:00:00.000Z (booked and paid before 2026-12-03 00:00 Asia/Shanghai: 7 whole working days before the shipment date 2026-12-14 (CN calendar))',
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
