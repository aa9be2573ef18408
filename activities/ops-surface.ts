/**
 * The ops read models every record*Change activity keeps in step with its resource: the open
 * deadlines of every order, monitoring task and case (GET /deadlines) and the queue of late tasks
 * (GET /late-tasks). Both are written inside the activity's transaction, so a retried activity
 * writes the same rows and a stale retry (an older revision arriving late) writes none.
 */
import type { Prisma } from '../generated/prisma/client';
import type { TimelineEntry } from './orders';

export type ResourceKind = 'order' | 'monitoring' | 'case';
export type MustAct = 'ops' | 'supplier' | 'buyer' | 'inspector';

/** One open deadline as the workflow holds it (order, monitoring and case deadlines share this shape). */
export interface OpenDeadlineInput {
  id: string;
  kind: string;
  dueAt: string;
  rule: string;
  policyVersion: string;
  onExpiry: string;
  claimId?: string;
}

/**
 * Escalations that put a row in the late-task queue, by the timeline event type the workflow records,
 * with who must act and what moves the resource on (the row is then resolved by itself).
 */
export const ESCALATIONS: Record<string, { resource: ResourceKind; mustAct: MustAct; movedOnWhen: string }> = {
  SHIPMENT_LATE: { resource: 'order', mustAct: 'supplier', movedOnWhen: 'the order ships, or closes' },
  CLAIM_SUPPLIER_SILENT: { resource: 'order', mustAct: 'supplier', movedOnWhen: 'the supplier answers the claim, or it is escalated, decided, withdrawn or cancelled' },
  CLAIM_DECISION_OVERDUE: { resource: 'order', mustAct: 'ops', movedOnWhen: 'the claim is decided, withdrawn or cancelled' },
  BOOKING_LAPSED: { resource: 'monitoring', mustAct: 'buyer', movedOnWhen: 'never (the booking is closed): resolved by ops' },
  INSPECTOR_ASSIGNMENT_OVERDUE: { resource: 'monitoring', mustAct: 'ops', movedOnWhen: 'an inspector is assigned, or the task closes' },
  REPORT_LATE: { resource: 'monitoring', mustAct: 'inspector', movedOnWhen: 'the report is uploaded, or the task closes' },
  FIRST_REPLY_MISSED: { resource: 'case', mustAct: 'ops', movedOnWhen: 'the case gets its first reply, or closes' },
};
export const ESCALATION_KINDS = Object.keys(ESCALATIONS);

/** The reminder event recorded before a deadline falls due: it sets that deadline's reminderSent. */
export const REMINDERS: Record<string, { resource: ResourceKind; deadlineKind: string }> = {
  SHIPPING_REMINDER: { resource: 'order', deadlineKind: 'shipping-date' },
  CLAIM_DECISION_REMINDER: { resource: 'order', deadlineKind: 'claim-decision-due' },
  REPORT_REMINDER: { resource: 'monitoring', deadlineKind: 'report-late' },
  FIRST_REPLY_REMINDER: { resource: 'case', deadlineKind: 'first-reply' },
};

const CLAIM_MOVED_ON: Record<string, string[]> = {
  CLAIM_SUPPLIER_SILENT: ['CLAIM_COUNTER_OFFER', 'CLAIM_REJECTED_BY_SUPPLIER', 'CLAIM_ESCALATED', 'CLAIM_DECIDED', 'CLAIM_REFUNDED', 'CLAIM_WITHDRAWN', 'CLAIM_CANCELLED'],
  CLAIM_DECISION_OVERDUE: ['CLAIM_DECIDED', 'CLAIM_REFUNDED', 'CLAIM_WITHDRAWN', 'CLAIM_CANCELLED'],
};

/** What the resource looks like after the change, as far as the late-task queue cares. */
export interface ResourceAfterChange {
  resource: ResourceKind;
  resourceId: string;
  status: string;
  terminal: boolean;
  shipped?: boolean;
  firstReplied?: boolean;
}

/** Whether an open late task of `kind` (on `claimId`) no longer needs acting on after `event`. */
export function movedOn(kind: string, claimId: string | undefined, after: ResourceAfterChange, event: TimelineEntry): boolean {
  if (kind === 'BOOKING_LAPSED') return false;
  if (after.terminal) return true;
  switch (kind) {
    case 'SHIPMENT_LATE':
      return Boolean(after.shipped);
    case 'CLAIM_SUPPLIER_SILENT':
    case 'CLAIM_DECISION_OVERDUE':
      return claimId !== undefined && event.data.claimId === claimId && CLAIM_MOVED_ON[kind].includes(event.type);
    case 'INSPECTOR_ASSIGNMENT_OVERDUE':
      return after.status !== 'AWAITING_INSPECTOR';
    case 'REPORT_LATE':
      return after.status !== 'AWAITING_REPORT';
    case 'FIRST_REPLY_MISSED':
      return Boolean(after.firstReplied);
    default:
      return false;
  }
}

export const lateTaskId = (resource: ResourceKind, resourceId: string, seq: number) => `LT-${resource}-${resourceId}-${seq}`;

interface Parties {
  buyerId?: string;
  supplierId?: string;
  inspectorId?: string;
}

/**
 * Replaces the resource's open deadlines with `deadlines` (the list at `revision`). Called only when
 * this revision is the one the resource's row now holds. A deadline keeps reminderSent while its due
 * time stays the same; the reminder event of this change then sets it.
 */
export async function syncOpenDeadlines(
  tx: Prisma.TransactionClient,
  r: { resource: ResourceKind; resourceId: string; revision: number; parties: Parties; deadlines: OpenDeadlineInput[]; event: TimelineEntry },
): Promise<void> {
  const rows = r.deadlines.map((d) => ({ ...d, claimId: d.claimId ?? null }));
  const at = new Date(r.event.occurredAt);
  await tx.openDeadline.deleteMany({ where: { resource: r.resource, resourceId: r.resourceId, deadlineId: { notIn: rows.map((d) => d.id) } } });
  if (rows.length > 0) {
    await tx.$executeRaw`
      INSERT INTO "OpenDeadline" ("id", "resource", "resourceId", "deadlineId", "kind", "dueAt", "rule", "policyVersion", "onExpiry",
        "claimId", "buyerId", "supplierId", "inspectorId", "reminderSent", "revision", "updatedAt")
      SELECT ${`${r.resource}:${r.resourceId}:`} || d."id", ${r.resource}, ${r.resourceId}, d."id", d."kind", (d."dueAt")::timestamptz AT TIME ZONE 'UTC',
        d."rule", d."policyVersion", d."onExpiry", d."claimId", ${r.parties.buyerId ?? null}, ${r.parties.supplierId ?? null},
        ${r.parties.inspectorId ?? null}, false, ${r.revision}, ${at}
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS d("id" text, "kind" text, "dueAt" text, "rule" text, "policyVersion" text, "onExpiry" text, "claimId" text)
      ON CONFLICT ("id") DO UPDATE SET
        "kind" = EXCLUDED."kind", "rule" = EXCLUDED."rule", "policyVersion" = EXCLUDED."policyVersion", "onExpiry" = EXCLUDED."onExpiry",
        "claimId" = EXCLUDED."claimId", "buyerId" = EXCLUDED."buyerId", "supplierId" = EXCLUDED."supplierId",
        "inspectorId" = EXCLUDED."inspectorId", "revision" = EXCLUDED."revision", "updatedAt" = EXCLUDED."updatedAt",
        "reminderSent" = "OpenDeadline"."reminderSent" AND "OpenDeadline"."dueAt" = EXCLUDED."dueAt",
        "dueAt" = EXCLUDED."dueAt"`;
  }
  const reminder = REMINDERS[r.event.type];
  if (reminder && reminder.resource === r.resource) {
    const claimId = typeof r.event.data.claimId === 'string' ? r.event.data.claimId : undefined;
    await tx.openDeadline.updateMany({
      where: { resource: r.resource, resourceId: r.resourceId, kind: reminder.deadlineKind, ...(claimId ? { claimId } : {}) },
      data: { reminderSent: true },
    });
  }
}

/** Puts an escalation in the late-task queue (once: its id is the resource and the event's seq). */
export async function recordLateTask(
  tx: Prisma.TransactionClient,
  r: { resource: ResourceKind; resourceId: string; parties: Parties; event: TimelineEntry },
): Promise<void> {
  const escalation = ESCALATIONS[r.event.type];
  if (!escalation || escalation.resource !== r.resource) return;
  const at = new Date(r.event.occurredAt);
  await tx.lateTask.createMany({
    data: [
      {
        id: lateTaskId(r.resource, r.resourceId, r.event.seq),
        resource: r.resource,
        resourceId: r.resourceId,
        kind: r.event.type,
        summary: r.event.summary,
        mustAct: escalation.mustAct,
        since: at,
        claimId: typeof r.event.data.claimId === 'string' ? r.event.data.claimId : null,
        buyerId: r.parties.buyerId ?? null,
        supplierId: r.parties.supplierId ?? null,
        createdAt: at,
        updatedAt: at,
      },
    ],
    skipDuplicates: true,
  });
}

/** Resolves the resource's open late tasks that this change moved on (e.g. the late report is uploaded). */
export async function resolveMovedOn(tx: Prisma.TransactionClient, after: ResourceAfterChange, event: TimelineEntry): Promise<void> {
  const at = new Date(event.occurredAt);
  const open = await tx.lateTask.findMany({
    where: { resource: after.resource, resourceId: after.resourceId, status: { in: ['open', 'acknowledged'] }, since: { lte: at } },
  });
  const done = open.filter((t) => t.id !== lateTaskId(after.resource, after.resourceId, event.seq) && movedOn(t.kind, t.claimId ?? undefined, after, event));
  if (done.length === 0) return;
  await tx.lateTask.updateMany({
    where: { id: { in: done.map((t) => t.id) }, status: { in: ['open', 'acknowledged'] } },
    data: { status: 'resolved', resolvedAt: at, resolvedBy: 'system', resolution: `resolved by itself: ${event.summary}`, updatedAt: at },
  });
}

/** The whole ops bookkeeping of one change, inside the activity's transaction. */
export async function recordOpsSurface(
  tx: Prisma.TransactionClient,
  r: {
    /** Whether this change's revision is the one the resource's row now holds (false for a stale retry). */
    current: boolean;
    after: ResourceAfterChange;
    revision: number;
    parties: Parties;
    deadlines?: OpenDeadlineInput[];
    event: TimelineEntry;
  },
): Promise<void> {
  const { resource, resourceId } = r.after;
  await recordLateTask(tx, { resource, resourceId, parties: r.parties, event: r.event });
  if (!r.current) return;
  // A workflow started before deadlines travelled with its changes sends none: its rows are left alone.
  if (r.deadlines) await syncOpenDeadlines(tx, { resource, resourceId, revision: r.revision, parties: r.parties, deadlines: r.deadlines, event: r.event });
  await resolveMovedOn(tx, r.after, r.event);
}
