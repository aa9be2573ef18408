/**
 * The after-service windows at their edges: just inside is open, the closing instant and after are
 * refused with the window and when it closed; delivery windows fall back to shipment + N days and say so.
 */
import { afterServicePolicy, caseWindow, categoryOf, changeCancelWindowClosesAt, OrderFacts } from '../../workflows/after-service.policy';

const policy = afterServicePolicy('2026-11');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const paidAt = Date.parse('2026-11-02T08:00:00Z');
const shippedAt = paidAt + 5 * DAY;
const deliveredAt = shippedAt + 6 * DAY;
const facts = (f: Partial<OrderFacts> = {}): OrderFacts => ({ paidAt, shippedAt, deliveredAt, recallable: false, ...f });

describe('change or cancel after payment', () => {
  it('is automatic until 24 h after payment, then only while the order can be recalled', () => {
    expect(changeCancelWindowClosesAt(policy, paidAt)).toBe(paidAt + 24 * HOUR);
    const unshipped = facts({ shippedAt: undefined, deliveredAt: undefined, recallable: true });
    expect(caseWindow(policy, 'CHANGE_CANCEL', unshipped, paidAt + 24 * HOUR - 1)).toMatchObject({ open: true, automatic: true });
    expect(caseWindow(policy, 'CHANGE_CANCEL', unshipped, paidAt + 24 * HOUR)).toMatchObject({ open: true, automatic: false });
    const shipped = caseWindow(policy, 'CHANGE_CANCEL', facts(), paidAt + 24 * HOUR);
    expect(shipped.open).toBe(false);
    expect(shipped.refusal).toBe(
      'the automatic change/cancel window (24 h after payment) closed at 2026-11-03T08:00:00.000Z and the order can no longer be recalled: it has shipped',
    );
  });

  it('accepts a change to an unpaid order without any window', () => {
    expect(caseWindow(policy, 'CHANGE_CANCEL', { recallable: true }, paidAt)).toMatchObject({ open: true, automatic: true });
  });
});

describe('tracking after-service', () => {
  it('is open for 60 days after payment, counted to the millisecond', () => {
    expect(caseWindow(policy, 'TRACKING', facts(), paidAt + 60 * DAY - 1)).toMatchObject({ open: true, basis: 'payment', closesAt: paidAt + 60 * DAY });
    const late = caseWindow(policy, 'TRACKING', facts(), paidAt + 60 * DAY);
    expect(late.open).toBe(false);
    expect(late.refusal).toBe('the tracking after-service window (60 days after payment) closed at 2027-01-01T08:00:00.000Z');
  });

  it('needs a payment and a parcel', () => {
    expect(caseWindow(policy, 'TRACKING', { recallable: true }, paidAt).refusal).toMatch(/not paid yet/);
    expect(caseWindow(policy, 'TRACKING', facts({ shippedAt: undefined, deliveredAt: undefined }), paidAt).refusal).toMatch(/has not shipped/);
  });
});

describe('after delivery: product guarantee (30 days) and no-reason return (7 days)', () => {
  it('opens the guarantee at delivery and closes it 30 days later', () => {
    expect(caseWindow(policy, 'QUALITY', facts(), deliveredAt + 30 * DAY - 1)).toMatchObject({ open: true, basis: 'delivery' });
    expect(caseWindow(policy, 'QUALITY', facts(), deliveredAt + 30 * DAY).refusal).toBe(
      `the product guarantee window (30 days after delivery) closed at ${new Date(deliveredAt + 30 * DAY).toISOString()}`,
    );
  });

  it('gives 7 days for a no-reason return', () => {
    expect(caseWindow(policy, 'RETURN', facts(), deliveredAt + 7 * DAY - 1).open).toBe(true);
    expect(caseWindow(policy, 'RETURN', facts(), deliveredAt + 7 * DAY).open).toBe(false);
  });

  it('without a delivery event, counts from shipment + 20 days and says so', () => {
    const noDelivery = facts({ deliveredAt: undefined });
    const assumed = shippedAt + 20 * DAY;
    const before = caseWindow(policy, 'RETURN', noDelivery, assumed - 1);
    expect(before.open).toBe(false);
    expect(before.refusal).toMatch(/the goods are not delivered yet/);
    const inside = caseWindow(policy, 'RETURN', noDelivery, assumed + 7 * DAY - 1);
    expect(inside).toMatchObject({ open: true, basis: 'delivery-fallback', opensAt: assumed });
    expect(inside.rule).toBe(`no-reason return within 7 days after delivery (no delivery event: delivery taken as shipment + 20 days, ${new Date(assumed).toISOString()})`);
    const outside = caseWindow(policy, 'QUALITY', noDelivery, assumed + 30 * DAY);
    expect(outside.open).toBe(false);
    expect(outside.refusal).toContain('no delivery event: delivery taken as shipment + 20 days');
  });

  it('refuses before shipment', () => {
    expect(caseWindow(policy, 'QUALITY', facts({ shippedAt: undefined, deliveredAt: undefined }), paidAt).refusal).toMatch(/opens at delivery/);
  });
});

describe('categories for the weekly report', () => {
  it('maps each case type to tracking, quality or warehouse', () => {
    expect([categoryOf('TRACKING'), categoryOf('QUALITY'), categoryOf('RETURN'), categoryOf('CHANGE_CANCEL')]).toEqual(['tracking', 'quality', 'warehouse', 'warehouse']);
  });
});
