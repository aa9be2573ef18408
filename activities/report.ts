/**
 * The weekly after-service report: counted in SQL over the read model (cases opened in the week by
 * category, proactive or raised by the customer; shipments that left in the week), computed by the
 * pure report module, and stored once per week (an upsert: a re-run replaces the week's figures).
 */
import type { Db } from '../infra/db';
import { CURRENT_AFTER_SERVICE_POLICY_VERSION, CaseCategory, afterServicePolicy } from '../workflows/after-service.policy';
import { AfterServiceReportFigures, CaseCounts, REPORT_CATEGORIES, SelfCheckSummary, TREND_WEEKS, computeReport } from '../workflows/after-service-report';
import { isoDay, isWeekStart, weekBounds } from '../workflows/self-check.policy';

export interface ReportRequest {
  /** Monday (YYYY-MM-DD, UTC) of the week to report on. */
  weekStart: string;
  generatedAt: string;
  /** The self-check that produced the report; a report built without one keeps the stored week's. */
  selfCheck?: SelfCheckSummary;
}

/** The week's counts and the figures, without storing anything. */
export async function computeWeeklyReport(db: Db, req: ReportRequest): Promise<AfterServiceReportFigures> {
  if (!isWeekStart(req.weekStart)) throw new Error(`report week ${req.weekStart} is not a Monday (YYYY-MM-DD)`);
  const policy = afterServicePolicy(CURRENT_AFTER_SERVICE_POLICY_VERSION);
  const { start, end } = weekBounds(req.weekStart);
  const from = new Date(start);
  const to = new Date(end);
  const [shipmentRows, caseRows, previous, stored] = await Promise.all([
    db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "Shipment" WHERE "shippedAt" >= ${from} AND "shippedAt" < ${to}`,
    db.$queryRaw<{ category: string; proactive: boolean; n: number }[]>`
      SELECT "category", "proactive", count(*)::int AS n FROM "AfterServiceCase"
      WHERE "openedAt" >= ${from} AND "openedAt" < ${to}
      GROUP BY "category", "proactive"`,
    // The trend is the weeks just before this one: a report from months earlier is not part of it.
    db.afterServiceReport.findMany({ where: { weekStart: { lt: from, gte: new Date(start - TREND_WEEKS * 7 * 86_400_000) } }, orderBy: { weekStart: 'desc' } }),
    db.afterServiceReport.findUnique({ where: { weekStart: from } }),
  ]);
  const cases = Object.fromEntries(REPORT_CATEGORIES.map((c) => [c, { total: 0, proactive: 0, customerRaised: 0 }])) as Record<CaseCategory, CaseCounts>;
  for (const row of caseRows) {
    const counts = cases[row.category as CaseCategory];
    if (!counts) continue;
    counts.total += row.n;
    if (row.proactive) counts.proactive += row.n;
    else counts.customerRaised += row.n;
  }
  const selfCheck = req.selfCheck ?? (stored?.figures as unknown as AfterServiceReportFigures | undefined)?.selfCheck;
  return computeReport({
    weekStart: req.weekStart,
    weekEnd: isoDay(end),
    generatedAt: req.generatedAt,
    policyVersion: policy.version,
    defectRateTarget: policy.defectRateTarget,
    shipments: shipmentRows[0]?.n ?? 0,
    cases,
    previous: previous.map((r) => r.figures as unknown as AfterServiceReportFigures),
    ...(selfCheck ? { selfCheck } : {}),
  });
}

export function createReportActivities({ db }: { db: Db }) {
  return {
    /** Computes the week's report and stores it (one row per week); returns the figures. */
    async buildWeeklyReport(req: ReportRequest): Promise<AfterServiceReportFigures> {
      const figures = await computeWeeklyReport(db, req);
      const weekStart = new Date(weekBounds(req.weekStart).start);
      const json = figures as unknown as object;
      await db.afterServiceReport.upsert({
        where: { weekStart },
        create: { weekStart, figures: json, createdAt: new Date(req.generatedAt) },
        update: { figures: json },
      });
      return figures;
    },
  };
}
