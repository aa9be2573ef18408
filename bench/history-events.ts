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
  workflowTasks: number;
  /** Regular activities (scheduled on the server). */
  activities: number;
  /** Local activities (one marker each, run in the worker within a workflow task). */
  localActivities: number;
  timers: number;
  updates: number;
}

/** The marker the SDK records for each local activity's result. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

function isLocalActivity(e: HistoryEvent): boolean {
  return e.eventType === E.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER;
}

export function countEvents(events: readonly HistoryEvent[]): EventCounts {
  const n = (type: temporal.api.enums.v1.EventType) => events.filter((e) => e.eventType === type).length;
  return {
    events: events.length,
    workflowTasks: n(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activities: n(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: events.filter(isLocalActivity).length,
    timers: n(E.EVENT_TYPE_TIMER_STARTED),
    updates: n(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
  };
}

/** Regular and local activities run in one step of a lifecycle. */
export interface StepWork {
  activities: number;
  localActivities: number;
}

/** Activities run before the first update, then after each accepted update (updates run one at a time). */
export function activityPlan(events: readonly HistoryEvent[]): { start: StepWork; steps: StepWork[] } {
  const start: StepWork = { activities: 0, localActivities: 0 };
  const steps: StepWork[] = [];
  for (const e of events) {
    const current = steps.length === 0 ? start : steps[steps.length - 1];
    if (e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) steps.push({ activities: 0, localActivities: 0 });
    else if (e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) current.activities += 1;
    else if (isLocalActivity(e)) current.localActivities += 1;
  }
  return { start, steps };
}

export { E as EventType };
