/**
 * Production Monitoring & Inspection routes (`/monitoring`). Each route authenticates (done by the
 * app), authorizes, validates, then starts, updates or queries `monitoring:<id>`. Whether the task
 * allows an action is the workflow's answer; the API only previews the pure policy (booking cutoff,
 * card brand) so that a refusal comes before anything is started or charged.
 */
import { createHash } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError } from '@temporalio/client';
import express, { Request } from 'express';
import type { z } from 'zod';
import { PaymentGateway, SandboxCardGateway } from '../adapters/payments';
import type { FileStorage, StoredFile } from '../adapters/storage';
import type { Db } from '../infra/db';
import {
  MONITORING_CODE_REVISION,
  MONITORING_WORKFLOW_TYPE,
  MonitoringInput,
  MonitoringState,
  addProductInfoUpdate,
  assignInspectorUpdate,
  cancelMonitoringUpdate,
  changeShipmentDateUpdate,
  editMonitoringUpdate,
  getMonitoringQuery,
  monitoringWorkflowId,
  payMonitoringUpdate,
  recordCheckUpdate,
  recordProgressUpdate,
  requestReinspectionUpdate,
  reviewMonitoringUpdate,
  uploadReportUpdate,
} from '../workflows/monitoring.messages';
import { CURRENT_MONITORING_POLICY_VERSION, bookingChannelRefusal, bookingTermsOf, cardExpired, checkBooking, checkCard, monitoringPolicy } from '../workflows/monitoring.policy';
import { getOrderQuery, orderWorkflowId, reserveMonitoringUpdate } from '../workflows/order.messages';
import { availableActionsQuery } from '../workflows/actions';
import { ACTIONS_RESPONSE, ActionLink, callerActions } from './actions';
import { DOWNLOAD_DESCRIPTION, sendStoredFile } from './file-types';
import { ApiError, badRequest, conflict, forbidden, notFound, unavailable } from './errors';
import { actorOf, assertCallerReaches, assertOwnsOrder, assertReachesTask, isUnavailable, principal, updateInTurn, temporalCallFor, timelineEventView } from './http';
import { createTaskAfterAction } from './after-action';
import type { Role } from './keys';
import type { RouteRegistry } from './routes';
import { LookupCache, PARTIES_TTL_MS } from './lookup-cache';
import { monitoringRowViewFor, monitoringTimelineFor, monitoringViewFor } from './views';
import { emptyActionSchema } from './schemas';
import { attachUpload } from './uploads';
import { isDerivedRecordId, newRecordId, updateIdOf } from './idempotency';
import {
  assignInspectorSchema,
  bookMonitoringSchema,
  cancelMonitoringSchema,
  editMonitoringSchema,
  listMonitoringSchema,
  monitoringFileParamsSchema,
  monitoringParamsSchema,
  payMonitoringSchema,
  productInfoSchema,
  progressPhotoQuerySchema,
  progressSchema,
  recordCheckSchema,
  reviewSchema,
  shipmentDateSchema,
  uploadQuerySchema,
} from './monitoring.schemas';
import { monitoringStartMetadata } from '../workflows/ui-metadata';

export interface MonitoringRouteDeps {
  client: Client;
  db: Db;
  taskQueue: string;
  storage: FileStorage;
  payments?: PaymentGateway;
  /** The clock of the parties' memory; wall-clock time unless given. */
  now?: () => number;
  /** 0 turns the parties' memory off, as it turns the key cache off. */
  keyCacheTtlMs?: number;
}

export function registerMonitoringRoutes(routes: RouteRegistry, deps: MonitoringRouteDeps): void {
  const { client, db, taskQueue, storage } = deps;
  const payments = deps.payments ?? new SandboxCardGateway();
  const policy = monitoringPolicy(CURRENT_MONITORING_POLICY_VERSION);
  // A task's buyer and supplier are its order's and never change; its inspector does, and is always
  // read. Known from the booking, they answer the parties' first actions on a task whose first change
  // is not in the read model yet, instead of a Query each.
  const taskParties = new LookupCache<{ buyerId: string; supplierId: string }>(deps.keyCacheTtlMs === 0 ? 0 : PARTIES_TTL_MS, deps.now);

  const call = <T>(monitoringId: string, fn: () => Promise<T>) =>
    temporalCallFor(client, monitoringWorkflowId(monitoringId), `monitoring task ${monitoringId}`, fn);
  const handle = (monitoringId: string) => client.workflow.getHandle(monitoringWorkflowId(monitoringId));
  /** The task after an action: from its read-model row when that is current, else from the workflow. */
  const taskAfterAction = createTaskAfterAction(client, db);
  const allRoles: Role[] = ['ops', 'support', 'buyer', 'supplier'];
  const withInspector: Role[] = [...allRoles, 'inspector'];
  const ownTasks = "buyers and suppliers: their own orders' tasks only; an inspector: the tasks assigned to it";
  const tag = 'monitoring';

  async function readOwn(req: Request, id: string): Promise<MonitoringState> {
    const p = principal(req);
    const task = await call(id, () => handle(id).query(getMonitoringQuery));
    taskParties.remember(id, { buyerId: task.buyerId, supplierId: task.supplierId });
    assertReachesTask(p, task, `monitoring task ${id}`);
    return task;
  }

  // ---- booking ----------------------------------------------------------------------------------
  routes.add({
    method: 'post', path: '/monitoring', tag, summary: 'Book production monitoring for an order', roles: ['ops', 'buyer', 'supplier'],
    description: 'A supplier books while drafting (SUPPLIER_DRAFT); a buyer from order management (with the supplier\'s agreement once the deposit is paid) or from the order details. The order must be open and not shipped; the booking cutoff counts in the calendar of the supplier\'s profile. Refused after the booking cutoff with the last instant it allowed, and once the order has as many monitoring tasks as its policy allows (5 over its life).',
    ownership: 'buyers and suppliers: their own orders only', body: bookMonitoringSchema,
    responses: { 201: { description: 'the task is booked: { monitoringId, workflowId, orderId, status, fee, bookingCutoffAt (the booking lapses then), bookingLastInstantAt (the last instant to pay), bookingCutoffRule, policyVersion }', headers: { Location: 'the new task' } } },
    errors: { 409: 'conflict (a task with this id exists) or action_refused (the booking cutoff has passed, the order has shipped or is closed, or it has as many monitoring tasks as its policy allows)', 503: 'unavailable: the workflow service did not answer' },
  }, async (req, res, { body }) => {
    const p = principal(req);
    const channelRefusal = bookingChannelRefusal(p.role, body.addedVia);
    if (channelRefusal) throw forbidden(channelRefusal);
    const order = await temporalCallFor(client, orderWorkflowId(body.orderId), `order ${body.orderId}`, () =>
      client.workflow.getHandle(orderWorkflowId(body.orderId)).query(getOrderQuery),
    );
    assertOwnsOrder(p, order, `order ${body.orderId}`);
    const profile = await db.supplierProfile.findUnique({ where: { supplierId: order.supplierId }, select: { calendar: true } });
    const terms = bookingTermsOf(order, body, profile?.calendar);
    const preview = checkBooking(policy, terms, Date.now());
    if (preview.problems.length > 0) throw badRequest(preview.problems);
    if (preview.refusal) throw conflict(preview.refusal, 'action_refused');
    const monitoringId = body.monitoringId ?? newRecordId(req, 'PM');
    const input: MonitoringInput = {
      monitoringId,
      orderId: order.orderId,
      buyerId: order.buyerId,
      supplierId: order.supplierId,
      ...terms,
      proforma: {
        productName: order.terms.items.map((i) => i.description).join('; '),
        quantity: order.terms.items.reduce((s, i) => s + i.quantity, 0),
        shippingMarks: order.terms.shippingMarks,
        packaging: order.terms.packaging,
        innerCartonMarkings: body.innerCartonMarkings,
      },
      details: body.details,
      policyVersion: policy.version,
      codeRevision: MONITORING_CODE_REVISION,
      createdBy: actorOf(p),
    };
    // The order takes a place for the task first, under its lock: its limit (maxMonitoringTasks) holds
    // however many bookings arrive at once, and a refusal (409) starts nothing.
    await temporalCallFor(client, orderWorkflowId(order.orderId), `order ${order.orderId}`, () =>
      updateInTurn(client, orderWorkflowId(order.orderId), () =>
        client.workflow
          .getHandle(orderWorkflowId(order.orderId))
          .executeUpdate(reserveMonitoringUpdate, { args: [{ actor: actorOf(p), monitoringId }] })
          .catch((err: unknown) => {
            // Orders of the first workflow version have no places to take (they predate the limit): booked as before.
            if (err instanceof WorkflowUpdateFailedError && /^No registered handler for update/.test(String((err.cause as Error | undefined)?.message))) return undefined;
            throw err;
          }),
      ),
    );
    try {
      await client.workflow.start(MONITORING_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: monitoringWorkflowId(monitoringId),
        args: [input],
        ...monitoringStartMetadata(input),
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      });
    } catch (err) {
      // The id derived from this request's idempotency key: an earlier run of this very request started it.
      const ranBefore = err instanceof WorkflowExecutionAlreadyStartedError && !body.monitoringId && isDerivedRecordId(req, 'PM', monitoringId);
      if (err instanceof WorkflowExecutionAlreadyStartedError && !ranBefore) throw conflict(`monitoring task ${monitoringId} already exists`);
      if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
      if (!ranBefore) throw err;
    }
    taskParties.remember(monitoringId, { buyerId: order.buyerId, supplierId: order.supplierId });
    res.status(201).location(`/monitoring/${monitoringId}`).json({
      monitoringId,
      workflowId: monitoringWorkflowId(monitoringId),
      orderId: order.orderId,
      status: 'AWAITING_PAYMENT',
      fee: policy.fee,
      bookingCutoffAt: new Date(preview.cutoff!.at).toISOString(),
      bookingLastInstantAt: new Date(preview.cutoff!.lastInstant).toISOString(),
      bookingCutoffRule: preview.cutoff!.rule,
      policyVersion: policy.version,
    });
  });

  // ---- reads ------------------------------------------------------------------------------------
  routes.add({
    method: 'get', path: '/monitoring', tag, summary: 'List monitoring tasks', roles: withInspector, ownership: ownTasks,
    query: listMonitoringSchema, responses: { 200: 'tasks from the read model, next deadline first: { tasks }' },
  }, async (req, res, { query: q }) => {
    const p = principal(req);
    const where: Record<string, unknown> = {};
    if (q.status) where.status = q.status;
    if (q.orderId) where.orderId = q.orderId;
    if (q.late) where.late = q.late === 'true';
    if (p.role === 'buyer') where.buyerId = p.partyId;
    if (p.role === 'supplier') where.supplierId = p.partyId;
    if (p.role === 'inspector') where.inspectorId = p.partyId;
    const rows = await db.monitoringTask.findMany({ where, orderBy: [{ nextDeadlineAt: 'asc' }, { id: 'asc' }], take: q.limit ?? 50 });
    res.json({
      tasks: rows.map((t) => monitoringRowViewFor(p.role, {
        monitoringId: t.id,
        orderId: t.orderId,
        status: t.status,
        addedVia: t.addedVia,
        result: t.result ?? undefined,
        late: t.late,
        fee: Number(t.feeAmount),
        paid: Number(t.paidAmount),
        refunded: Number(t.refundedAmount),
        currency: t.currency,
        bookingCutoffAt: t.bookingCutoffAt.toISOString(),
        nextDeadlineAt: t.nextDeadlineAt?.toISOString(),
        inspectorId: t.inspectorId ?? undefined,
        updatedAt: t.updatedAt.toISOString(),
      })),
    });
  });

  const read = (path: string, summary: string, response: string) => ({
    method: 'get' as const, path: `/monitoring/:monitoringId${path}`, tag, summary, roles: withInspector, ownership: ownTasks,
    params: monitoringParamsSchema, responses: { 200: response },
  });
  routes.add({
    ...read('', "Read a monitoring task's live state", 'the live state from the workflow, as the caller\'s role sees it: { monitoring }'),
    description: 'Each role sees what it needs: the buyer, ops and support the whole task; a supplier the task without the card payment; an inspector the inspection (product, supplier, dates, checks, progress, reports) without the booking, the fee, the payment or the review. The same view is in every answer that carries the task.',
  }, async (req, res, { params }) => {
    res.json({ monitoring: monitoringViewFor(principal(req).role, await readOwn(req, params.monitoringId)) });
  });

  routes.add(read('/deadlines', "List a monitoring task's open deadlines", 'every open deadline with its rule: { monitoringId, status, nextStep, deadlines }'), async (req, res, { params }) => {
    const task = await readOwn(req, params.monitoringId);
    res.json({ monitoringId: task.monitoringId, status: task.status, nextStep: task.nextStep, deadlines: task.deadlines });
  });

  routes.add(read('/timeline', "Read a monitoring task's timeline", 'every change, who made it and when: { monitoringId, events }'), async (req, res, { params }) => {
    const p = principal(req);
    const id = params.monitoringId;
    const row = await db.monitoringTask.findUnique({ where: { id } });
    if (!row) throw notFound(`no monitoring task ${id}`);
    assertReachesTask(p, row, `monitoring task ${id}`);
    const events = await db.monitoringEvent.findMany({ where: { monitoringId: id }, orderBy: { seq: 'asc' } });
    res.json({
      monitoringId: id,
      events: monitoringTimelineFor(p.role, events.map(timelineEventView)),
    });
  });

  // ---- payment ----------------------------------------------------------------------------------
  routes.add({
    method: 'post', path: '/monitoring/:monitoringId/pay', tag, summary: 'Pay for production monitoring by card', roles: ['ops', 'buyer'],
    description: 'Visa or MasterCard only (brand from the number, Luhn check). The card goes to the payment gateway only, for a token; the task workflow charges the token, one charge at a time (a second payment waits, then answers as paid or is refused). The card is never stored.',
    ownership: ownTasks, params: monitoringParamsSchema, body: payMonitoringSchema,
    responses: { 200: 'the task after payment: { monitoring }' },
    errors: { 402: 'payment_declined: the card was declined', 409: 'action_refused: the task does not take a payment now', 503: 'unavailable: the card processor or the workflow service failed and nothing was charged, or the processor never answered a charge (not confirmed: paying again asks that same charge first, never a second one)' },
  }, async (req, res, { params, body }) => {
    const p = principal(req);
    await assertReaches(req, params.monitoringId);
    const card = checkCard(policy, body.card.number);
    if (!card.ok) throw badRequest([card.problem]);
    if (cardExpired(body.card.expMonth, body.card.expYear, Date.now())) {
      throw badRequest([{ field: 'card.expYear', reason: `the card expired at the end of ${body.card.expYear}-${String(body.card.expMonth).padStart(2, '0')}` }]);
    }
    // The card stops here: the gateway keeps it and gives a token, which the workflow charges.
    const token = await payments.tokenize(body.card);
    if (token.status !== 'succeeded') {
      throw token.status === 'declined'
        ? new ApiError(402, 'payment_declined', `payment declined: ${token.reason}`)
        : unavailable(`payment failed: ${token.reason}; nothing was charged, retry shortly`);
    }
    const cardToCharge = { token: token.token, brand: token.brand, last4: token.last4 };
    const ack = await call(params.monitoringId, () =>
      updateInTurn(client, monitoringWorkflowId(params.monitoringId), () =>
        handle(params.monitoringId).executeUpdate(payMonitoringUpdate, { args: [{ actor: actorOf(p), card: cardToCharge }], updateId: updateIdOf(req) }),
      ),
    );
    res.json({ monitoring: monitoringViewFor(p.role, await taskAfterAction(params.monitoringId, ack.revision)) });
  });

  // ---- actions (Updates) ------------------------------------------------------------------------
  interface ActionRoute {
    path: string;
    summary: string;
    update: typeof payMonitoringUpdate;
    schema: z.ZodType<Record<string, unknown>>;
    roles: Role[];
    extra?: Record<string, unknown>;
    description?: string;
  }
  const action = (path: string, summary: string, update: unknown, schema: unknown, roles: Role[], extra?: Record<string, unknown>, description?: string): ActionRoute => ({
    path,
    summary,
    update: update as typeof payMonitoringUpdate,
    schema: schema as z.ZodType<Record<string, unknown>>,
    roles,
    extra,
    description,
  });
  const actions: ActionRoute[] = [
    action('product-info', 'Provide product information', addProductInfoUpdate, productInfoSchema, ['ops', 'buyer']),
    action('assign-inspector', 'Assign an inspector and the check date', assignInspectorUpdate, assignInspectorSchema, ['ops'], undefined,
      'inspectorId names a registered inspector party: its inspector keys may then read the task and record progress, the check and the report.'),
    action('progress', 'Record production progress', recordProgressUpdate, progressSchema, ['ops', 'inspector']),
    action('check', 'Record the on-site check against the proforma invoice', recordCheckUpdate, recordCheckSchema, ['ops', 'inspector']),
    action('edit', 'Edit the service before the on-site check', editMonitoringUpdate, editMonitoringSchema, ['ops', 'buyer']),
    action('deselect', 'Deselect the service before the on-site check', cancelMonitoringUpdate, cancelMonitoringSchema, ['ops', 'buyer'], { deselect: true }),
    action('cancel', 'Cancel the service, refunded by policy', cancelMonitoringUpdate, cancelMonitoringSchema, ['ops', 'buyer']),
    action('shipment-date', "Move the order's shipment date", changeShipmentDateUpdate, shipmentDateSchema, ['ops', 'buyer', 'supplier']),
    action('review', 'Review the service after the report', reviewMonitoringUpdate, reviewSchema, ['buyer']),
    action('reinspection', 'Request a re-inspection after a FAIL', requestReinspectionUpdate, emptyActionSchema, ['ops', 'buyer']),
  ];

  /**
   * A buyer or supplier acts only on its own order's tasks, an inspector only on a task assigned to
   * it: checked against the read model before anything is sent or stored (the workflow checks again),
   * and another party's task is answered as a missing one.
   */
  async function assertReaches(req: Request, id: string): Promise<void> {
    const p = principal(req);
    if (p.role === 'ops' || p.role === 'support') return;
    const parties = p.role === 'inspector' ? undefined : taskParties.peek(id);
    if (parties) return assertReachesTask(p, parties, `monitoring task ${id}`);
    const row = await db.monitoringTask.findUnique({ where: { id }, select: { buyerId: true, supplierId: true, inspectorId: true } });
    await assertCallerReaches(row, (task) => assertReachesTask(p, task, `monitoring task ${id}`), () => readOwn(req, id));
  }

  /** Runs a task's Update (it answers only an acknowledgement) and answers with the task after it. */
  async function runAction(req: Request, id: string, update: unknown, body: Record<string, unknown>): Promise<MonitoringState> {
    await assertReaches(req, id);
    const ack = await call(id, () =>
      updateInTurn(client, monitoringWorkflowId(id), () =>
        handle(id).executeUpdate(update as typeof payMonitoringUpdate, { args: [{ ...body, actor: actorOf(principal(req)) } as never], updateId: updateIdOf(req) }),
      ),
    );
    return taskAfterAction(id, ack.revision);
  }

  const actionErrors = {
    409: "action_refused: the task does not allow this now; the message says why (the workflow's answer)",
    503: 'unavailable: the workflow service did not answer; the action may still complete',
  };
  for (const route of actions) {
    routes.add({
      method: 'post', path: `/monitoring/:monitoringId/${route.path}`, tag, summary: route.summary, roles: route.roles, ownership: ownTasks,
      ...(route.description ? { description: route.description } : {}),
      params: monitoringParamsSchema, body: route.schema, responses: { 200: 'the task after the action: { monitoring }' }, errors: actionErrors,
    }, async (req, res, { params, body }) => {
      if (typeof body.inspectorId === 'string') {
        const party = await db.party.findUnique({ where: { id: body.inspectorId } });
        if (!party) throw badRequest([{ field: 'inspectorId', reason: `no party ${body.inspectorId}; register the inspector first (POST /parties with kind inspector)` }]);
        if (party.kind !== 'inspector') throw badRequest([{ field: 'inspectorId', reason: `party ${body.inspectorId} is a ${party.kind}, not an inspector` }]);
      }
      res.json({ monitoring: monitoringViewFor(principal(req).role, await runAction(req, params.monitoringId, route.update, { ...body, ...route.extra })) });
    });
  }

  const actionLinks: ActionLink[] = [
    { update: payMonitoringUpdate.name, path: '/monitoring/:monitoringId/pay' },
    ...actions.map((route) => ({ update: route.update.name, path: `/monitoring/:monitoringId/${route.path}`, ...(route.extra?.deselect ? { variant: 'deselect' } : {}) })),
    { update: addProductInfoUpdate.name, path: '/monitoring/:monitoringId/product-pictures' },
    { update: recordProgressUpdate.name, path: '/monitoring/:monitoringId/progress-photos' },
    { update: uploadReportUpdate.name, path: '/monitoring/:monitoringId/report' },
  ];
  routes.add({
    ...read('/actions', 'List the actions the caller may take on a monitoring task now', ACTIONS_RESPONSE),
    description: "From the task workflow's availableActions query: each Update's rule of who may act in which state, the same rule its validator applies first, asked of ops, the buyer, the supplier, the assigned inspector and support.",
  }, async (req, res, { params }) => {
    const id = params.monitoringId;
    await readOwn(req, id);
    const available = await call(id, () => handle(id).query(availableActionsQuery));
    res.json({ monitoringId: id, ...callerActions(routes.operations(), principal(req), available, actionLinks, { monitoringId: id }) });
  });

  // ---- files ------------------------------------------------------------------------------------
  // An unknown task or another party's task is refused before anything is stored, its reach read
  // from the read model (api/uploads.ts says why not by a Query); then the file is staged, its
  // reference goes to the task by an Update, and the file is kept only if the task took it.
  async function attachFile(
    req: Request,
    res: express.Response,
    id: string,
    file: { bytes: Buffer; contentType: string },
    name: string,
    update: unknown,
    body: (stored: StoredFile) => Record<string, unknown>,
    updateId?: (stored: StoredFile) => string,
  ): Promise<void> {
    await assertReaches(req, id);
    const { file: stored, result: ack } = await attachUpload(storage, { ...file, name }, (staged) =>
      call(id, () =>
        updateInTurn(client, monitoringWorkflowId(id), () =>
          handle(id).executeUpdate(update as typeof payMonitoringUpdate, {
            args: [{ ...body(staged), actor: actorOf(principal(req)) } as never],
            ...(updateId ? { updateId: updateId(staged) } : {}),
          }),
        ),
      ),
    );
    res.status(201).json({ file: stored, monitoring: monitoringViewFor(principal(req).role, await taskAfterAction(id, ack.revision)) });
  }

  const upload = (path: string, summary: string, roles: Role[], contentTypes: readonly string[]) => ({
    method: 'post' as const, path: `/monitoring/:monitoringId/${path}`, tag, summary, roles, ownership: ownTasks,
    params: monitoringParamsSchema, upload: { contentTypes, maxBytes: policy.uploads.maxBytes },
    responses: { 201: 'the stored file and the task: { file, monitoring }' }, errors: actionErrors,
  });

  // A picture is one Update per task and content (its Update ID): the same picture sent twice, even
  // at once, is recorded once and both requests get the task that holds it.
  routes.add({
    ...upload('product-pictures', 'Upload a sample picture', ['ops', 'buyer'], policy.uploads.pictureTypes),
    description: 'The same picture (the same bytes) sent again, even at the same time, is recorded once; the repeat answers as the first did.',
    query: uploadQuerySchema,
  }, async (req, res, { params, query, file }) =>
    attachFile(req, res, params.monitoringId, file, query.name, addProductInfoUpdate, (picture) => ({ picture }), (picture) => `product-picture:${picture.sha256}`),
  );

  // A progress record is one Update per photo and progress fields: a retried request is the same record.
  routes.add({
    ...upload('progress-photos', 'Record production progress with a photo', ['ops', 'inspector'], policy.uploads.pictureTypes),
    description: 'The progress fields travel as query parameters beside the photo; a completion date after the shipment date alerts the buyer and ops. The same photo with the same fields sent again is the same record.',
    query: progressPhotoQuerySchema,
  }, async (req, res, { params, query, file }) => {
    const { name, ...progress } = query;
    const fields = createHash('sha256').update(JSON.stringify(Object.entries(progress).sort(([a], [b]) => a.localeCompare(b)))).digest('hex').slice(0, 16);
    await attachFile(req, res, params.monitoringId, file, name, recordProgressUpdate, (photo) => ({ ...progress, photos: [photo] }), (photo) => `progress-photo:${photo.sha256}:${fields}`);
  });

  // One report per inspection round: the workflow refuses a second one, so no Update ID here (the same
  // bytes may be the report of a later round).
  routes.add({ ...upload('report', 'Upload the inspection report', ['ops', 'inspector'], policy.uploads.reportTypes), query: uploadQuerySchema },
    async (req, res, { params, query, file }) => attachFile(req, res, params.monitoringId, file, query.name, uploadReportUpdate, (report) => ({ file: report })),
  );

  async function sendFile(res: express.Response, ref: { fileId: string; name: string } | undefined, what: string): Promise<void> {
    if (!ref) throw notFound(`no ${what}`);
    const found = await storage.get(ref.fileId);
    if (!found) throw notFound(`${what} ${ref.fileId} is missing from storage`);
    sendStoredFile(res, found.file, found.bytes, ref.name);
  }

  const download = { description: DOWNLOAD_DESCRIPTION, contentType: 'application/octet-stream' };
  routes.add({ ...read('/report', 'Download the latest inspection report', ''), responses: { 200: download } }, async (req, res, { params }) => {
    const task = await readOwn(req, params.monitoringId);
    await sendFile(res, task.reports.at(-1), `report on monitoring task ${task.monitoringId} yet`);
  });

  routes.add({ ...read('/files/:fileId', "Download one of a task's files (pictures, photos, reports)", ''), params: monitoringFileParamsSchema, responses: { 200: download } },
    async (req, res, { params }) => {
      const task = await readOwn(req, params.monitoringId);
      const files = [...task.productInfo.pictures, ...task.reports, ...task.progress.flatMap((p) => p.photos)];
      await sendFile(res, files.find((f) => f.fileId === params.fileId), `file ${params.fileId} on monitoring task ${task.monitoringId}`);
    });
}
