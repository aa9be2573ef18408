/**
 * What every TradeGuard process workflow shares: refusals in the API's terms, workflow time,
 * side effects run in order, and the sorted list of open deadlines. Deterministic; no I/O.
 */
import { ActivityFailure, ApplicationFailure, condition, log } from '@temporalio/workflow';
import { addWorkingDays, localDate, WorkingCalendar } from './calendar';

export { calendarWords } from './calendar';
import { ACTION_REFUSED, ACTOR_NOT_ALLOWED, Actor } from './order.messages';
import { DAY_MS } from './order.policy';

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

/** The deadline list with `d` set (replacing one of the same id), earliest first. */
export function withDeadline<D extends DeadlineLike>(list: readonly D[], d: Omit<D, 'dueAt' | 'policyVersion'> & { dueAt: number }, policyVersion: string): D[] {
  const next = list.filter((x) => x.id !== d.id);
  next.push({ ...d, dueAt: iso(d.dueAt), policyVersion } as D);
  next.sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.id.localeCompare(b.id));
  return next;
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
      if (wait > 0) await condition(() => p.wake() !== seen, wait);
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
      if (wait > 0) await condition(moved, wait);
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
