/**
 * The self-check's pure rules: which tracking is a problem (every status, the 15-day boundary),
 * which week a check reports on, and the report's exact rates, target verdict and trend.
 */
import type { TrackingStatus } from '../../adapters/carrier';
import { TRACKING_STATUSES } from '../../adapters/carrier-http';
import { afterServicePolicy } from '../../workflows/after-service.policy';
import { AfterServiceReportFigures, compareRates, computeReport, percentText, rate, reportEmail } from '../../workflows/after-service-report';
import { isWeekStart, reportWeekFor, trackingProblem, weekStartOf } from '../../workflows/self-check.policy';

const DAY = 86_400_000;
const policy = afterServicePolicy('2026-11');
const checkedAt = Date.parse('2026-11-23T02:00:00Z');
const shippedAt = checkedAt - 30 * DAY;

describe('trackingProblem', () => {
  const recent = new Date(checkedAt - DAY).toISOString();
  const expected: Record<TrackingStatus, string | undefined> = {
    Pending: undefined,
    InfoReceived: undefined,
    InTransit: undefined,
    OutForDelivery: undefined,
    AttemptFail: undefined,
    Delivered: undefined,
    AvailableForPickup: undefined,
    Exception: 'EXCEPTION',
    Expired: 'EXPIRED',
    NotFound: 'NOT_FOUND',
  };
  it.each(TRACKING_STATUSES.map((s) => [s, expected[s]]))('%s updated yesterday → %s', (status, problem) => {
    expect(trackingProblem(policy, { status, lastUpdateAt: recent }, shippedAt, checkedAt)).toBe(problem);
  });

  it('flags any moving status as STALE only after more than 15 days without an update', () => {
    const at = (ms: number) => new Date(ms).toISOString();
    for (const status of ['Pending', 'InfoReceived', 'InTransit', 'OutForDelivery', 'AttemptFail', 'AvailableForPickup'] as const) {
      expect(trackingProblem(policy, { status, lastUpdateAt: at(checkedAt - 15 * DAY) }, shippedAt, checkedAt)).toBeUndefined();
      expect(trackingProblem(policy, { status, lastUpdateAt: at(checkedAt - 15 * DAY - 1) }, shippedAt, checkedAt)).toBe('STALE');
    }
  });

  it('a delivered parcel is never stale; exception, expired and not found keep their own problem when old', () => {
    const old = new Date(checkedAt - 40 * DAY).toISOString();
    expect(trackingProblem(policy, { status: 'Delivered', lastUpdateAt: old }, shippedAt, checkedAt)).toBeUndefined();
    expect(trackingProblem(policy, { status: 'Exception', lastUpdateAt: old }, shippedAt, checkedAt)).toBe('EXCEPTION');
    expect(trackingProblem(policy, { status: 'Expired', lastUpdateAt: old }, shippedAt, checkedAt)).toBe('EXPIRED');
  });

  it('without any tracking event, staleness counts from the shipment', () => {
    expect(trackingProblem(policy, { status: 'InfoReceived' }, checkedAt - 16 * DAY, checkedAt)).toBe('STALE');
    expect(trackingProblem(policy, { status: 'InfoReceived' }, checkedAt - 14 * DAY, checkedAt)).toBeUndefined();
    expect(trackingProblem(policy, { status: 'InTransit', lastUpdateAt: 'not a date' }, checkedAt - 16 * DAY, checkedAt)).toBe('STALE');
  });
});

describe('report weeks', () => {
  it('weeks start on Monday 00:00 UTC', () => {
    expect(new Date(weekStartOf(Date.parse('2026-11-23T00:00:00Z'))).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(new Date(weekStartOf(Date.parse('2026-11-22T23:59:59.999Z'))).toISOString()).toBe('2026-11-16T00:00:00.000Z');
    expect(new Date(weekStartOf(Date.parse('2026-11-29T12:00:00Z'))).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(new Date(weekStartOf(Date.parse('1970-01-01T00:00:00Z'))).toISOString()).toBe('1969-12-29T00:00:00.000Z');
  });

  it('a check reports on the last complete week', () => {
    expect(reportWeekFor(Date.parse('2026-11-23T02:00:00Z'))).toBe('2026-11-16');
    expect(reportWeekFor(Date.parse('2026-11-25T10:00:00Z'))).toBe('2026-11-16');
    expect(reportWeekFor(Date.parse('2026-11-22T23:00:00Z'))).toBe('2026-11-09');
  });

  it('isWeekStart accepts real Mondays only', () => {
    expect(isWeekStart('2026-11-16')).toBe(true);
    expect(isWeekStart('2026-11-17')).toBe(false);
    expect(isWeekStart('2026-02-30')).toBe(false);
    expect(isWeekStart('2026-1-5')).toBe(false);
  });
});

describe('report figures', () => {
  it('percentages are exact fractions rounded half up only for display', () => {
    expect(percentText(1, 8)).toBe('12.50%');
    expect(percentText(1, 3)).toBe('33.33%');
    expect(percentText(2, 3)).toBe('66.67%');
    expect(percentText(1, 800)).toBe('0.13%'); // 0.125 % rounds half up
    expect(percentText(1, 1000)).toBe('0.10%');
    expect(percentText(0, 5)).toBe('0.00%');
    expect(percentText(5, 5)).toBe('100.00%');
    expect(rate(1, 3)).toEqual({ numerator: 1, denominator: 3, value: 1 / 3, percent: '33.33%' });
    expect(compareRates(rate(1, 3), rate(2, 6))).toBe(0);
    expect(compareRates(rate(1, 3), rate(1, 4))).toBe(1);
  });

  const none = { total: 0, proactive: 0, customerRaised: 0 };
  const base = { weekStart: '2026-11-16', weekEnd: '2026-11-23', generatedAt: '2026-11-23T02:00:00.000Z', policyVersion: '2026-11', defectRateTarget: 0.002 };

  it('with no shipments the rates are null with a note, not zero', () => {
    const f = computeReport({ ...base, shipments: 0, cases: { tracking: { total: 1, proactive: 1, customerRaised: 0 }, quality: none, warehouse: none }, previous: [] });
    expect(f.afterServiceRate).toEqual({ numerator: 1, denominator: 0, value: null, percent: null, note: 'no shipments in the week: the rate is undefined' });
    expect(f.defectRate.withinTarget).toBeNull();
    expect(f.notes).toContain('No shipments left in the week: the rates are undefined (null), not zero.');
    expect(reportEmail(f).text).toContain('After-service rate: n/a (no shipments)');
  });

  it('the defect rate is judged exactly against 0.2%: 2 in 1000 is within, 3 in 1000 is above', () => {
    const at = (quality: number) =>
      computeReport({ ...base, shipments: 1000, cases: { tracking: none, quality: { total: quality, proactive: 0, customerRaised: quality }, warehouse: none }, previous: [] });
    expect(at(2).defectRate).toMatchObject({ percent: '0.20%', targetPercent: '0.20%', withinTarget: true });
    expect(at(3).defectRate).toMatchObject({ percent: '0.30%', withinTarget: false });
    expect(at(3).notes).toContain('The defect rate 0.30% is above the 0.20% target.');
    expect(reportEmail(at(3)).subject).toContain('defect rate above target');
  });

  it('the trend takes the last four earlier weeks, oldest first, and compares with the week before', () => {
    const week = (weekStart: string, cases: number, shipments: number) =>
      computeReport({ ...base, weekStart, shipments, cases: { tracking: { total: cases, proactive: 0, customerRaised: cases }, quality: none, warehouse: none }, previous: [] });
    const previous: AfterServiceReportFigures[] = [
      week('2026-10-12', 9, 100),
      week('2026-10-19', 1, 100),
      week('2026-10-26', 2, 100),
      week('2026-11-02', 3, 100),
      week('2026-11-09', 4, 200),
      week('2026-11-23', 50, 100), // later than the report's week: not part of its trend
    ];
    const f = computeReport({ ...base, shipments: 100, cases: { tracking: { total: 2, proactive: 1, customerRaised: 1 }, quality: none, warehouse: none }, previous });
    expect(f.trend.previous.map((p) => [p.weekStart, p.afterServiceRate.percent])).toEqual([
      ['2026-10-19', '1.00%'],
      ['2026-10-26', '2.00%'],
      ['2026-11-02', '3.00%'],
      ['2026-11-09', '2.00%'],
    ]);
    // 2/100 against 4/200: equal as fractions.
    expect(f.trend.afterServiceRate).toBe('flat');
    expect(f.trend.defectRate).toBe('flat');
    const up = computeReport({ ...base, shipments: 100, cases: { tracking: { total: 3, proactive: 0, customerRaised: 3 }, quality: none, warehouse: none }, previous });
    expect(up.trend.afterServiceRate).toBe('up');
  });
});
