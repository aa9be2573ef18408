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
import { ApplicationFailure } from '@temporalio/common';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { ACTION_REFUSED, ACTOR_NOT_ALLOWED, Actor } from '../workflows/order.messages';
import { conflict, forbidden, fromZod, isTemporalUnavailable, notFound, unauthenticated, unavailable } from './errors';
import type { Principal, Role } from './keys';

export function parse<T extends z.ZodType>(schema: T, value: unknown, prefix?: string): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw fromZod(result.error, prefix);
  return result.data;
}

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

export function assertOwnsOrder(p: Principal, order: { buyerId: string; supplierId: string }): void {
  if (p.role === 'buyer' && order.buyerId !== p.partyId) throw forbidden('this order belongs to another buyer');
  if (p.role === 'supplier' && order.supplierId !== p.partyId) throw forbidden('this order belongs to another supplier');
  if (p.role === 'inspector') throw forbidden('an inspector key reaches only the monitoring tasks assigned to it');
}

/**
 * A monitoring task's parties: its order's buyer and supplier, and the inspector assigned to the
 * current round (`inspectorId` in the read model, `inspector.inspectorId` in the live state).
 */
export function assertReachesTask(p: Principal, task: { buyerId: string; supplierId: string; inspectorId?: string | null; inspector?: { inspectorId?: string } }): void {
  if (p.role === 'inspector') {
    const assigned = task.inspectorId ?? task.inspector?.inspectorId;
    if (!assigned || assigned !== p.partyId) throw forbidden('this monitoring task is not assigned to this inspector');
    return;
  }
  assertOwnsOrder(p, task);
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
 * Translates what Temporal said about one workflow (`label`: "order PO-1", "monitoring task PM-1")
 * into the API's statuses; anything unknown stays a 500.
 */
export async function temporalCallFor<T>(client: Client, workflowId: string, label: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      if (err.cause.type === ACTOR_NOT_ALLOWED) throw forbidden(err.cause.message);
      if (err.cause.type === ACTION_REFUSED) throw conflict(err.cause.message, 'action_refused');
    }
    if (err instanceof WorkflowNotFoundError) {
      // An update to a finished workflow reads as "not found" from Temporal; tell the two apart.
      const closed = await client.workflow
        .getHandle(workflowId)
        .describe()
        .then((d) => d.status.name)
        .catch(() => undefined);
      if (closed && closed !== 'RUNNING') {
        throw conflict(`${label} is ${closed.toLowerCase()}; it takes no further actions`, 'action_refused');
      }
      throw notFound(`no ${label}`);
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw unavailable(`${label} did not answer in time; the action may still complete: check it before retrying`);
    }
    if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
    throw err;
  }
}

export const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
    fn(req, res).catch(next);
