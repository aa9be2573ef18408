/**
 * What every TradeGuard process workflow shares: refusals in the API's terms, workflow time,
 * side effects run in order, and the sorted list of open deadlines. Deterministic; no I/O.
 */
import { ActivityFailure, ApplicationFailure, condition, log, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { ACTION_REFUSED, Actor, ACTOR_NOT_ALLOWED, DAY_MS, SA_BUYER, SA_NEXT_DEADLINE, SA_STATUS, SA_SUPPLIER } from './common';
import type { TimelineEntry, TimelineEventType } from './read-model';
import { addWorkingDays, localDate, WorkingCalendar } from './calendar';

export { calendarWords } from './calendar';

export type Party = 'buyer' | 'supplier';

/** Refuses an action the current state does not allow (the API answers 409 with the message). */
export function refuse(message: string): never {
  throw ApplicationFailure.create({ type: ACTION_REFUSED, message, nonRetryable: true });
}

/** Checks that the caller acts as one of the allowed parties of this process (ops may always act). */
export function requireParty(actor: Actor, allowed: Party[], parties: { buyerId: string; supplierId: string }, action: string): void {
  if (actor.role === 'ops') return;
  const party = actor.role === 'buyer' || actor.role === 'supplier' ? actor.role : undefined;
  const ownId = party === 'buyer' ? parties.buyerId : party === 'supplier' ? parties.supplierId : undefined;
  if (!party || !allowed.includes(party) || actor.partyId !== ownId) {
    const who = [...allowed.map((p) => `the order's ${p}`), 'ops'].join(' or ');
    throw ApplicationFailure.create({ type: ACTOR_NOT_ALLOWED, message: `only ${who} may ${action}`, nonRetryable: true });
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function nowMs(): number {
  // Workflow time: deterministic on replay, and skipped ahead by the test server.
  return Date.now();
}

/** Side effects run one after another, in the order the state changed; a failure does not block later ones. */
export function createEffectQueue() {
  let effects: Promise<void> = Promise.resolve();
  return {
    enqueue(effect: () => Promise<void>): Promise<void> {
      const run = effects.then(effect);
      effects = run.catch(() => undefined);
      return run;
    },
    /** Resolves when every effect queued so far has run. */
    drained: (): Promise<void> => effects,
  };
}

interface DeadlineLike {
  id: string;
  dueAt: string;
  policyVersion: string;
}

/**
 * The deadline list with `d` set (replacing one of the same id), earliest first: by instant, which is
 * the order of the ISO texts for years 0000 to 9999 (a year past 9999 is written "+010000-…", which
 * sorts before them as text).
 */
export function withDeadline<D extends DeadlineLike>(list: readonly D[], d: Omit<D, 'dueAt' | 'policyVersion'> & { dueAt: number }, policyVersion: string): D[] {
  const next = list.filter((x) => x.id !== d.id);
  next.push({ ...d, dueAt: iso(d.dueAt), policyVersion } as D);
  next.sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || a.dueAt.localeCompare(b.dueAt) || a.id.localeCompare(b.id));
  return next;
}

/**
 * A due time as a Datetime search attribute, or null for one Temporal cannot store (a year past 9999):
 * the attribute then says "no deadline" rather than the workflow failing every task that upserts it.
 */
export function searchableDueAt(dueAt: string | null): Date | null {
  return dueAt !== null && /^\d{4}-/.test(dueAt) ? new Date(dueAt) : null;
}

/** n working days after `from`; past the calendar's published years, calendar days rather than a stuck workflow. */
export function workingDaysLater(calendar: WorkingCalendar, from: number, n: number): number {
  return workingDeadline(calendar, from, n).dueAt;
}

/** A deadline counted in working days, and whether it rests on provisional calendar data. */
export interface WorkingDeadline {
  dueAt: number;
  /**
   * True when the days counted reach into the calendar's provisional years (statutory holidays and
   * days off in lieu by rule, before the official schedule is published), or past its coverage
   * (counted as calendar days): the due time may move for orders pinned to a later release.
   */
  provisional: boolean;
}

/** n working days after `from` in the calendar, marked provisional when it rests on provisional data. */
export function workingDeadline(calendar: WorkingCalendar, from: number, n: number): WorkingDeadline {
  let dueAt: number;
  try {
    dueAt = addWorkingDays(calendar, from, n);
  } catch {
    return { dueAt: from + n * DAY_MS, provisional: true };
  }
  return { dueAt, provisional: calendar.provisionalFrom !== undefined && localDate(calendar, dueAt) >= calendar.provisionalFrom };
}


/** What a deadline's timer says in the Temporal UI: which deadline, when it falls due, and what then. */
function deadlineSummary(d: { id: string; dueAt: string; kind?: string; onExpiry?: string }): string {
  return `deadline ${d.kind ?? d.id} (${d.id}) due ${d.dueAt}${d.onExpiry ? `: ${d.onExpiry}` : ''}`;
}

/**
 * Activities whose every call carries a summary for the Temporal UI (`describe` names the business
 * step: which resource, which change or movement). Metadata only: the commands stay the same.
 */
export function withSummaries<A extends object>(activities: A, describe: (activity: string, input: unknown) => string): A {
  return new Proxy(activities, {
    get(target, name) {
      const fn = (target as Record<string | symbol, unknown>)[name] as
        | ({ executeWithOptions?: (options: { summary: string }, args: unknown[]) => Promise<unknown> } & ((...args: unknown[]) => Promise<unknown>))
        | undefined;
      if (typeof name !== 'string' || typeof fn !== 'function' || !fn.executeWithOptions) return fn;
      const run = fn.executeWithOptions.bind(fn);
      return (...args: unknown[]) => run({ summary: describe(name, args[0]) }, args);
    },
  });
}

/** The business key of an activity's input, for its summary: a movement's id, an outbox key, a change's revision. */
export function inputKey(input: unknown): string | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const i = input as { id?: unknown; key?: unknown; idempotencyKey?: unknown; event?: { seq?: unknown; type?: unknown } };
  if (i.event && typeof i.event.type === 'string') return `revision ${String(i.event.seq)} ${i.event.type}`;
  for (const k of [i.idempotencyKey, i.id, i.key]) if (typeof k === 'string') return k;
  return undefined;
}

/**
 * A process's deadline loop: sleeps until the earliest deadline falls due or the state changes (its
 * wake count moves), then fires each deadline that is due, earliest first, once. Returns when the
 * process is finished and no deadline is left.
 */
export async function runDeadlines<D extends { id: string; dueAt: string }>(p: {
  list: () => readonly D[];
  /** Removes a deadline about to fire (and moves the wake count). */
  take: (id: string) => void;
  wake: () => number;
  finished: () => boolean;
  fire: (d: D) => Promise<void>;
}): Promise<void> {
  for (;;) {
    const next = p.list()[0];
    if (p.finished() && !next) return;
    const seen = p.wake();
    if (next) {
      const wait = Date.parse(next.dueAt) - nowMs();
      if (wait > 0) await condition(() => p.wake() !== seen, wait, { summary: deadlineSummary(next) });
    } else {
      await condition(() => p.wake() !== seen);
    }
    const now = nowMs();
    for (const due of p.list().filter((d) => Date.parse(d.dueAt) <= now)) {
      if (!p.list().some((d) => d.id === due.id)) continue;
      p.take(due.id);
      await p.fire(due);
    }
  }
}

/**
 * A workflow-local mutex, as in Temporal's safe-message-handlers sample: handlers and firing
 * deadlines run one at a time, each from a state no other transition is halfway through.
 */
export function createLock() {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T> | T): Promise<T> {
      const result = tail.then(fn);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

/**
 * A process's deadline loop for handlers that run under a lock: sleeps until the earliest deadline
 * falls due, or until a different deadline becomes the earliest (a change that leaves the earliest
 * where it was starts no new timer), or the process is finished with nothing left to wait for.
 * `fire` is given the id of a deadline that was due when the loop woke; it runs under the process's
 * lock and must check that the deadline is still there and still due, since a handler may have moved
 * or cleared it meanwhile.
 */
export async function runDeadlinesSerially<D extends { id: string; dueAt: string }>(p: {
  list: () => readonly D[];
  finished: () => boolean;
  fire: (id: string) => Promise<void>;
}): Promise<void> {
  const earliest = () => {
    const d = p.list()[0];
    return d ? `${d.dueAt}|${d.id}` : '';
  };
  for (;;) {
    const next = p.list()[0];
    if (!next && p.finished()) return;
    const seen = earliest();
    const moved = () => earliest() !== seen || (!p.list()[0] && p.finished());
    if (next) {
      const wait = Date.parse(next.dueAt) - nowMs();
      if (wait > 0) await condition(moved, wait, { summary: deadlineSummary(next) });
    } else {
      await condition(moved);
    }
    const now = nowMs();
    for (const due of p.list().filter((d) => Date.parse(d.dueAt) <= now)) await p.fire(due.id);
  }
}

/** A side effect that failed for good, as the ops late-task queue takes it (activities/effect-failures.ts). */
export interface FailedEffect {
  resource: 'order' | 'monitoring' | 'case';
  resourceId: string;
  key: string;
  effect: string;
  error: string;
  occurredAt: string;
}

/**
 * Runs one side effect of a process. Activities retry outages until the dependency is back, so an
 * activity failure that reaches the workflow is one retrying cannot fix (its data was refused): when
 * `raiseToOps()` says so (a patch or version check, asked only then), it goes to the ops late-task
 * queue through `raise` and the process goes on, instead of failing or jamming every later effect.
 */
export async function runEffect(
  effect: Omit<FailedEffect, 'error' | 'occurredAt'>,
  run: () => Promise<unknown>,
  handling: { raiseToOps: () => boolean; raise: (failure: FailedEffect) => Promise<unknown>; onRaised?: () => void },
): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof ActivityFailure) || !handling.raiseToOps()) throw err;
    const error = err.cause?.message ?? err.message;
    log.warn('effect failed for good; raised to ops', { ...effect, error });
    handling.onRaised?.();
    await handling.raise({ ...effect, key: `${effect.key}:${effect.effect}`, error, occurredAt: iso(nowMs()) });
  }
}

/**
 * How a process runs its database, ledger and mail activities: they retry until the dependency is
 * back (nothing is dropped); a failure retrying cannot fix is non-retryable and goes to ops.
 */
export const PROCESS_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;

/** What a process's effects failed for good go to: the ops late-task queue, once `raiseToOps()` says its version may. */
export type EffectFailureRoute = Omit<FailedEffect, 'key' | 'effect' | 'error' | 'occurredAt'> & {
  raiseToOps: () => boolean;
  raise: (failure: FailedEffect) => Promise<unknown>;
  onRaised?: () => void;
};

export function toOpsQueue(
  resource: FailedEffect['resource'],
  resourceId: string,
  raiseToOps: () => boolean,
  acts: { raiseEffectFailure(failure: FailedEffect): Promise<unknown> },
  onRaised?: () => void,
): EffectFailureRoute {
  return { resource, resourceId, raiseToOps, raise: (failure) => acts.raiseEffectFailure(failure), ...(onRaised ? { onRaised } : {}) };
}

/** The part of every process's state the skeleton keeps: where it is, what comes next, and its deadlines. */
export interface ProcessRecord<Status extends string, Step, D extends DeadlineLike> {
  status: Status;
  nextStep: Step;
  revision: number;
  updatedAt: string;
  deadlines?: D[];
}

/** What every change of a process says on the timeline. */
export interface ChangeHeader<EventType extends TimelineEventType = TimelineEventType> {
  type: EventType;
  actor: Actor;
  summary: string;
  data?: Record<string, unknown>;
}

/**
 * How a process keeps its search attributes: every one on every change (the histories of earlier
 * versions were recorded so), only those that moved, or none (processes of the first versions).
 */
export type SearchAttributeUpkeep = 'every-change' | 'when-changed' | 'none';

/**
 * The skeleton every process workflow runs on: revisions, the timeline event of each change, open
 * deadlines (earliest first) with the wake count its deadline loop watches, search attributes, and
 * the queue its side effects run in. The workflow keeps its own state, read model, next-step table
 * and what happens when a deadline fires; this keeps the rest in one place.
 */
export function createProcessCore<Status extends string, Step extends { by: string; description: string }, D extends DeadlineLike & { kind: string; onExpiry?: string }>(
  record: ProcessRecord<Status, Step, D>,
  spec: {
    workflowId: string;
    policyVersion: string;
    nextSteps: Record<Status, Step>;
    parties: { buyerId?: string; supplierId?: string };
    /** A line naming the process in its current details in the Temporal UI (its id, parties, amount). */
    title?: () => string;
    searchAttributes: SearchAttributeUpkeep;
    /**
     * Where an effect that failed for good goes (`toOpsQueue`). Without one, such a failure fails
     * the change whose effect it was (a process the late-task queue keeps no rows for).
     */
    effectFailures?: EffectFailureRoute;
  },
) {
  let wake = 0;
  const { enqueue, drained } = createEffectQueue();
  const deadlines = (): D[] => record.deadlines ?? [];
  const upserted: { status?: string; nextDeadline?: string | null } = {};

  /** The business state an operator sees in the Temporal UI: status, next step and next deadline. Not a command. */
  function refreshDetails(): void {
    const next = deadlines()[0];
    setCurrentDetails(
      [
        ...(spec.title ? [spec.title()] : []),
        `**${record.status}** (revision ${record.revision}): next, ${record.nextStep.description} (${record.nextStep.by})`,
        next ? `next deadline: ${next.kind} at ${next.dueAt}${next.onExpiry ? `, then ${next.onExpiry}` : ''}` : 'no open deadline',
      ].join('\n'),
    );
  }

  function publishSearchAttributes(): void {
    if (spec.searchAttributes === 'none') return;
    const { buyerId, supplierId } = spec.parties;
    const { status } = record;
    const nextDeadline = deadlines()[0]?.dueAt ?? null;
    const first = upserted.status === undefined;
    const every = spec.searchAttributes === 'every-change';
    const parties = [...(buyerId ? [{ key: SA_BUYER, value: buyerId }] : []), ...(supplierId ? [{ key: SA_SUPPLIER, value: supplierId }] : [])];
    const updates = every
      ? [{ key: SA_STATUS, value: status }, ...parties, { key: SA_NEXT_DEADLINE, value: searchableDueAt(nextDeadline) }]
      : [
          ...(first ? parties : []),
          ...(upserted.status !== status ? [{ key: SA_STATUS, value: status }] : []),
          ...(first || upserted.nextDeadline !== nextDeadline ? [{ key: SA_NEXT_DEADLINE, value: searchableDueAt(nextDeadline) }] : []),
        ];
    upserted.status = status;
    upserted.nextDeadline = nextDeadline;
    if (updates.length > 0) upsertSearchAttributes(updates as Parameters<typeof upsertSearchAttributes>[0]);
  }

  return {
    deadlines,
    /** Moves whenever the state changes, so a deadline loop waiting on it looks again. */
    wake: (): number => wake,
    touch(): void {
      wake += 1;
    },
    setDeadline(d: Omit<D, 'dueAt' | 'policyVersion'> & { dueAt: number }): void {
      record.deadlines = withDeadline(deadlines(), d, spec.policyVersion);
      wake += 1;
      refreshDetails();
    },
    clearDeadlines(match: (d: D) => boolean): void {
      record.deadlines = deadlines().filter((d) => !match(d));
      wake += 1;
      refreshDetails();
    },
    clearKinds(...kinds: D['kind'][]): void {
      record.deadlines = deadlines().filter((d) => !kinds.includes(d.kind));
      wake += 1;
      refreshDetails();
    },
    /**
     * Moves the process to a new revision now: its status, next step and time. Returns the timeline
     * event the change records and the key its side effects are idempotent by.
     */
    advance(status: Status, c: ChangeHeader): { event: TimelineEntry; key: string } {
      record.status = status;
      record.nextStep = spec.nextSteps[status];
      record.revision += 1;
      record.updatedAt = iso(nowMs());
      wake += 1;
      refreshDetails();
      const event: TimelineEntry = {
        seq: record.revision,
        type: c.type,
        actorRole: c.actor.role,
        actorId: c.actor.partyId,
        summary: c.summary,
        data: { status, ...c.data },
        occurredAt: record.updatedAt,
      };
      return { event, key: `${spec.workflowId}:${event.seq}` };
    },
    /** Upserts the process's search attributes as its upkeep says (after `advance`, before the change's effects). */
    publishSearchAttributes,
    /** Runs one side effect of a change in the process's effect queue order; see `runEffect`. */
    effect(name: string, key: string, run: () => Promise<unknown>): Promise<void> {
      if (!spec.effectFailures) return run().then(() => undefined);
      const { raiseToOps, raise, onRaised, ...resource } = spec.effectFailures;
      return runEffect({ ...resource, key, effect: name }, run, { raiseToOps, raise, onRaised });
    },
    enqueue,
    drained,
  };
}
