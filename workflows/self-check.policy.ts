/**
 * What the weekly tracking self-check flags, and which week a run reports on. Pure module: the
 * self-check's activities and workflow, and the API's previews, share these rules.
 */
import type { TrackingStatus } from '../adapters/carrier';
import type { AfterServicePolicy } from './after-service.policy';
import type { TrackingProblem } from './case.messages';
import { DAY_MS } from './common';

const WEEK_MS = 7 * DAY_MS;

export interface TrackingSnapshot {
  status: TrackingStatus;
  /** The carrier's latest tracking event (ISO), if it has any. */
  lastUpdateAt?: string;
}

/**
 * The problem a shipment has at `checkedAt`, if any:
 * - NotFound → NOT_FOUND; Exception (the carrier's alert) → EXCEPTION; Expired → EXPIRED.
 * - Any other status except Delivered → STALE when its latest event (or, with no event, the shipment
 *   itself) is more than `staleTrackingDays` old.
 *
 * AttemptFail and AvailableForPickup are not problems by themselves: the parcel waits for the
 * customer (a new attempt, or a pickup the customer is told about). They become STALE like any other
 * status when nothing moves for over 15 days.
 */
export function trackingProblem(
  policy: Pick<AfterServicePolicy, 'staleTrackingDays'>,
  tracking: TrackingSnapshot,
  shippedAt: number,
  checkedAt: number,
): TrackingProblem | undefined {
  switch (tracking.status) {
    case 'NotFound':
      return 'NOT_FOUND';
    case 'Exception':
      return 'EXCEPTION';
    case 'Expired':
      return 'EXPIRED';
    case 'Delivered':
      return undefined;
    default: {
      const parsed = tracking.lastUpdateAt ? Date.parse(tracking.lastUpdateAt) : Number.NaN;
      const lastMoved = Number.isNaN(parsed) ? shippedAt : parsed;
      return checkedAt - lastMoved > policy.staleTrackingDays * DAY_MS ? 'STALE' : undefined;
    }
  }
}

/** What a flagged problem means, in words, for the case description and the ops email. */
export function describeProblem(problem: TrackingProblem, staleTrackingDays: number): string {
  switch (problem) {
    case 'NOT_FOUND':
      return 'the carrier has no record of the parcel (Not found)';
    case 'EXCEPTION':
      return 'the carrier reports an exception (Alert): the parcel needs attention';
    case 'EXPIRED':
      return 'the tracking has expired without a delivery';
    case 'STALE':
      return `the tracking has not moved for over ${staleTrackingDays} days`;
  }
}

/** Monday 00:00 UTC of the week that contains `ms`. */
export function weekStartOf(ms: number): number {
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  // 1970-01-01 was a Thursday: (days since epoch + 3) mod 7 is the days since Monday.
  const sinceMonday = (((Math.floor(ms / DAY_MS) + 3) % 7) + 7) % 7;
  return day - sinceMonday * DAY_MS;
}

/** The week a self-check at `checkedAt` reports on: the last complete week (Monday to Monday, UTC). */
export function reportWeekFor(checkedAt: number): string {
  return isoDay(weekStartOf(checkedAt) - WEEK_MS);
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whether `day` (YYYY-MM-DD) is a real date that falls on a Monday. */
export function isWeekStart(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(ms) && isoDay(ms) === day && weekStartOf(ms) === ms;
}

/** The week [start, end) that starts on `weekStart` (YYYY-MM-DD), in epoch ms. */
export function weekBounds(weekStart: string): { start: number; end: number } {
  const start = Date.parse(`${weekStart}T00:00:00Z`);
  return { start, end: start + WEEK_MS };
}
