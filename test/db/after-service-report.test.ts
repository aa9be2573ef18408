/**
 * The weekly after-service report on a known data set in PostgreSQL: shipments and cases at the
 * week's edges, cases per category, proactive and customer-raised, the after-service and defect
 * rates against the 0.2% target, the trend over stored earlier weeks, and the idempotent upsert.
 * Its weeks are in 2003, where no other test writes.
 */
import { createReportActivities } from '../../activities/report';
import { Db, createDb } from '../../infra/db';
import type { AfterServiceReportFigures, SelfCheckSummary } from '../../workflows/after-service-report';
import { isWeekStart } from '../../workflows/self-check.policy';
import { testDatabaseUrl, uniqueId } from '../support/env';

const DAY = 86_400_000;
const W = '2003-03-10';
const W1 = '2003-03-03';
const W2 = '2003-02-24';
const start = (week: string) => Date.parse(`${week}T00:00:00Z`);

let db: Db;
let report: ReturnType<typeof createReportActivities>;

beforeAll(async () => {
  db = createDb(testDatabaseUrl());
  report = createReportActivities({ db });
  const run = uniqueId('rpt');
  const shipment = (n: number, shippedAt: number) => ({
    id: `order:${run}-${n}`,
    source: 'order',
    orderId: `${run}-${n}`,
    carrier: 'DHL',
    trackingNumber: `JD${n}`,
    shippedAt: new Date(shippedAt),
    updatedAt: new Date(shippedAt),
  });
  // Week W: 1000 shipments, two of them on the week's first and last millisecond; two just outside.
  const inWeek = [shipment(0, start(W)), shipment(1, start(W) + 7 * DAY - 1)];
  for (let i = 2; i < 1000; i++) inWeek.push(shipment(i, start(W) + (i % 7) * DAY + 3_600_000));
  const outside = [shipment(1000, start(W) - 1), shipment(1001, start(W) + 7 * DAY)];
  // Week W1: 500 shipments (the one on its last millisecond above, and 499 more). Week W2: none.
  const previousWeek = Array.from({ length: 499 }, (_, i) => shipment(2000 + i, start(W1) + DAY));
  await db.shipment.createMany({ data: [...inWeek, ...outside, ...previousWeek] });

  let n = 0;
  const kase = (type: string, category: string, proactive: boolean, openedAt: number) => ({
    id: `${run}-case-${n++}`,
    orderId: `${run}-${n}`,
    orderSource: 'order',
    type,
    category,
    status: 'AWAITING_REPLY',
    proactive,
    problem: proactive ? 'STALE' : null,
    firstReplyDueAt: new Date(openedAt + DAY),
    policyVersion: '2026-11',
    revision: 1,
    openedAt: new Date(openedAt),
    updatedAt: new Date(openedAt),
  });
  const mid = start(W) + 2 * DAY;
  await db.afterServiceCase.createMany({
    data: [
      kase('TRACKING', 'tracking', true, start(W)),
      kase('TRACKING', 'tracking', true, mid),
      kase('TRACKING', 'tracking', true, mid),
      kase('TRACKING', 'tracking', false, mid),
      kase('TRACKING', 'tracking', false, start(W) + 7 * DAY - 1),
      kase('QUALITY', 'quality', false, mid),
      kase('QUALITY', 'quality', false, mid),
      kase('QUALITY', 'quality', false, mid),
      kase('RETURN', 'warehouse', false, mid),
      kase('CHANGE_CANCEL', 'warehouse', false, mid),
      // Outside the week: the Monday after, and the last millisecond of week W1.
      kase('QUALITY', 'quality', false, start(W) + 7 * DAY),
      kase('TRACKING', 'tracking', true, start(W) - 1),
      // Week W1: that tracking case, and 2 quality cases.
      kase('QUALITY', 'quality', false, start(W1) + DAY),
      kase('QUALITY', 'quality', false, start(W1) + 2 * DAY),
    ],
  });
});

afterAll(async () => {
  await db?.$disconnect();
});

const selfCheck: SelfCheckSummary = {
  checkedAt: '2003-03-17T02:00:00.000Z',
  checked: 40,
  delivered: 3,
  flagged: { NOT_FOUND: 1, EXCEPTION: 1, EXPIRED: 0, STALE: 1 },
  casesOpened: 3,
  casesAlreadyOpen: 0,
  outsideWindow: 0,
  orderMissing: 0,
};

describe('weekly after-service report on a known data set', () => {
  let figures: AfterServiceReportFigures;

  beforeAll(async () => {
    expect([W, W1, W2].every(isWeekStart)).toBe(true);
    // The earlier weeks first, as the weekly checks would have stored them.
    await report.buildWeeklyReport({ weekStart: W2, generatedAt: '2003-03-03T02:00:00.000Z' });
    await report.buildWeeklyReport({ weekStart: W1, generatedAt: '2003-03-10T02:00:00.000Z' });
    figures = await report.buildWeeklyReport({ weekStart: W, generatedAt: '2003-03-17T02:00:00.000Z', selfCheck });
  });

  it('counts the shipments that left in the week, edges included, and the cases opened in it', () => {
    expect(figures.weekStart).toBe(W);
    expect(figures.weekEnd).toBe('2003-03-17');
    expect(figures.shipments).toBe(1000);
    expect(figures.cases).toEqual({
      total: 10,
      proactive: 3,
      customerRaised: 7,
      byCategory: {
        tracking: { total: 5, proactive: 3, customerRaised: 2 },
        quality: { total: 3, proactive: 0, customerRaised: 3 },
        warehouse: { total: 2, proactive: 0, customerRaised: 2 },
      },
    });
  });

  it('gives the after-service rate overall and per category as exact fractions', () => {
    expect(figures.afterServiceRate).toEqual({ numerator: 10, denominator: 1000, value: 0.01, percent: '1.00%' });
    expect(figures.rateByCategory).toEqual({
      tracking: { numerator: 5, denominator: 1000, value: 0.005, percent: '0.50%' },
      quality: { numerator: 3, denominator: 1000, value: 0.003, percent: '0.30%' },
      warehouse: { numerator: 2, denominator: 1000, value: 0.002, percent: '0.20%' },
    });
  });

  it('judges the defect rate against the 0.2% target', () => {
    expect(figures.defectRate).toEqual({ numerator: 3, denominator: 1000, value: 0.003, percent: '0.30%', target: 0.002, targetPercent: '0.20%', withinTarget: false });
    expect(figures.notes).toContain('The defect rate 0.30% is above the 0.20% target.');
  });

  it('shows the trend against the stored earlier weeks, a week without shipments as undefined', () => {
    expect(figures.trend.previous).toEqual([
      {
        weekStart: W2,
        shipments: 0,
        cases: 0,
        afterServiceRate: { numerator: 0, denominator: 0, value: null, percent: null, note: 'no shipments in the week: the rate is undefined' },
        defectRate: { numerator: 0, denominator: 0, value: null, percent: null, note: 'no shipments in the week: the rate is undefined' },
      },
      {
        weekStart: W1,
        shipments: 500,
        cases: 3,
        afterServiceRate: { numerator: 3, denominator: 500, value: 0.006, percent: '0.60%' },
        defectRate: { numerator: 2, denominator: 500, value: 0.004, percent: '0.40%' },
      },
    ]);
    expect(figures.trend.afterServiceRate).toBe('up');
    expect(figures.trend.defectRate).toBe('down');
    expect(figures.selfCheck).toEqual(selfCheck);
  });

  it('stores one row per week: a re-run replaces the figures and keeps the stored self-check', async () => {
    const again = await report.buildWeeklyReport({ weekStart: W, generatedAt: '2003-03-18T09:00:00.000Z' });
    const rows = await db.afterServiceReport.findMany({ where: { weekStart: new Date(`${W}T00:00:00Z`) } });
    expect(rows).toHaveLength(1);
    expect(rows[0].createdAt.toISOString()).toBe('2003-03-17T02:00:00.000Z');
    expect(rows[0].figures).toEqual(JSON.parse(JSON.stringify(again)));
    expect(again).toEqual({ ...figures, generatedAt: '2003-03-18T09:00:00.000Z' });
  });

  it('refuses a week that does not start on Monday', async () => {
    await expect(report.buildWeeklyReport({ weekStart: '2003-03-11', generatedAt: '2003-03-18T09:00:00.000Z' })).rejects.toThrow('report week 2003-03-11 is not a Monday');
  });
});
