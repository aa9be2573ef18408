/**
 * The ops and support surface: every open deadline in one list, the late-task queue, search over
 * the read models, and each resource's live state beside its timeline and deadlines. Everything
 * but the overviews' live state is read from the read models the record*Change activities write
 * (activities/ops-surface.ts); the only writes are ops working the late-task queue.
 */
import { Client } from '@temporalio/client';
import { z } from 'zod';
import { Prisma } from '../generated/prisma/client';
import type { Db } from '../infra/db';
import { workLateTask } from '../activities/late-tasks';
import { LateTaskAction, lateTaskRefusal } from '../activities/ops-surface';
import { caseWorkflowId, getCaseQuery } from '../workflows/case.messages';
import { getMonitoringQuery, monitoringWorkflowId } from '../workflows/monitoring.messages';
import { getOrderQuery, orderWorkflowId } from '../workflows/order.messages';
import { badRequest, conflict, forbidden, notFound } from './errors';
import { assertOwnsOrder, assertReachesTask, principal, temporalCallFor, timelineEventView } from './http';
import type { Principal, Role } from './keys';
import { caseParamsSchema } from './cases.schemas';
import { monitoringParamsSchema } from './monitoring.schemas';
import {
  RESOURCES,
  Resource,
  assignLateTaskSchema,
  lateTaskParamsSchema,
  listDeadlinesSchema,
  listLateTasksSchema,
  resolveLateTaskSchema,
  searchSchema,
} from './ops.schemas';
import type { RouteRegistry } from './routes';
import { recordActions } from './actions';
import { monitoringTimelineFor, monitoringViewFor } from './views';
import { emptyActionSchema, instant, orderParamsSchema } from './schemas';

export interface OpsRouteDeps {
  client: Client;
  db: Db;
  /** What "overdue" is measured against; wall-clock time unless given. */
  clock?: () => number;
}

const LINK_BASE: Record<Resource, string> = { order: '/orders', monitoring: '/monitoring', case: '/cases' };
const linkOf = (resource: string, id: string) => `${LINK_BASE[resource as Resource]}/${encodeURIComponent(id)}`;

/** Keyset cursors: the sort key of the last row of a page, opaque to the caller. */
function encodeCursor(key: string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

// What a cursor may decode to: an instant the database can hold (1970–9999, as every instant a
// request carries) and ids of the shape the database holds. Anything else was not made by this API.
const cursorInstant = instant().refine((s) => /Z$/.test(s), 'must be in UTC');
const cursorId = z.string().regex(/^[A-Za-z0-9:_.-]{1,200}$/);
const DEADLINE_CURSOR = z.tuple([cursorInstant, cursorId]);
const SEARCH_CURSOR = z.tuple([cursorInstant, z.enum(RESOURCES), cursorId]);

function decodeCursor<T extends z.ZodType<string[]>>(cursor: string, shape: T): z.output<T> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const parsed = shape.safeParse(key);
  if (!parsed.success) throw badRequest([{ field: 'cursor', reason: 'must be the nextCursor of a previous page of this list' }]);
  return parsed.data;
}

type DeadlineRow = Awaited<ReturnType<Db['openDeadline']['findMany']>>[number];

function deadlineView(d: DeadlineRow, now: number) {
  return {
    id: d.id,
    resource: d.resource,
    resourceId: d.resourceId,
    kind: d.kind,
    dueAt: d.dueAt.toISOString(),
    rule: d.rule,
    policyVersion: d.policyVersion,
    onExpiry: d.onExpiry,
    reminderSent: d.reminderSent,
    overdue: d.dueAt.getTime() <= now,
    buyerId: d.buyerId ?? undefined,
    supplierId: d.supplierId ?? undefined,
    link: linkOf(d.resource, d.resourceId),
  };
}

type LateTaskRow = Awaited<ReturnType<Db['lateTask']['findMany']>>[number];

function lateTaskView(t: LateTaskRow) {
  return {
    id: t.id,
    resource: t.resource,
    resourceId: t.resourceId,
    kind: t.kind,
    summary: t.summary,
    mustAct: t.mustAct,
    since: t.since.toISOString(),
    status: t.status,
    assignee: t.assignee ?? undefined,
    acknowledgedAt: t.acknowledgedAt?.toISOString(),
    resolvedAt: t.resolvedAt?.toISOString(),
    resolution: t.resolution ?? undefined,
    link: linkOf(t.resource, t.resourceId),
  };
}

/** A buyer, supplier or inspector sees only its own records: the party filter it may not widen. */
function forcedParty(p: Principal, asked: string | undefined, what: string): Prisma.OpenDeadlineWhereInput | undefined {
  if (p.role !== 'buyer' && p.role !== 'supplier' && p.role !== 'inspector') return undefined;
  if (asked !== undefined && asked !== p.partyId) throw forbidden(`a ${p.role} key lists only its own ${what} (party ${p.partyId})`);
  if (p.role === 'buyer') return { buyerId: p.partyId };
  if (p.role === 'supplier') return { supplierId: p.partyId };
  return { inspectorId: p.partyId };
}

export function registerOpsRoutes(routes: RouteRegistry, deps: OpsRouteDeps): void {
  const { client, db } = deps;
  const clock = deps.clock ?? Date.now;
  const readers: Role[] = ['ops', 'support', 'buyer', 'supplier'];

  // ---- deadlines --------------------------------------------------------------------------------
  routes.add({
    method: 'get', path: '/deadlines', tag: 'ops', summary: 'List every open deadline', roles: [...readers, 'inspector'],
    description:
      'Every open deadline of every order, monitoring task and case, earliest first (then by id), from the read model the workflows keep in step. ' +
      'dueAfter ≤ dueAt < dueBefore; overdue=true: the due time has passed (the workflow acts on it at once, so an overdue deadline is one whose escalation is being recorded, or waits on an open claim). ' +
      'reminderSent: the workflow recorded the reminder that precedes this deadline (SHIPPING_REMINDER for shipping-date, CLAIM_DECISION_REMINDER for claim-decision-due, REPORT_REMINDER for report-late, FIRST_REPLY_REMINDER for first-reply); it starts again when the due time moves. ' +
      'party matches the buyer, the supplier or the assigned inspector.',
    ownership: 'buyers, suppliers and inspectors: their own deadlines only (the party filter is theirs)',
    query: listDeadlinesSchema,
    responses: { 200: 'a page of deadlines: { deadlines: [{ id, resource, resourceId, kind, dueAt, rule, policyVersion, onExpiry, reminderSent, overdue, buyerId?, supplierId?, link }], nextCursor? }' },
  }, async (req, res, { query: q }) => {
    const p = principal(req);
    const now = clock();
    const and: Prisma.OpenDeadlineWhereInput[] = [];
    if (q.resource) and.push({ resource: q.resource });
    if (q.kind) and.push({ kind: q.kind });
    const own = forcedParty(p, q.party, 'deadlines');
    if (own) and.push(own);
    else if (q.party) and.push({ OR: [{ buyerId: q.party }, { supplierId: q.party }, { inspectorId: q.party }] });
    if (q.dueAfter) and.push({ dueAt: { gte: new Date(q.dueAfter) } });
    if (q.dueBefore) and.push({ dueAt: { lt: new Date(q.dueBefore) } });
    if (q.overdue === 'true') and.push({ dueAt: { lte: new Date(now) } });
    if (q.overdue === 'false') and.push({ dueAt: { gt: new Date(now) } });
    if (q.cursor) {
      const [dueAt, id] = decodeCursor(q.cursor, DEADLINE_CURSOR);
      and.push({ OR: [{ dueAt: { gt: new Date(dueAt) } }, { dueAt: new Date(dueAt), id: { gt: id } }] });
    }
    const limit = q.limit ?? 50;
    const rows = await db.openDeadline.findMany({ where: { AND: and }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }], take: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    res.json({
      deadlines: page.map((d) => deadlineView(d, now)),
      ...(rows.length > limit && last ? { nextCursor: encodeCursor([last.dueAt.toISOString(), last.id]) } : {}),
    });
  });

  // ---- the late-task queue ----------------------------------------------------------------------
  const taskList = 'the late tasks: { tasks: [{ id, resource, resourceId, kind, summary, mustAct, since, status, assignee?, acknowledgedAt?, resolvedAt?, resolution?, link }] }';
  routes.add({
    method: 'get', path: '/late-tasks', tag: 'ops', summary: 'List the late-task queue', roles: ['ops', 'support'],
    description:
      'One task per escalation a workflow recorded: SHIPMENT_LATE, CLAIM_SUPPLIER_SILENT, CLAIM_DECISION_OVERDUE (orders), BOOKING_LAPSED, ' +
      'INSPECTOR_ASSIGNMENT_OVERDUE, REPORT_LATE (monitoring), FIRST_REPLY_MISSED (cases); oldest first. A task resolves by itself when its ' +
      'resource moves on (the order ships, the supplier answers, the claim is decided, an inspector is assigned, the report is uploaded, the ' +
      'case is answered, or the resource closes), with resolution "resolved by itself: …". A lapsed booking is resolved by ops. ' +
      'EFFECT_FAILED (any resource; ops must act): an effect a workflow gave up on because retrying could not fix it (the database refused ' +
      'its data), with the effect, the error and its key in the summary; one task per key, and it stays until ops resolve it.',
    query: listLateTasksSchema, responses: { 200: `${taskList}; each task's actions (acknowledge, assign, resolve) are those the caller's key may take on it now` },
  }, async (req, res, { query: q }) => {
    const rows = await db.lateTask.findMany({
      where: { ...(q.status ? { status: q.status } : {}), ...(q.kind ? { kind: q.kind } : {}), ...(q.assignee ? { assignee: q.assignee } : {}) },
      orderBy: [{ since: 'asc' }, { id: 'asc' }],
      take: q.limit ?? 200,
    });
    const p = principal(req);
    res.json({ tasks: rows.map((t) => ({ ...lateTaskView(t), actions: recordActions(routes.operations(), p, t, taskActionPaths, taskRefusal) })) });
  });

  const taskActionPaths = { acknowledge: '/late-tasks/:taskId/acknowledge', assign: '/late-tasks/:taskId/assign', resolve: '/late-tasks/:taskId/resolve' };
  const taskRefusal = (action: string, task: { id: string; status: string }) => lateTaskRefusal(action as LateTaskAction, task);

  const refused = { 409: 'action_refused: the task\'s status does not allow this (e.g. it is already resolved); the message says why' };

  /** Applies a change the task's current status allows, or says why not. */
  async function workTask(taskId: string, action: LateTaskAction, data: Prisma.LateTaskUpdateManyMutationInput) {
    const work = await workLateTask(db, taskId, action, data, new Date());
    if (!work.done) throw work.task ? conflict(work.refusal, 'action_refused') : notFound(work.refusal);
    return { task: lateTaskView(work.task) };
  }

  routes.add({
    method: 'post', path: '/late-tasks/:taskId/assign', tag: 'ops', summary: 'Assign a late task', roles: ['ops'],
    description: 'An open or acknowledged task gets (or changes) its assignee.',
    params: lateTaskParamsSchema, body: assignLateTaskSchema, responses: { 200: 'the task: { task }' }, errors: refused,
  }, async (_req, res, { params, body }) => {
    res.json(await workTask(params.taskId, 'assign', { assignee: body.assignee }));
  });

  routes.add({
    method: 'post', path: '/late-tasks/:taskId/acknowledge', tag: 'ops', summary: 'Acknowledge a late task', roles: ['ops'],
    description: 'Says someone is on it: an open task becomes acknowledged.',
    params: lateTaskParamsSchema, body: emptyActionSchema, responses: { 200: 'the task: { task }' }, errors: refused,
  }, async (_req, res, { params }) => {
    res.json(await workTask(params.taskId, 'acknowledge', { status: 'acknowledged', acknowledgedAt: new Date() }));
  });

  routes.add({
    method: 'post', path: '/late-tasks/:taskId/resolve', tag: 'ops', summary: 'Resolve a late task', roles: ['ops'],
    description: 'An open or acknowledged task is resolved with a note saying what was done.',
    params: lateTaskParamsSchema, body: resolveLateTaskSchema, responses: { 200: 'the task: { task }' }, errors: refused,
  }, async (req, res, { params, body }) => {
    const p = principal(req);
    res.json(await workTask(params.taskId, 'resolve', { status: 'resolved', resolvedAt: new Date(), resolution: body.note, resolvedBy: p.keyId }));
  });

  // ---- search -----------------------------------------------------------------------------------
  const SEARCHED: Record<Resource, { table: string; description: boolean }> = {
    order: { table: '"Order"', description: false },
    monitoring: { table: '"MonitoringTask"', description: false },
    case: { table: '"AfterServiceCase"', description: true },
  };

  routes.add({
    method: 'get', path: '/search', tag: 'ops', summary: 'Search orders, monitoring tasks and cases',
    roles: readers,
    description:
      'Over the read models, most recently changed first. q matches the start of an id, a buyer id or a supplier id, in any case ' +
      '(indexed prefix matching: "PO-12" finds PO-123), and for cases also any part of the description. from ≤ updatedAt < to. Paged by nextCursor.',
    ownership: 'buyers and suppliers: their own orders, tasks and cases only',
    query: searchSchema,
    responses: { 200: 'a page of results: { results: [{ type, id, status, buyerId?, supplierId?, updatedAt, link }], nextCursor? }' },
  }, async (req, res, { query: q }) => {
    const p = principal(req);
    if ((p.role === 'buyer' || p.role === 'supplier') && q.party !== undefined && q.party !== p.partyId) {
      throw forbidden(`a ${p.role} key searches only its own records (party ${p.partyId})`);
    }
    const limit = q.limit ?? 50;
    const after = q.cursor ? decodeCursor(q.cursor, SEARCH_CURSOR) : undefined;
    const prefix = q.q ? `${q.q.toLowerCase().replace(/[\\%_]/g, '\\$&')}%` : undefined;
    const types = (q.type ? [q.type] : (['order', 'monitoring', 'case'] as const)) as readonly Resource[];
    const branches = types.map((type) => {
      const { table, description } = SEARCHED[type];
      const where: Prisma.Sql[] = [];
      if (prefix) {
        const matches = [
          Prisma.sql`lower("id") LIKE ${prefix}`,
          Prisma.sql`lower("buyerId") LIKE ${prefix}`,
          Prisma.sql`lower("supplierId") LIKE ${prefix}`,
          ...(description ? [Prisma.sql`"description" ILIKE ${`%${q.q!.replace(/[\\%_]/g, '\\$&')}%`}`] : []),
        ];
        where.push(Prisma.sql`(${Prisma.join(matches, ' OR ')})`);
      }
      if (q.status) where.push(Prisma.sql`"status" = ${q.status}`);
      if (q.party) where.push(Prisma.sql`("buyerId" = ${q.party} OR "supplierId" = ${q.party})`);
      if (p.role === 'buyer') where.push(Prisma.sql`"buyerId" = ${p.partyId}`);
      if (p.role === 'supplier') where.push(Prisma.sql`"supplierId" = ${p.partyId}`);
      if (q.from) where.push(Prisma.sql`"updatedAt" >= ${new Date(q.from)}`);
      if (q.to) where.push(Prisma.sql`"updatedAt" < ${new Date(q.to)}`);
      if (after) {
        // Rows after the cursor in (updatedAt DESC, type DESC, id DESC); this branch's type is a constant.
        const [at, afterType, afterId] = after;
        const u = new Date(at);
        if (type < afterType) where.push(Prisma.sql`"updatedAt" <= ${u}`);
        else if (type > afterType) where.push(Prisma.sql`"updatedAt" < ${u}`);
        else where.push(Prisma.sql`("updatedAt", "id") < (${u}, ${afterId})`);
      }
      const filter = where.length > 0 ? Prisma.sql`WHERE ${Prisma.join(where, ' AND ')}` : Prisma.empty;
      return Prisma.sql`(SELECT ${type}::text AS "type", "id", "status", "buyerId", "supplierId", "updatedAt" FROM ${Prisma.raw(table)} ${filter}
        ORDER BY "updatedAt" DESC, "id" DESC LIMIT ${limit + 1})`;
    });
    const rows = await db.$queryRaw<{ type: Resource; id: string; status: string; buyerId: string | null; supplierId: string | null; updatedAt: Date }[]>`
      SELECT * FROM (${Prisma.join(branches, ' UNION ALL ')}) AS found
      ORDER BY "updatedAt" DESC, "type" DESC, "id" DESC LIMIT ${limit + 1}`;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    res.json({
      results: page.map((r) => ({
        type: r.type,
        id: r.id,
        status: r.status,
        buyerId: r.buyerId ?? undefined,
        supplierId: r.supplierId ?? undefined,
        updatedAt: new Date(r.updatedAt).toISOString(),
        link: linkOf(r.type, r.id),
      })),
      ...(rows.length > limit && last ? { nextCursor: encodeCursor([new Date(last.updatedAt).toISOString(), last.type, last.id]) } : {}),
    });
  });

  // ---- overviews: live state, timeline and deadlines side by side ---------------------------------
  async function deadlinesOf(resource: Resource, resourceId: string) {
    const now = clock();
    const rows = await db.openDeadline.findMany({ where: { resource, resourceId }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] });
    return rows.map((d) => deadlineView(d, now));
  }

  const overview = '{ state (the live state, queried from the workflow), timeline (from the read model), deadlines (as in GET /deadlines) }';

  routes.add({
    method: 'get', path: '/orders/:orderId/overview', tag: 'orders', summary: "Read an order's live state, timeline and deadlines together",
    roles: readers, ownership: 'buyers and suppliers: their own orders only', params: orderParamsSchema,
    responses: { 200: overview }, errors: { 503: 'unavailable: the workflow service did not answer' },
  }, async (req, res, { params: { orderId } }) => {
    const state = await temporalCallFor(client, orderWorkflowId(orderId), `order ${orderId}`, () =>
      client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery),
    );
    assertOwnsOrder(principal(req), state, `order ${orderId}`);
    const [events, deadlines] = await Promise.all([
      db.orderEvent.findMany({ where: { orderId }, orderBy: { seq: 'asc' } }),
      deadlinesOf('order', orderId),
    ]);
    res.json({ state, timeline: events.map(timelineEventView), deadlines });
  });

  routes.add({
    method: 'get', path: '/monitoring/:monitoringId/overview', tag: 'monitoring', summary: "Read a monitoring task's live state, timeline and deadlines together",
    roles: [...readers, 'inspector'], ownership: "buyers and suppliers: their own orders' tasks only; an inspector: the tasks assigned to it",
    params: monitoringParamsSchema, responses: { 200: overview }, errors: { 503: 'unavailable: the workflow service did not answer' },
  }, async (req, res, { params: { monitoringId } }) => {
    const state = await temporalCallFor(client, monitoringWorkflowId(monitoringId), `monitoring task ${monitoringId}`, () =>
      client.workflow.getHandle(monitoringWorkflowId(monitoringId)).query(getMonitoringQuery),
    );
    assertReachesTask(principal(req), state, `monitoring task ${monitoringId}`);
    const [events, deadlines] = await Promise.all([
      db.monitoringEvent.findMany({ where: { monitoringId }, orderBy: { seq: 'asc' } }),
      deadlinesOf('monitoring', monitoringId),
    ]);
    const { role } = principal(req);
    res.json({ state: monitoringViewFor(role, state), timeline: monitoringTimelineFor(role, events.map(timelineEventView)), deadlines });
  });

  routes.add({
    method: 'get', path: '/cases/:caseId/overview', tag: 'after-service cases', summary: "Read a case's live state, timeline and deadlines together",
    roles: readers, ownership: 'buyers and suppliers: cases on their own orders only',
    params: caseParamsSchema, responses: { 200: overview }, errors: { 503: 'unavailable: the workflow service did not answer' },
  }, async (req, res, { params: { caseId } }) => {
    const state = await temporalCallFor(client, caseWorkflowId(caseId), `case ${caseId}`, () => client.workflow.getHandle(caseWorkflowId(caseId)).query(getCaseQuery));
    assertOwnsOrder(principal(req), state.order, `case ${caseId}`);
    const [events, deadlines] = await Promise.all([
      db.caseEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } }),
      deadlinesOf('case', caseId),
    ]);
    res.json({ state, timeline: events.map(timelineEventView), deadlines });
  });
}
