/**
 * The weekly after-service report's figures: what the activity counts in the database goes in, the
 * rates, the defect-rate verdict and the trend come out. Pure module: rates are kept as exact
 * fractions (numerator / denominator) and rounded only for display.
 */
import type { CaseCategory } from './after-service.policy';
import type { TrackingProblem } from './case.messages';

export const REPORT_CATEGORIES: readonly CaseCategory[] = ['tracking', 'quality', 'warehouse'];

/** How many weeks of earlier reports the trend shows. */
export const TREND_WEEKS = 4;

export interface CaseCounts {
  total: number;
  /** Opened by the weekly self-check before the customer complained. */
  proactive: number;
  customerRaised: number;
}

/** A rate as an exact fraction; `value` and `percent` are null when there is nothing to divide by. */
export interface Rate {
  numerator: number;
  denominator: number;
  /** numerator / denominator as a number (for charts); compare rates with the fraction, not this. */
  value: number | null;
  /** For display: rounded half up to two decimals, e.g. "0.25%". */
  percent: string | null;
  note?: string;
}

export interface SelfCheckSummary {
  checkedAt: string;
  checked: number;
  delivered: number;
  flagged: Record<TrackingProblem, number>;
  casesOpened: number;
  casesAlreadyOpen: number;
  /** Flagged, but the tracking after-service window (60 days after payment) had closed: no case. */
  outsideWindow: number;
  /** Flagged, but the shipment's order is not in the read model: no case. */
  orderMissing: number;
}

export interface TrendPoint {
  weekStart: string;
  shipments: number;
  cases: number;
  afterServiceRate: Rate;
  defectRate: Rate;
}

export interface AfterServiceReportFigures {
  weekStart: string;
  /** The next Monday: the week is [weekStart, weekEnd) in UTC. */
  weekEnd: string;
  generatedAt: string;
  policyVersion: string;
  /** Shipments that left in the week (orders and manual orders). */
  shipments: number;
  /** Cases opened in the week. */
  cases: CaseCounts & { byCategory: Record<CaseCategory, CaseCounts> };
  /** Cases opened in the week per shipment that left in the week. */
  afterServiceRate: Rate;
  rateByCategory: Record<CaseCategory, Rate>;
  /** Quality cases per shipment, against the policy's target. */
  defectRate: Rate & { target: number; targetPercent: string; withinTarget: boolean | null };
  /** Earlier stored weeks, oldest first, then how this week compares with the one before. */
  trend: {
    previous: TrendPoint[];
    afterServiceRate: 'up' | 'down' | 'flat' | null;
    defectRate: 'up' | 'down' | 'flat' | null;
  };
  selfCheck?: SelfCheckSummary;
  notes: string[];
}

/** "12.35%": n/d as a percentage, rounded half up to two decimals with integer arithmetic. */
export function percentText(numerator: number, denominator: number): string {
  // Hundredths of a percent: n * 10_000 / d, rounded half up; exact for counts below 2^53 / 20_000.
  const hundredths = Math.floor((2 * numerator * 10_000 + denominator) / (2 * denominator));
  const whole = Math.floor(hundredths / 100);
  const frac = hundredths % 100;
  return `${whole}.${frac.toString().padStart(2, '0')}%`;
}

export function rate(numerator: number, denominator: number, noun = 'shipments'): Rate {
  if (denominator === 0) {
    return { numerator, denominator, value: null, percent: null, note: `no ${noun} in the week: the rate is undefined` };
  }
  return { numerator, denominator, value: numerator / denominator, percent: percentText(numerator, denominator) };
}

/** -1, 0 or 1 as a/b compares with c/d (both defined), exactly by cross-multiplication. */
export function compareRates(a: Rate, b: Rate): number {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

function direction(current: Rate, previous: Rate | undefined): 'up' | 'down' | 'flat' | null {
  if (!previous || current.value === null || previous.value === null) return null;
  const c = compareRates(current, previous);
  return c > 0 ? 'up' : c < 0 ? 'down' : 'flat';
}

/** The target as parts per million, so that "within target" is an exact integer comparison. */
function targetPpm(target: number): number {
  return Math.round(target * 1_000_000);
}

export interface ReportInputs {
  weekStart: string;
  weekEnd: string;
  generatedAt: string;
  policyVersion: string;
  defectRateTarget: number;
  shipments: number;
  cases: Record<CaseCategory, CaseCounts>;
  /** Earlier stored reports, any order; the latest TREND_WEEKS before this week are used. */
  previous: AfterServiceReportFigures[];
  selfCheck?: SelfCheckSummary;
}

export function computeReport(input: ReportInputs): AfterServiceReportFigures {
  const { shipments } = input;
  const byCategory = Object.fromEntries(REPORT_CATEGORIES.map((c) => [c, { ...input.cases[c] }])) as Record<CaseCategory, CaseCounts>;
  const sum = (k: keyof CaseCounts) => REPORT_CATEGORIES.reduce((s, c) => s + byCategory[c][k], 0);
  const cases = { total: sum('total'), proactive: sum('proactive'), customerRaised: sum('customerRaised'), byCategory };
  const afterServiceRate = rate(cases.total, shipments);
  const rateByCategory = Object.fromEntries(REPORT_CATEGORIES.map((c) => [c, rate(byCategory[c].total, shipments)])) as Record<CaseCategory, Rate>;
  const defect = rate(byCategory.quality.total, shipments);
  const ppm = targetPpm(input.defectRateTarget);
  const withinTarget = shipments === 0 ? null : byCategory.quality.total * 1_000_000 <= ppm * shipments;
  const defectRate = { ...defect, target: input.defectRateTarget, targetPercent: percentText(ppm, 1_000_000), withinTarget };

  const previous = input.previous
    .filter((r) => r.weekStart < input.weekStart)
    .sort((a, b) => a.weekStart.localeCompare(b.weekStart))
    .slice(-TREND_WEEKS)
    .map((r) => ({ weekStart: r.weekStart, shipments: r.shipments, cases: r.cases.total, afterServiceRate: r.afterServiceRate, defectRate: stripDefect(r.defectRate) }));
  const last = previous.at(-1);
  const notes: string[] = [];
  if (shipments === 0) notes.push('No shipments left in the week: the rates are undefined (null), not zero.');
  if (withinTarget === false) {
    notes.push(`The defect rate ${defect.percent} is above the ${defectRate.targetPercent} target.`);
  }
  if (last && last.weekStart !== previousWeek(input.weekStart)) {
    notes.push(`No stored report for the week before (${previousWeek(input.weekStart)}): the trend compares with ${last.weekStart}.`);
  }
  if (input.selfCheck && input.selfCheck.outsideWindow > 0) {
    notes.push(`${input.selfCheck.outsideWindow} flagged shipment(s) were past the tracking after-service window: no case was opened for them.`);
  }
  return {
    weekStart: input.weekStart,
    weekEnd: input.weekEnd,
    generatedAt: input.generatedAt,
    policyVersion: input.policyVersion,
    shipments,
    cases,
    afterServiceRate,
    rateByCategory,
    defectRate,
    trend: {
      previous,
      afterServiceRate: direction(afterServiceRate, last?.afterServiceRate),
      defectRate: direction(defect, last?.defectRate),
    },
    ...(input.selfCheck ? { selfCheck: input.selfCheck } : {}),
    notes,
  };
}

function stripDefect(r: Rate): Rate {
  return { numerator: r.numerator, denominator: r.denominator, value: r.value, percent: r.percent, ...(r.note ? { note: r.note } : {}) };
}

function previousWeek(weekStart: string): string {
  return new Date(Date.parse(`${weekStart}T00:00:00Z`) - 7 * 86_400_000).toISOString().slice(0, 10);
}

const shown = (r: Rate) => r.percent ?? 'n/a (no shipments)';

/** The report as the ops email's subject and plain text. */
export function reportEmail(f: AfterServiceReportFigures): { subject: string; text: string } {
  const lines = [
    `Weekly after-service report, week of ${f.weekStart} (Monday ${f.weekStart} to Monday ${f.weekEnd}, UTC).`,
    '',
    `Shipments: ${f.shipments}`,
    `Cases opened: ${f.cases.total} (${f.cases.proactive} proactive, ${f.cases.customerRaised} raised by customers)`,
    `After-service rate: ${shown(f.afterServiceRate)}`,
    ...REPORT_CATEGORIES.map((c) => `  ${c}: ${f.cases.byCategory[c].total} case(s), ${shown(f.rateByCategory[c])}`),
    `Defect rate: ${shown(f.defectRate)} against the ${f.defectRate.targetPercent} target${f.defectRate.withinTarget === null ? '' : f.defectRate.withinTarget ? ' (within target)' : ' (ABOVE target)'}`,
  ];
  if (f.trend.previous.length > 0) {
    lines.push('', 'Trend (after-service rate / defect rate):');
    for (const p of f.trend.previous) lines.push(`  ${p.weekStart}: ${shown(p.afterServiceRate)} / ${shown(p.defectRate)}`);
    lines.push(`  ${f.weekStart}: ${shown(f.afterServiceRate)} / ${shown(f.defectRate)}`);
    if (f.trend.afterServiceRate) lines.push(`After-service rate vs the week before: ${f.trend.afterServiceRate}; defect rate: ${f.trend.defectRate ?? 'n/a'}.`);
  }
  if (f.selfCheck) {
    const s = f.selfCheck;
    lines.push(
      '',
      `Tracking self-check at ${s.checkedAt}: ${s.checked} shipment(s) in flight checked, ${s.delivered} found delivered.`,
      `Flagged: ${s.flagged.NOT_FOUND} not found, ${s.flagged.EXCEPTION} exception, ${s.flagged.EXPIRED} expired, ${s.flagged.STALE} without update.`,
      `Tracking cases opened: ${s.casesOpened} new, ${s.casesAlreadyOpen} already open, ${s.outsideWindow} outside the window, ${s.orderMissing} without an order.`,
    );
  }
  if (f.notes.length > 0) lines.push('', ...f.notes);
  const verdict = f.defectRate.withinTarget === false ? ' — defect rate above target' : '';
  return { subject: `After-service report, week of ${f.weekStart}: ${shown(f.afterServiceRate)} after-service rate${verdict}`, text: lines.join('\n') };
}
