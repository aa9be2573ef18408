/**
 * Production Monitoring & Inspection routes (`/monitoring`). Each route authenticates (done by the
 * app), authorizes, validates, then starts, updates or queries `monitoring:<id>`. Whether the task
 * allows an action is the workflow's answer; the API only previews the pure policy (booking cutoff,
 * card brand) so that a refusal comes before anything is started or charged.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import express, { Request } from 'express';
import type { z } from 'zod';
import { PaymentGateway, SandboxCardGateway } from '../adapters/payments';
import type { FileStorage } from '../adapters/storage';
import type { Db } from '../infra/db';
import {
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
import { CURRENT_MONITORING_POLICY_VERSION, cardExpired, checkBooking, checkCard, monitoringPolicy } from '../workflows/monitoring.policy';
import { getOrderQuery, orderWorkflowId } from '../workflows/order.messages';
import { ApiError, badRequest, conflict, forbidden, notFound, unavailable } from './errors';
import { actorOf, allow, assertOwnsOrder, asyncRoute, isUnavailable, parse, principal, temporalCallFor } from './http';
import type { Role } from './keys';
import { emptyActionSchema } from './schemas';
import {
  assignInspectorSchema,
  bookMonitoringSchema,
  cancelMonitoringSchema,
  editMonitoringSchema,
  fileNameSchema,
  listMonitoringSchema,
  monitoringIdSchema,
  payMonitoringSchema,
  productInfoSchema,
  progressPhotoQuerySchema,
  progressSchema,
  recordCheckSchema,
  reviewSchema,
  shipmentDateSchema,
} from './monitoring.schemas';

export interface MonitoringRouteDeps {
  client: Client;
  db: Db;
  taskQueue: string;
  storage: FileStorage;
  payments?: PaymentGateway;
}

export function registerMonitoringRoutes(app: express.Express, deps: MonitoringRouteDeps): void {
  const { client, db, taskQueue, storage } = deps;
  const payments = deps.payments ?? new SandboxCardGateway();
  const policy = monitoringPolicy(CURRENT_MONITORING_POLICY_VERSION);

  const call = <T>(monitoringId: string, fn: () => Promise<T>) =>
    temporalCallFor(client, monitoringWorkflowId(monitoringId), `monitoring task ${monitoringId}`, fn);
  const handle = (monitoringId: string) => client.workflow.getHandle(monitoringWorkflowId(monitoringId));
  const idOf = (req: Request) => parse(monitoringIdSchema, req.params.monitoringId, 'monitoringId');

  async function readOwn(req: Request): Promise<MonitoringState> {
    const p = principal(req);
    const id = idOf(req);
    const task = await call(id, () => handle(id).query(getMonitoringQuery));
    assertOwnsOrder(p, task);
    return task;
  }

  // ---- booking ----------------------------------------------------------------------------------
  app.post('/monitoring', asyncRoute(async (req, res) => {
    const p = allow(req, ['ops', 'buyer', 'supplier'], 'book production monitoring');
    const body = parse(bookMonitoringSchema, req.body);
    const bySupplier = body.addedVia === 'SUPPLIER_DRAFT';
    if (p.role === 'supplier' && !bySupplier) throw forbidden(`a supplier adds the service only while drafting (addedVia SUPPLIER_DRAFT), not ${body.addedVia}`);
    if (p.role === 'buyer' && bySupplier) throw forbidden('a buyer adds the service from order management or the order details, not as a supplier draft');
    const order = await temporalCallFor(client, orderWorkflowId(body.orderId), `order ${body.orderId}`, () =>
      client.workflow.getHandle(orderWorkflowId(body.orderId)).query(getOrderQuery),
    );
    assertOwnsOrder(p, order);
    const shipmentDate = order.shippingDate ?? order.terms.shippingDate;
    const terms = {
      addedVia: body.addedVia,
      orderInitialPaymentMade: order.amounts.paid > 0,
      supplierAgreed: body.supplierAgreed,
      shipmentDate,
      supplierCalendar: body.supplierCalendar ?? 'CN',
    };
    const preview = checkBooking(policy, terms, Date.now());
    if (preview.problems.length > 0) throw badRequest(preview.problems);
    if (preview.refusal) throw conflict(preview.refusal, 'action_refused');
    const monitoringId = body.monitoringId ?? `PM-${randomUUID().slice(0, 13).replace('-', '').toUpperCase()}`;
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
      createdBy: actorOf(p),
    };
    try {
      await client.workflow.start(MONITORING_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: monitoringWorkflowId(monitoringId),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw conflict(`monitoring task ${monitoringId} already exists`);
      if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
      throw err;
    }
    res.status(201).location(`/monitoring/${monitoringId}`).json({
      monitoringId,
      workflowId: monitoringWorkflowId(monitoringId),
      orderId: order.orderId,
      status: 'AWAITING_PAYMENT',
      fee: policy.fee,
      bookingCutoffAt: new Date(preview.cutoff!.at).toISOString(),
      bookingCutoffRule: preview.cutoff!.rule,
      policyVersion: policy.version,
    });
  }));

  // ---- reads ------------------------------------------------------------------------------------
  app.get('/monitoring', asyncRoute(async (req, res) => {
    const p = principal(req);
    const q = parse(listMonitoringSchema, req.query);
    const where: Record<string, unknown> = {};
    if (q.status) where.status = q.status;
    if (q.orderId) where.orderId = q.orderId;
    if (q.late) where.late = q.late === 'true';
    if (p.role === 'buyer') where.buyerId = p.partyId;
    if (p.role === 'supplier') where.supplierId = p.partyId;
    const rows = await db.monitoringTask.findMany({ where, orderBy: [{ nextDeadlineAt: 'asc' }, { id: 'asc' }], take: q.limit ?? 50 });
    res.json({
      tasks: rows.map((t) => ({
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
        updatedAt: t.updatedAt.toISOString(),
      })),
    });
  }));

  app.get('/monitoring/:monitoringId', asyncRoute(async (req, res) => {
    res.json({ monitoring: await readOwn(req) });
  }));

  app.get('/monitoring/:monitoringId/deadlines', asyncRoute(async (req, res) => {
    const task = await readOwn(req);
    res.json({ monitoringId: task.monitoringId, status: task.status, nextStep: task.nextStep, deadlines: task.deadlines });
  }));

  app.get('/monitoring/:monitoringId/timeline', asyncRoute(async (req, res) => {
    const p = principal(req);
    const id = idOf(req);
    const row = await db.monitoringTask.findUnique({ where: { id } });
    if (!row) throw notFound(`no monitoring task ${id}`);
    assertOwnsOrder(p, row);
    const events = await db.monitoringEvent.findMany({ where: { monitoringId: id }, orderBy: { seq: 'asc' } });
    res.json({
      monitoringId: id,
      events: events.map((e) => ({
        seq: e.seq,
        type: e.type,
        at: e.occurredAt.toISOString(),
        actor: { role: e.actorRole, partyId: e.actorId ?? undefined },
        summary: e.summary,
        data: e.data,
      })),
    });
  }));

  // ---- payment ----------------------------------------------------------------------------------
  app.post('/monitoring/:monitoringId/pay', asyncRoute(async (req, res) => {
    const p = allow(req, ['ops', 'buyer'], 'pay for production monitoring');
    const body = parse(payMonitoringSchema, req.body);
    const task = await readOwn(req);
    const card = checkCard(policy, body.card.number);
    if (!card.ok) throw badRequest([card.problem]);
    if (cardExpired(body.card.expMonth, body.card.expYear, Date.now())) {
      throw badRequest([{ field: 'card.expYear', reason: `the card expired at the end of ${body.card.expYear}-${String(body.card.expMonth).padStart(2, '0')}` }]);
    }
    // Nothing is charged for a task that takes no payment; a retry with the card that paid goes on
    // and finds its own charge (same idempotency key), so the caller sees the same success.
    const retryOfPayment = task.payment?.last4 === card.last4 && task.payment.brand === card.brand;
    if (task.status !== 'AWAITING_PAYMENT' && !retryOfPayment) {
      throw conflict(
        task.payment
          ? `cannot pay: the fee is already paid by ${task.payment.brand} ending ${task.payment.last4} (the service is ${task.status})`
          : `cannot pay: the booking is closed (the service is ${task.status})`,
        'action_refused',
      );
    }
    // Same card, same task: the same key, so a retried request is the same charge. Card data stops here.
    const cardDigest = createHash('sha256').update(`${body.card.number.replace(/\D/g, '')}|${body.card.expMonth}|${body.card.expYear}`).digest('hex').slice(0, 16);
    const wfId = monitoringWorkflowId(task.monitoringId);
    const charge = await payments.charge({
      idempotencyKey: `${wfId}:fee:${cardDigest}`,
      amount: task.fee.amount,
      currency: task.fee.currency,
      card: body.card,
      description: `Production monitoring ${task.monitoringId} for order ${task.orderId}`,
    });
    if (charge.status === 'declined') throw new ApiError(402, 'payment_declined', `payment declined: ${charge.reason ?? 'the card was declined'}`);
    if (charge.status === 'error') throw unavailable(`payment failed: ${charge.reason ?? 'the card processor had an error'}; nothing was charged, retry shortly`);
    const payment = { paymentId: charge.paymentId, brand: card.brand, last4: card.last4, amount: task.fee.amount, currency: task.fee.currency };
    try {
      const monitoring = await call(task.monitoringId, () => handle(task.monitoringId).executeUpdate(payMonitoringUpdate, { args: [{ actor: actorOf(p), payment }] }));
      res.json({ monitoring });
    } catch (err) {
      // Refused after the charge (e.g. the cutoff passed meanwhile): give the money back, unless the
      // task already holds this very payment.
      const now = await handle(task.monitoringId).query(getMonitoringQuery).catch(() => undefined);
      if (now && now.payment?.paymentId !== charge.paymentId) {
        await payments.refund({ idempotencyKey: `${wfId}:fee:${cardDigest}:void`, paymentId: charge.paymentId, amount: task.fee.amount });
      }
      throw err;
    }
  }));

  // ---- actions (Updates) ------------------------------------------------------------------------
  interface ActionRoute {
    path: string;
    update: typeof payMonitoringUpdate;
    schema: z.ZodType<Record<string, unknown>>;
    roles: Role[];
    extra?: Record<string, unknown>;
  }
  const action = (path: string, update: unknown, schema: unknown, roles: Role[], extra?: Record<string, unknown>): ActionRoute => ({
    path,
    update: update as typeof payMonitoringUpdate,
    schema: schema as z.ZodType<Record<string, unknown>>,
    roles,
    extra,
  });
  const actions: ActionRoute[] = [
    action('product-info', addProductInfoUpdate, productInfoSchema, ['ops', 'buyer']),
    action('assign-inspector', assignInspectorUpdate, assignInspectorSchema, ['ops']),
    action('progress', recordProgressUpdate, progressSchema, ['ops']),
    action('check', recordCheckUpdate, recordCheckSchema, ['ops']),
    action('edit', editMonitoringUpdate, editMonitoringSchema, ['ops', 'buyer']),
    action('deselect', cancelMonitoringUpdate, cancelMonitoringSchema, ['ops', 'buyer'], { deselect: true }),
    action('cancel', cancelMonitoringUpdate, cancelMonitoringSchema, ['ops', 'buyer']),
    action('shipment-date', changeShipmentDateUpdate, shipmentDateSchema, ['ops', 'buyer', 'supplier']),
    action('review', reviewMonitoringUpdate, reviewSchema, ['buyer']),
    action('reinspection', requestReinspectionUpdate, emptyActionSchema, ['ops', 'buyer']),
  ];

  async function runAction(req: Request, route: ActionRoute, body: Record<string, unknown>): Promise<MonitoringState> {
    const p = allow(req, route.roles, `act on monitoring tasks (${route.path})`);
    const id = idOf(req);
    return call(id, () => handle(id).executeUpdate(route.update, { args: [{ ...body, ...route.extra, actor: actorOf(p) } as never] }));
  }

  for (const route of actions) {
    app.post(`/monitoring/:monitoringId/${route.path}`, asyncRoute(async (req, res) => {
      const body = parse(route.schema, req.body);
      res.json({ monitoring: await runAction(req, route, body) });
    }));
  }

  // ---- files ------------------------------------------------------------------------------------
  // The file goes to storage (content-addressed: a retried upload is the same file), then its reference to the task.
  async function receiveFile(req: Request, types: readonly string[]) {
    const contentType = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!types.includes(contentType)) {
      throw badRequest([{ field: 'Content-Type', reason: `must be one of ${types.join(', ')} (got ${contentType || 'none'})` }]);
    }
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (bytes.length === 0) throw badRequest([{ field: '(body)', reason: 'the file is empty' }]);
    const name = parse(fileNameSchema, req.query.name ?? 'upload', 'name');
    return storage.put(bytes, { contentType, name });
  }
  const raw = express.raw({ type: () => true, limit: policy.uploads.maxBytes });
  const pictureRoute = action('product-pictures', addProductInfoUpdate, emptyActionSchema, ['ops', 'buyer']);
  const reportRoute = action('report', uploadReportUpdate, emptyActionSchema, ['ops']);

  app.post('/monitoring/:monitoringId/product-pictures', raw, asyncRoute(async (req, res) => {
    allow(req, pictureRoute.roles, 'upload sample pictures');
    const file = await receiveFile(req, policy.uploads.pictureTypes);
    res.status(201).json({ file, monitoring: await runAction(req, pictureRoute, { picture: file }) });
  }));

  const progressPhotoRoute = action('progress', recordProgressUpdate, emptyActionSchema, ['ops']);
  app.post('/monitoring/:monitoringId/progress-photos', raw, asyncRoute(async (req, res) => {
    allow(req, progressPhotoRoute.roles, 'record production progress');
    const { name: _name, ...progress } = parse(progressPhotoQuerySchema, req.query);
    const file = await receiveFile(req, policy.uploads.pictureTypes);
    res.status(201).json({ file, monitoring: await runAction(req, progressPhotoRoute, { ...progress, photos: [file] }) });
  }));

  app.post('/monitoring/:monitoringId/report', raw, asyncRoute(async (req, res) => {
    allow(req, reportRoute.roles, 'upload inspection reports');
    const file = await receiveFile(req, policy.uploads.reportTypes);
    res.status(201).json({ file, monitoring: await runAction(req, reportRoute, { file }) });
  }));

  async function sendFile(res: express.Response, ref: { fileId: string; name: string } | undefined, what: string): Promise<void> {
    if (!ref) throw notFound(`no ${what}`);
    const found = await storage.get(ref.fileId);
    if (!found) throw notFound(`${what} ${ref.fileId} is missing from storage`);
    res.type(found.file.contentType).attachment(ref.name).send(found.bytes);
  }

  app.get('/monitoring/:monitoringId/report', asyncRoute(async (req, res) => {
    const task = await readOwn(req);
    await sendFile(res, task.reports.at(-1), `report on monitoring task ${task.monitoringId} yet`);
  }));

  app.get('/monitoring/:monitoringId/files/:fileId', asyncRoute(async (req, res) => {
    const task = await readOwn(req);
    const files = [...task.productInfo.pictures, ...task.reports, ...task.progress.flatMap((p) => p.photos)];
    await sendFile(res, files.find((f) => f.fileId === req.params.fileId), `file ${req.params.fileId} on monitoring task ${task.monitoringId}`);
  }));
}
