/**
 * Workflows the benchmarks measure TradeGuard against, on their own task queue and worker.
 * Deterministic like every workflow: no I/O, no wall clock, no Math.random.
 *
 * - baselineLifecycleWorkflow: a no-op process shaped like an order lifecycle. It runs the same
 *   number of activities at start and for each update as the real order workflow did, local or
 *   ordinary (the plan is read from a real order's history), and keeps one deadline timer that every
 *   change restarts, as the order's deadline loop does. Its activities do nothing, and are ordinary
 *   activities unless its plan says local.
 * - searchAttributeProbeWorkflow: answers Updates that change nothing but a counter, each with or
 *   without an upsert of the status search attribute, as an order's change does.
 * - deadlineWorkflow: one durable deadline, kept the way the order workflow keeps its deadlines
 *   (a sorted list and a `condition` with a timeout); when it falls due it records the escalation
 *   with the workflow's own clock.
 */
import { condition, defineQuery, defineUpdate, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline.activities';
import { DAY_MS, SA_STATUS } from '../workflows/common';

const acts = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const localActs = proxyLocalActivities<BaselineActivities>({ startToCloseTimeout: '5 seconds' });

export interface BaselinePlan {
  /** Activities the real workflow ran before its first update (e.g. recording the draft). */
  startActivities: number;
  /** Runs every no-op as a local activity instead of an ordinary one. */
  local?: boolean;
}

export interface BaselineStepInput {
  /** Activities to run, one after another, before the update answers. */
  activities: number;
}

export interface BaselineState {
  steps: number;
  revision: number;
}

export const baselineStepUpdate = defineUpdate<BaselineState, [BaselineStepInput]>('baselineStep');
export const baselineStateQuery = defineQuery<BaselineState>('baselineState');


export async function baselineLifecycleWorkflow(plan: BaselinePlan): Promise<BaselineState> {
  const state: BaselineState = { steps: 0, revision: 0 };
  let wake = 0;
  let effects: Promise<void> = Promise.resolve();
  const run = (n: number): Promise<void> => {
    const next = effects.then(async () => {
      for (let i = 0; i < n; i++) await (plan.local ? localActs : acts).noop(state.revision);
    });
    effects = next.catch(() => undefined);
    return next;
  };
  const started = run(plan.startActivities);
  setHandler(baselineStateQuery, () => state);
  setHandler(
    baselineStepUpdate,
    async ({ activities }: BaselineStepInput) => {
      state.steps += 1;
      state.revision += 1;
      wake += 1;
      await run(activities);
      return state;
    },
    {
      validator: ({ activities }: BaselineStepInput) => {
        if (!Number.isInteger(activities) || activities < 0) throw new Error('activities must be a whole number');
      },
    },
  );
  await started;
  // One far deadline, restarted on every change: the same timer traffic as the order's deadline loop.
  for (;;) {
    const seen = wake;
    await condition(() => wake !== seen, 30 * DAY_MS);
  }
}

export interface DeadlineInput {
  id: string;
  /** When the deadline falls due, epoch milliseconds. */
  dueAt: number;
}

export interface DeadlineRecord {
  id: string;
  dueAt: number;
  /** Workflow time when the workflow acted on the deadline. */
  escalatedAt: number;
}

export async function deadlineWorkflow(input: DeadlineInput): Promise<DeadlineRecord> {
  // The order's deadline loop: wait until the earliest deadline or a change (none comes here).
  const deadlines: { id: string; dueAt: number }[] = [{ id: input.id, dueAt: input.dueAt }];
  for (;;) {
    const next = deadlines[0];
    const wait = next.dueAt - Date.now();
    if (wait > 0) await condition(() => false, wait);
    if (Date.now() >= next.dueAt) break;
  }
  const escalatedAt = Date.now();
  await acts.recordEscalation({ id: input.id, dueAt: input.dueAt, escalatedAt });
  return { id: input.id, dueAt: input.dueAt, escalatedAt };
}

export interface ProbeInput {
  /** Whether each step upserts TradeGuardStatus (a new value every time, as an order's status moves). */
  upsert: boolean;
}

/** One step: the revision after it. */
export const probeStepUpdate = defineUpdate<number, []>('probeStep');
/** Ends the probe; answers the revision. */
export const probeFinishUpdate = defineUpdate<number, []>('probeFinish');

export async function searchAttributeProbeWorkflow(input: ProbeInput): Promise<number> {
  let revision = 0;
  let finished = false;
  setHandler(probeStepUpdate, () => {
    revision += 1;
    if (input.upsert) upsertSearchAttributes([{ key: SA_STATUS, value: `STEP_${revision}` }]);
    return revision;
  });
  setHandler(probeFinishUpdate, () => {
    finished = true;
    return revision;
  });
  await condition(() => finished);
  return revision;
}
