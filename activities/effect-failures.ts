/**
 * An effect a workflow gave up on: one of its activities failed for a reason retrying cannot fix (a
 * DataError, activities/failures.ts), so the workflow carries on without it and puts the failure
 * where ops look, the late-task queue (GET /late-tasks, kind EFFECT_FAILED).
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../infra/db';
import { safeText } from '../infra/text';
import { Prisma } from '../generated/prisma/client';
import { stopRetryingDataErrors } from './failures';
import { EFFECT_FAILED, type ResourceKind } from './ops-surface';

export interface EffectFailure {
  resource: ResourceKind;
  resourceId: string;
  /**
   * Names this failure among the workflow's effects, e.g. `order:PO-1:recordOrderChange:7`: the same
   * key raises one task however often it is raised.
   */
  key: string;
  /** What was not done, e.g. the activity's name and its step. */
  effect: string;
  /** Why, as the failure said it (e.g. the DataError's message). */
  error: string;
  /** When the workflow gave up (its own time, ISO 8601). */
  occurredAt: string;
}

/** Where each resource keeps its row, for the parties of its late task. */
const RESOURCE_TABLES: Record<ResourceKind, Prisma.Sql> = {
  order: Prisma.raw('"Order"'),
  monitoring: Prisma.raw('"MonitoringTask"'),
  case: Prisma.raw('"AfterServiceCase"'),
};

const RESOURCE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 16);

/**
 * `LT-<resource>-<resourceId>-effect-<16 hex digits of the key's SHA-256>`: the key fixes the id, and
 * the id reads like the queue's other ids (which end in the escalation's sequence number).
 */
export function effectFailureTaskId(resource: ResourceKind, resourceId: string, key: string): string {
  const id = RESOURCE_ID.test(resourceId) ? resourceId : digest(resourceId);
  return `LT-${resource}-${id}-effect-${digest(key)}`;
}

/** A time PostgreSQL can store; the moment of writing when the workflow's is unusable. */
function instantOf(iso: string): Date {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) || ms < Date.UTC(1970, 0, 1) || ms >= Date.UTC(10000, 0, 1) ? new Date() : new Date(ms);
}

export function createEffectFailureActivities({ db }: { db: Db }) {
  return stopRetryingDataErrors({
    /**
     * Puts an effect that failed for good on the late-task queue for ops, once per key. Everything in
     * it is made safe text first: this is where a poisoned effect ends up, so it must not be poisoned
     * itself by what the failure says.
     */
    async raiseEffectFailure(failure: EffectFailure): Promise<{ taskId: string; raised: boolean }> {
      const table = RESOURCE_TABLES[failure.resource];
      if (!table) {
        throw ApplicationFailure.create({ type: 'InvalidEffectFailure', message: `no resource kind ${safeText(String(failure.resource), 40)}`, nonRetryable: true });
      }
      const resourceId = safeText(String(failure.resourceId), 200);
      const taskId = effectFailureTaskId(failure.resource, resourceId, String(failure.key));
      const effect = safeText(String(failure.effect), 200).replace(/\s+/g, ' ').trim() || 'an effect';
      const error = safeText(String(failure.error), 1500).trim() || 'no reason given';
      const summary = `${effect} failed for good and was not retried: ${error} (key ${safeText(String(failure.key), 200)})`;
      const at = instantOf(failure.occurredAt);
      const rows = await db.$queryRaw<{ id: string }[]>`
        INSERT INTO "LateTask" ("id", "resource", "resourceId", "kind", "summary", "mustAct", "since", "status", "buyerId", "supplierId",
          "createdAt", "updatedAt")
        VALUES (${taskId}, ${failure.resource}, ${resourceId}, ${EFFECT_FAILED}, ${summary}, 'ops', ${at}, 'open',
          (SELECT "buyerId" FROM ${table} WHERE "id" = ${resourceId}), (SELECT "supplierId" FROM ${table} WHERE "id" = ${resourceId}), ${at}, ${at})
        ON CONFLICT ("id") DO NOTHING
        RETURNING "id"`;
      return { taskId, raised: rows.length > 0 };
    },
  });
}
