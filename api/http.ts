/**
 * Helpers every route module shares: parse a request part with a schema, authorize the caller,
 * turn the caller into the workflow's Actor, and map what Temporal said to the API's statuses.
 */
import {
  Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, type QueryDefinition } from '@temporalio/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, conflict, forbidden, isTemporalUnavailable, isTooManyUpdatesInFlight, isWorkflowBusy, rateLimited, notFound, unauthenticated, unavailable } from './errors';
import type { Principal, Role } from './keys';
import { ACTION_REFUSED, Actor, ACTOR_NOT_ALLOWED, PAYMENT_DECLINED, PAYMENT_UNAVAILABLE, SA_STATUS } from '../workflows/common';

export function principal(req: Request): Principal {
  if (!req.principal) throw unauthenticated('missing API key');
  return req.principal;
}

export function allow(req: Request, roles: Role[], what: string): Principal {
  const p = principal(req);
  if (!roles.includes(p.role)) {
    throw forbidden(`a ${p.role} key cannot ${what}${p.role === 'support' ? ' (support is read-only)' : ''}`);
  }
  return p;
}

export function actorOf(p: Principal): Actor {
  return { role: p.role, partyId: p.partyId, keyId: p.keyId };
}

/**
 * Another party's record is answered exactly as a missing one is: 404 "no order PO-1", the message
 * `temporalCallFor` and the read-model lookups give when there is no such record. A caller learns
 * neither that the record exists nor whose it is.
 */
export const noSuch = (label: string) => notFound(`no ${label}`);

/**
 * The caller reaches an order, or a case or manual order through its order (`label`: "order PO-1",
 * "case CS-1"): ops and support any, a buyer or supplier only one whose party it is (a manual
 * order has no supplier party), an inspector none.
 */
export function assertOwnsOrder(p: Principal, order: { buyerId?: string | null; supplierId?: string | null }, label: string): void {
  if (p.role === 'buyer' && (order.buyerId ?? undefined) !== p.partyId) throw noSuch(label);
  if (p.role === 'supplier' && (order.supplierId ?? undefined) !== p.partyId) throw noSuch(label);
  if (p.role === 'inspector') throw noSuch(label);
}

/**
 * A monitoring task's parties: its order's buyer and supplier, and the inspector assigned to the
 * current round (`inspectorId` in the read model, `inspector.inspectorId` in the live state).
 */
export function assertReachesTask(
  p: Principal,
  task: { buyerId: string; supplierId: string; inspectorId?: string | null; inspector?: { inspectorId?: string } },
  label: string,
): void {
  if (p.role === 'inspector') {
    const assigned = task.inspectorId ?? task.inspector?.inspectorId;
    if (!assigned || assigned !== p.partyId) throw noSuch(label);
    return;
  }
  assertOwnsOrder(p, task, label);
}

/**
 * Checks the caller against the read model's row of a workflow (`row`), not by a Query: Temporal
 * buffers one Query per workflow while a workflow task runs, so a Query per request is refused
 * (RESOURCE_EXHAUSTED, then DEADLINE_EXCEEDED) when a burst of requests keeps one workflow busy. The
 * parties in the row are fixed when the workflow starts (an inspector is written before the Update
 * that assigned it answers), and the workflow's validator still decides. A workflow started a moment
 * ago may have no row yet: then `live` reads and checks its live state (and answers "no …" when
 * there is no such workflow either).
 */
export async function assertCallerReaches<Row>(row: Row | null, assertReaches: (row: Row) => void, live: () => Promise<unknown>): Promise<void> {
  if (row) assertReaches(row);
  else await live();
}

/** A timeline row (order or monitoring task) as the API shows it. */
export function timelineEventView(e: { seq: number; type: string; occurredAt: Date; actorRole: string; actorId: string | null; summary: string; data: unknown }) {
  return {
    seq: e.seq,
    type: e.type,
    at: e.occurredAt.toISOString(),
    actor: { role: e.actorRole, partyId: e.actorId ?? undefined },
    summary: e.summary,
    data: e.data,
  };
}

/** Temporal did not answer (see isTemporalUnavailable). */
export const isUnavailable = isTemporalUnavailable;

/**
 * Temporal rejected an Update the worker never saw ("rejected because it wasn't processed by
 * worker"): the workflow task that carried it was lost (seen on the dev server with 40 Updates at
 * once on one order). Nothing happened, so the Update may be sent again as it was.
 */
export function isUpdateNotProcessed(err: unknown): boolean {
  return err instanceof WorkflowUpdateFailedError && /wasn't processed by worker/i.test(`${err.message} ${String((err.cause as Error | undefined)?.message ?? '')}`);
}

/** How often an Update the worker never saw is sent again before its failure becomes the answer. */
const UPDATE_TRIES = 3;

/**
 * How long one call to Temporal may take before the API answers 503 "did not answer in time": an
 * Update waits for its workflow to run it, and the client would otherwise wait for ever.
 */
export const TEMPORAL_ANSWER_MS = 60_000;

/**
 * Translates what Temporal said about one workflow (`label`: "order PO-1", "monitoring task PM-1")
 * into the API's statuses; anything unknown stays a 500. Each try has TEMPORAL_ANSWER_MS to
 * answer; an Update the worker never saw is sent again (isUpdateNotProcessed).
 */
export async function temporalCallFor<T>(client: Client, workflowId: string, label: string, call: () => Promise<T>): Promise<T> {
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await client.connection.withDeadline(Date.now() + TEMPORAL_ANSWER_MS, call);
      } catch (err) {
        if (attempt >= UPDATE_TRIES || !isUpdateNotProcessed(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt * (0.5 + Math.random())));
      }
    }
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      if (err.cause.type === ACTOR_NOT_ALLOWED) throw forbidden(err.cause.message);
      if (err.cause.type === ACTION_REFUSED) throw conflict(err.cause.message, 'action_refused');
      if (err.cause.type === PAYMENT_DECLINED) throw new ApiError(402, 'payment_declined', err.cause.message);
      if (err.cause.type === PAYMENT_UNAVAILABLE) throw unavailable(err.cause.message, err.cause);
    }
    if (err instanceof WorkflowNotFoundError) {
      // An update to a finished workflow reads as "not found" from Temporal; tell the two apart, and
      // name how it ended in the business's terms (its status search attribute) where it has one.
      const closed = await client.workflow
        .getHandle(workflowId)
        .describe()
        .then((d) => ({ run: d.status.name, status: d.typedSearchAttributes.get(SA_STATUS) }))
        .catch(() => undefined);
      if (closed && closed.run !== 'RUNNING') {
        throw conflict(`${label} is ${(closed.status ?? closed.run).toLowerCase()}; it takes no further actions`, 'action_refused');
      }
      throw notFound(`no ${label}`);
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw unavailable(`${label} did not answer in time; the action may still complete: check it before retrying`, err);
    }
    if (isTooManyUpdatesInFlight(err)) throw rateLimited(`${label} has as many actions in progress as it takes at once; retry in a moment`);
    if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly', err);
    throw err;
  }
}

/**
 * The read that answers an accepted action. While a burst of Updates keeps a workflow busy,
 * Temporal refuses a Query beyond the one it buffers (RESOURCE_EXHAUSTED), and a Query sent to a
 * workflow task that is lost and waits for its timeout (10 s) ends in DEADLINE_EXCEEDED ("query
 * timed out before a worker could process it"). So the reads of one record share Queries: one runs
 * at a time, and every caller that comes while it runs waits for the next one, which starts after
 * each of their actions was done and so sees it; a burst of N actions costs two Queries at a time
 * instead of N. A read refused because the workflow is busy is asked again, with jitter, until
 * `budgetMs` has passed since the first: the action has already happened. If the record still
 * cannot be read, the answer is a 503 that says the action was done (ACTION_DONE_UNREAD).
 *
 * `scope` is what the reads are shared within (the API's Temporal client), `key` the workflow.
 */
export function readAfterAction<T>(scope: object, key: string, read: () => Promise<T>, budgetMs = READ_AFTER_ACTION_BUDGET_MS): Promise<T> {
  let slots = sharedReads.get(scope);
  if (!slots) sharedReads.set(scope, (slots = new Map()));
  return sharedRead(slots, key, () => readWhileBusy(read, budgetMs)).catch((err: unknown) => {
    // The action is done; only its answer is missing. Say so, so that no one repeats the action.
    if (isTemporalUnavailable(err)) throw unavailable(ACTION_DONE_UNREAD, err);
    throw err;
  });
}

/** The 503 of an action that was done but whose record could not be read after it. */
export const ACTION_DONE_UNREAD = 'the action was done, but the record could not be read after it; read it again before acting on it';

/** How long the read after an action keeps asking: past a lost workflow task's 10 s timeout and one more try. */
export const READ_AFTER_ACTION_BUDGET_MS = 30_000;

/** One try of a Query gives up after this long (DEADLINE_EXCEEDED), so a try sent to a lost workflow task is asked again soon after the task is retried. */
export const QUERY_TRY_MS = 5_000;

/** A Query of one workflow, each try given up after QUERY_TRY_MS. */
export function queryOnce<T>(client: Client, workflowId: string, query: QueryDefinition<T, []>): Promise<T> {
  return client.connection.withDeadline(Date.now() + QUERY_TRY_MS, () => client.workflow.getHandle(workflowId).query(query));
}

interface ReadSlot {
  running?: Promise<unknown>;
  queued?: Promise<unknown>;
}
const sharedReads = new WeakMap<object, Map<string, ReadSlot>>();

function sharedRead<T>(slots: Map<string, ReadSlot>, key: string, read: () => Promise<T>): Promise<T> {
  const slot = slots.get(key) ?? {};
  slots.set(key, slot);
  const begin = (): Promise<T> => {
    const run = read();
    slot.running = run;
    void run
      .catch(() => undefined)
      .then(() => {
        if (slot.running === run) slot.running = undefined;
        if (slots.get(key) === slot && !slot.running && !slot.queued) slots.delete(key);
      });
    return run;
  };
  if (!slot.running) return begin();
  slot.queued ??= slot.running
    .catch(() => undefined)
    .then(() => {
      slot.queued = undefined;
      return begin();
    });
  return slot.queued as Promise<T>;
}

async function readWhileBusy<T>(read: () => Promise<T>, budgetMs: number): Promise<T> {
  const until = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      const pause = Math.min(1_000, 50 * 2 ** attempt) * (0.5 + Math.random());
      if (!isWorkflowBusy(err) || Date.now() + pause > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * Sends the Updates of one workflow from this process one at a time, in the order they came.
 * Under a burst of concurrent Updates the dev server now and then loses a workflow task (it times
 * out after 10 s) and the worker's next task then records the burst's commands in an order that its
 * own replay does not reproduce (a nondeterminism error, seen in 2 of 10 bursts of 40). In turn,
 * each Update reaches a workflow that is not in the middle of another one sent from here.
 */
export function updateInTurn<T>(scope: object, workflowId: string, send: () => Promise<T>, maxWaitMs = UPDATE_TURN_WAIT_MS): Promise<T> {
  let turns = updateTurns.get(scope);
  if (!turns) updateTurns.set(scope, (turns = new Map()));
  const queue = turns;
  const previous = queue.get(workflowId) ?? Promise.resolve();
  // The time to answer starts when the Update is sent, not when it joined the queue: a call's
  // deadline is fixed when it starts (withDeadline), and the wait would otherwise use it up.
  const connection = (scope as Partial<Client>).connection;
  const sendNow = connection ? () => connection.withDeadline(Date.now() + TEMPORAL_ANSWER_MS, send) : send;
  let gaveUp = false;
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      gaveUp = true;
      reject(unavailable(`${workflowId} is still busy with the actions sent before this one; this action was not sent and nothing changed: send it again`));
    }, maxWaitMs);
  });
  const sending = previous.then(() => {
    clearTimeout(timer);
    return gaveUp ? undefined : sendNow();
  });
  const settled = sending.then(
    () => undefined,
    () => undefined,
  );
  queue.set(workflowId, settled);
  void settled.then(() => {
    if (queue.get(workflowId) === settled) queue.delete(workflowId);
  });
  return Promise.race([sending as Promise<T>, waited]);
}

/** How long an Update waits for the ones before it on the same workflow before it is answered 503 without being sent. */
export const UPDATE_TURN_WAIT_MS = 60_000;
const updateTurns = new WeakMap<object, Map<string, Promise<unknown>>>();

export const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
    fn(req, res).catch(next);
