/**
 * The Temporal Schedules TradeGuard owns, created at startup by the worker and by `npm start`:
 * the weekly tracking self-check. Created when absent, updated when its time, workflow, task queue
 * or input differ from what this code wants, left alone otherwise (several processes may start at
 * once; the schedule's id makes creation happen once).
 */
import { Client, DayOfWeek, ScheduleAlreadyRunning, ScheduleDescription, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { SELF_CHECK_WORKFLOW_TYPE, SelfCheckInput, selfCheckScheduleId, selfCheckWorkflowIdPrefix } from '../workflows/self-check.messages';

export interface WeeklyTime {
  dayOfWeek: DayOfWeek;
  /** UTC */
  hour: number;
  minute: number;
}

export const DEFAULT_SELF_CHECK_TIME: WeeklyTime = { dayOfWeek: 'MONDAY', hour: 2, minute: 0 };

const DAYS: DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

/** "Monday 02:00" (UTC; the day in full or its first three letters, any case) → a weekly time. */
export function parseWeeklyTime(raw: string): WeeklyTime {
  const m = raw.trim().match(/^([A-Za-z]+)\s+(\d{1,2}):(\d{2})$/);
  const day = m ? DAYS.find((d) => d === m[1].toUpperCase() || d.slice(0, 3) === m[1].toUpperCase()) : undefined;
  const hour = m ? Number(m[2]) : NaN;
  const minute = m ? Number(m[3]) : NaN;
  if (!day || !(hour >= 0 && hour <= 23) || !(minute >= 0 && minute <= 59)) {
    throw new Error(`SELF_CHECK_WEEKLY_AT=${raw} is not a weekly time such as "Monday 02:00" (UTC)`);
  }
  return { dayOfWeek: day, hour, minute };
}

/** SELF_CHECK_WEEKLY_AT, or Monday 02:00 UTC. */
export function selfCheckTimeFromEnv(env: NodeJS.ProcessEnv = process.env): WeeklyTime {
  return env.SELF_CHECK_WEEKLY_AT ? parseWeeklyTime(env.SELF_CHECK_WEEKLY_AT) : DEFAULT_SELF_CHECK_TIME;
}

export interface SelfCheckScheduleOptions {
  taskQueue: string;
  at?: WeeklyTime;
  /** What each run is started with; the whole fleet of shipments by default. */
  input?: SelfCheckInput;
}

export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

function wanted(opts: SelfCheckScheduleOptions) {
  const at = opts.at ?? DEFAULT_SELF_CHECK_TIME;
  return {
    spec: {
      calendars: [{ dayOfWeek: at.dayOfWeek, hour: at.hour, minute: at.minute, comment: 'weekly tracking self-check and after-service report' }],
      timezone: 'UTC',
    },
    action: {
      type: 'startWorkflow' as const,
      workflowType: SELF_CHECK_WORKFLOW_TYPE,
      taskQueue: opts.taskQueue,
      workflowId: selfCheckWorkflowIdPrefix(opts.taskQueue),
      args: [opts.input ?? {}],
    },
    policies: {
      // A check still running when the next is due (or triggered) is not doubled.
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage of up to a day the missed weekly check still runs.
      catchupWindow: '1 day',
    },
  };
}

/** Whether the stored schedule already does what `opts` asks. */
function matches(desc: ScheduleDescription, opts: SelfCheckScheduleOptions): boolean {
  const w = wanted(opts);
  const cal = desc.spec.calendars ?? [];
  const want = w.spec.calendars[0];
  const single = <T>(ranges: { start: T; end: T }[]) => (ranges.length === 1 && ranges[0].start === ranges[0].end ? ranges[0].start : undefined);
  return (
    cal.length === 1 &&
    (desc.spec.intervals ?? []).length === 0 &&
    single(cal[0].dayOfWeek) === want.dayOfWeek &&
    single(cal[0].hour) === want.hour &&
    single(cal[0].minute) === want.minute &&
    (desc.spec.timezone ?? 'UTC') === 'UTC' &&
    desc.action.workflowType === w.action.workflowType &&
    desc.action.taskQueue === w.action.taskQueue &&
    desc.action.workflowId === w.action.workflowId &&
    JSON.stringify(desc.action.args ?? []) === JSON.stringify(w.action.args) &&
    desc.policies.overlap === w.policies.overlap
  );
}

/** Creates the weekly self-check's schedule if absent, updates it if different. */
export async function ensureSelfCheckSchedule(client: Client, opts: SelfCheckScheduleOptions, log: (line: string) => void = () => undefined): Promise<{ scheduleId: string; outcome: EnsureOutcome }> {
  const scheduleId = selfCheckScheduleId(opts.taskQueue);
  const handle = client.schedule.getHandle(scheduleId);
  const w = wanted(opts);
  const at = opts.at ?? DEFAULT_SELF_CHECK_TIME;
  const when = `${at.dayOfWeek.toLowerCase()} ${String(at.hour).padStart(2, '0')}:${String(at.minute).padStart(2, '0')} UTC`;
  const describe = () =>
    handle.describe().catch((err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    });
  let desc = await describe();
  if (!desc) {
    try {
      await client.schedule.create({ scheduleId, ...w, state: { note: 'created by TradeGuard at startup' } });
      log(`created schedule ${scheduleId}: weekly tracking self-check every ${when}`);
      return { scheduleId, outcome: 'created' };
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      // Another process created it between our describe and create.
      desc = await describe();
      if (!desc) throw err;
    }
  }
  if (matches(desc, opts)) return { scheduleId, outcome: 'unchanged' };
  await handle.update((prev) => ({
    ...prev,
    spec: w.spec,
    action: w.action,
    policies: { ...prev.policies, overlap: w.policies.overlap, catchupWindow: w.policies.catchupWindow },
    state: { paused: prev.state.paused, note: prev.state.note },
  }));
  log(`updated schedule ${scheduleId}: weekly tracking self-check every ${when}`);
  return { scheduleId, outcome: 'updated' };
}
