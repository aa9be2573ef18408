/** Reading workflow histories: event counts by kind, and the activity plan of a lifecycle. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const E = temporal.api.enums.v1.EventType;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export async function historyOf(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events ?? [];
}

export function eventTime(e: HistoryEvent): number {
  const t = e.eventTime;
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

export interface EventCounts {
  events: number;
  /** The history's size as Temporal stores it: every event serialized. */
  bytes: number;
  /** The largest single event, serialized. */
  largestEventBytes: number;
  workflowTasks: number;
  /** Ordinary activities (scheduled on a task queue). */
  activities: number;
  /** Local activities (run inside a workflow task; each leaves a marker). */
  localActivities: number;
  timers: number;
  updates: number;
}

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** A local activity's result, recorded in the history as a marker. */
export function isLocalActivity(e: HistoryEvent): boolean {
  return e.eventType === E.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER;
}

export function countEvents(events: readonly HistoryEvent[]): EventCounts {
  const n = (type: temporal.api.enums.v1.EventType) => events.filter((e) => e.eventType === type).length;
  const sizes = events.map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  return {
    events: events.length,
    bytes: sizes.reduce((sum, b) => sum + b, 0),
    largestEventBytes: Math.max(0, ...sizes),
    workflowTasks: n(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activities: n(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: events.filter(isLocalActivity).length,
    timers: n(E.EVENT_TYPE_TIMER_STARTED),
    updates: n(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
  };
}

/** Each activity the history ran, by type, in order: ordinary ones when scheduled, local ones when their marker was recorded. */
export function activityRuns(events: readonly HistoryEvent[]): { type: string; local: boolean }[] {
  return events.flatMap((e): { type: string; local: boolean }[] => {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) return [{ type: scheduled, local: false }];
    if (!isLocalActivity(e)) return [];
    const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    const marker = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }) : {};
    return [{ type: marker.activity_type ?? '', local: true }];
  });
}

/**
 * Activities, ordinary or local, run before the first update, then after each accepted update
 * (updates run one at a time).
 */
export function activityPlan(events: readonly HistoryEvent[]): { startActivities: number; steps: number[] } {
  let startActivities = 0;
  const steps: number[] = [];
  for (const e of events) {
    if (e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) steps.push(0);
    else if (e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED || isLocalActivity(e)) {
      if (steps.length === 0) startActivities += 1;
      else steps[steps.length - 1] += 1;
    }
  }
  return { startActivities, steps };
}

export { E as EventType };
