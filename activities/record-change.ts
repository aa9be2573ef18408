/**
 * One state change of an order, a monitoring task or a case, written as one SQL statement: the
 * resource's row (a newer revision only), its timeline entry, the ops read models (open deadlines,
 * late tasks) and the change's emails as outbox rows. A single statement commits all of it or none
 * of it, like a transaction, in one round trip to the database.
 *
 * Every part is keyed, so a retried activity writes nothing twice, and the parts that describe the
 * resource "now" (its deadlines, the late tasks it moved on) are written only when this revision is
 * the one the resource's row holds: a stale retry arriving late changes none of them.
 */
import type { Db } from '../infra/db';
import { Prisma } from '../generated/prisma/client';
import { OutboxRow, outboxCtes, warnUnsent } from './email';
import type { OpenDeadlineInput, TimelineEntry } from '../workflows/read-model';
import {
  ESCALATIONS,
  escalationOf,
  ESCALATION_KINDS,
  REMINDERS,
  ResourceAfterChange,
  lateTaskId,
  movedOn,
} from './ops-surface';

/** Where each resource keeps its timeline. */
const TIMELINES = {
  order: { table: Prisma.raw('"OrderEvent"'), column: Prisma.raw('"orderId"') },
  monitoring: { table: Prisma.raw('"MonitoringEvent"'), column: Prisma.raw('"monitoringId"') },
  case: { table: Prisma.raw('"CaseEvent"'), column: Prisma.raw('"caseId"') },
} as const;

export interface Parties {
  buyerId?: string;
  supplierId?: string;
  inspectorId?: string;
}

export interface ChangeWrite {
  /**
   * The upsert of the resource's row: `INSERT … ON CONFLICT ("id") DO UPDATE … WHERE <stored revision
   * is older>`, without RETURNING. It decides whether this change is the current one.
   */
  row: Prisma.Sql;
  /** Further writes of the change that guard themselves (e.g. the shipment row the self-check follows). */
  also?: Prisma.Sql[];
  after: ResourceAfterChange;
  revision: number;
  parties: Parties;
  /** The open deadlines at this revision; absent for workflows started before they travelled with changes (rows left alone). */
  deadlines?: OpenDeadlineInput[];
  event: TimelineEntry;
  /** The change's emails, one row per recipient (see createOutbox().rows). */
  mail: OutboxRow[];
  /** The deployment whose mail relay sends the rows. */
  queue: string;
}

/**
 * The escalation kinds this change moves on: `any` whatever their claim, `claim` only for the claim the
 * event is about. The same rule as `movedOn`, asked once per kind instead of once per open task.
 */
export function kindsMovedOn(after: ResourceAfterChange, event: TimelineEntry): { any: string[]; claim: string[]; claimId?: string } {
  const claimId = typeof event.data.claimId === 'string' ? event.data.claimId : undefined;
  const any: string[] = [];
  const claim: string[] = [];
  for (const kind of ESCALATION_KINDS) {
    if (ESCALATIONS[kind].resource !== after.resource) continue;
    if (movedOn(kind, undefined, after, event)) any.push(kind);
    else if (claimId !== undefined && movedOn(kind, claimId, after, event)) claim.push(kind);
  }
  return { any, claim, claimId };
}

const json = (v: unknown) => Prisma.sql`${JSON.stringify(v)}::jsonb`;

/** Writes one change; resolves when it has committed. */
export async function writeChange(db: Pick<Db, '$queryRaw'>, w: ChangeWrite): Promise<void> {
  const { resource, resourceId } = w.after;
  const { event, parties } = w;
  const at = new Date(event.occurredAt);
  const timeline = TIMELINES[resource];
  const current = Prisma.sql`EXISTS (SELECT 1 FROM "row")`;
  const ctes: Prisma.Sql[] = [Prisma.sql`"row" AS (${w.row} RETURNING 1)`];
  (w.also ?? []).forEach((sql, i) => ctes.push(Prisma.sql`${Prisma.raw(`"also${i}"`)} AS (${sql})`));

  ctes.push(Prisma.sql`"timeline" AS (
    INSERT INTO ${timeline.table} (${timeline.column}, "seq", "type", "actorRole", "actorId", "summary", "data", "occurredAt")
    VALUES (${resourceId}, ${event.seq}, ${event.type}, ${event.actorRole}, ${event.actorId ?? null}, ${event.summary}, ${json(event.data)}, ${at})
    ON CONFLICT DO NOTHING)`);

  // An escalation goes to the late-task queue once (its id is the resource and the event's seq), stale or not.
  const escalation = escalationOf(event.type);
  if (escalation && escalation.resource === resource) {
    const claimId = typeof event.data.claimId === 'string' ? event.data.claimId : null;
    ctes.push(Prisma.sql`"late" AS (
      INSERT INTO "LateTask" ("id", "resource", "resourceId", "kind", "summary", "mustAct", "since", "status", "claimId", "buyerId",
        "supplierId", "createdAt", "updatedAt")
      VALUES (${lateTaskId(resource, resourceId, event.seq)}, ${resource}, ${resourceId}, ${event.type}, ${event.summary},
        ${escalation.mustAct}, ${at}, 'open', ${claimId}, ${parties.buyerId ?? null}, ${parties.supplierId ?? null}, ${at}, ${at})
      ON CONFLICT ("id") DO NOTHING)`);
  }

  if (w.deadlines) {
    // The list at this revision replaces the resource's rows. A deadline keeps reminderSent while its
    // due time stays the same; this change's reminder event sets it.
    const rows = w.deadlines.map((d) => ({ ...d, claimId: d.claimId ?? null, provisional: d.provisional === true }));
    const reminder = REMINDERS[event.type];
    const reminderClaim = typeof event.data.claimId === 'string' && event.data.claimId !== '' ? event.data.claimId : null;
    const reminded =
      reminder && reminder.resource === resource
        ? Prisma.sql`(d."kind" = ${reminder.deadlineKind} AND (${reminderClaim}::text IS NULL OR d."claimId" = ${reminderClaim}::text))`
        : Prisma.sql`false`;
    ctes.push(Prisma.sql`"incoming" AS (
      SELECT d.*, ${reminded} AS "reminded" FROM jsonb_to_recordset(${json(rows)})
        AS d("id" text, "kind" text, "dueAt" text, "rule" text, "policyVersion" text, "onExpiry" text, "claimId" text, "provisional" boolean))`);
    ctes.push(Prisma.sql`"dropped" AS (
      DELETE FROM "OpenDeadline" WHERE "resource" = ${resource} AND "resourceId" = ${resourceId}
        AND "deadlineId" NOT IN (SELECT "id" FROM "incoming") AND ${current})`);
    ctes.push(Prisma.sql`"deadlines" AS (
      INSERT INTO "OpenDeadline" ("id", "resource", "resourceId", "deadlineId", "kind", "dueAt", "rule", "policyVersion", "onExpiry",
        "claimId", "provisional", "buyerId", "supplierId", "inspectorId", "reminderSent", "revision", "updatedAt")
      SELECT ${`${resource}:${resourceId}:`} || d."id", ${resource}, ${resourceId}, d."id", d."kind", (d."dueAt")::timestamptz AT TIME ZONE 'UTC',
        d."rule", d."policyVersion", d."onExpiry", d."claimId", d."provisional", ${parties.buyerId ?? null}, ${parties.supplierId ?? null},
        ${parties.inspectorId ?? null}, d."reminded", ${w.revision}, ${at}
      FROM "incoming" AS d WHERE ${current}
      ON CONFLICT ("id") DO UPDATE SET
        "kind" = EXCLUDED."kind", "rule" = EXCLUDED."rule", "policyVersion" = EXCLUDED."policyVersion", "onExpiry" = EXCLUDED."onExpiry",
        "claimId" = EXCLUDED."claimId", "provisional" = EXCLUDED."provisional", "buyerId" = EXCLUDED."buyerId", "supplierId" = EXCLUDED."supplierId",
        "inspectorId" = EXCLUDED."inspectorId", "revision" = EXCLUDED."revision", "updatedAt" = EXCLUDED."updatedAt",
        "reminderSent" = EXCLUDED."reminderSent" OR ("OpenDeadline"."reminderSent" AND "OpenDeadline"."dueAt" = EXCLUDED."dueAt"),
        "dueAt" = EXCLUDED."dueAt")`);
  }

  // The late tasks this change moved on resolve by themselves (the first revision has none before it).
  const moved = kindsMovedOn(w.after, event);
  if (w.revision > 1 && (moved.any.length > 0 || moved.claim.length > 0)) {
    ctes.push(Prisma.sql`"resolved" AS (
      UPDATE "LateTask" SET "status" = 'resolved', "resolvedAt" = ${at}, "resolvedBy" = 'system',
        "resolution" = ${`resolved by itself: ${event.summary}`}, "updatedAt" = ${at}
      WHERE "resource" = ${resource} AND "resourceId" = ${resourceId} AND "status" IN ('open', 'acknowledged') AND "since" <= ${at}
        AND "id" <> ${lateTaskId(resource, resourceId, event.seq)}
        AND ("kind" IN (SELECT jsonb_array_elements_text(${json(moved.any)}))
          OR ("kind" IN (SELECT jsonb_array_elements_text(${json(moved.claim)})) AND "claimId" = ${moved.claimId ?? null}::text))
        AND ${current})`);
  }

  // The change's emails, committed with it.
  const mail = outboxCtes(w.queue, w.mail);
  ctes.push(...mail.ctes);

  const [result] = await db.$queryRaw<{ unsent: string[] }[]>`WITH ${Prisma.join(ctes, ',\n')} SELECT ${mail.unsent} AS "unsent"`;
  warnUnsent(result?.unsent ?? []);
}
