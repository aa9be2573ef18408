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
  activities: number;
  timers: number;
  updates: number;
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
    timers: n(E.EVENT_TYPE_TIMER_STARTED),
    updates: n(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
  };
}

/** Activities scheduled before the first update, then after each accepted update (updates run one at a time). */
export function activityPlan(events: readonly HistoryEvent[]): { startActivities: number; steps: number[] } {
  let startActivities = 0;
  const steps: number[] = [];
  for (const e of events) {
    if (e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) steps.push(0);
    else if (e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      if (steps.length === 0) startActivities += 1;
      else steps[steps.length - 1] += 1;
    }
  }
  return { startActivities, steps };
}

export { E as EventType };
