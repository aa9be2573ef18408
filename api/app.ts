import { randomUUID } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import express, { Request } from 'express';
import { z } from 'zod';
import type { Db } from '../infra/db';
import {
  ORDER_WORKFLOW_TYPE,
  OrderState,
  TradeOrderInput,
  acceptCounterOfferUpdate,
  addEvidenceUpdate,
  cancelOrderUpdate,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  decideClaimUpdate,
  escalateClaimUpdate,
  extendReceivingUpdate,
  extendShippingUpdate,
  getOrderQuery,
  leaveFeedbackUpdate,
  markDeliveredUpdate,
  openClaimUpdate,
  orderWorkflowId,
  payUpdate,
  requestEvidenceUpdate,
  respondToClaimUpdate,
  shipUpdate,
  withdrawClaimUpdate,
} from '../workflows/order.messages';
import { CURRENT_ORDER_POLICY_VERSION, checkDraft, orderPolicy } from '../workflows/order.policy';
import {
  ApiError,
  badRequest,
  conflict,
  errorHandler,
  forbidden,
  notFound,
  notFoundRoute,
  unauthenticated,
  unavailable,
} from './errors';
import { actorOf, allow, assertOwnsOrder, asyncRoute, isUnavailable, parse, principal, temporalCallFor } from './http';
import { KeyProblem, Principal, Role, createApiKey, findPrincipal } from './keys';
import { registerMonitoringRoutes } from './monitoring.routes';
import { registerReportRoutes } from './reports.routes';
import { registerCarrierRoutes } from './carrier.routes';
import {
  EVIDENCE_MAX_BYTES,
  EVIDENCE_TYPES,
  cancelSchema,
  claimIdSchema,
  createApiKeySchema,
  createOrderSchema,
  createPartySchema,
  decideClaimSchema,
  emptyActionSchema,
  evidenceNameSchema,
  extendReceivingSchema,
  extendShippingSchema,
  feedbackSchema,
  idSchema,
  listOrdersSchema,
  openClaimSchema,
  paymentSchema,
  requestEvidenceSchema,
  respondToClaimSchema,
  shipSchema,
  supplierAssuranceSchema,
} from './schemas';
import type { CarrierTracking } from '../adapters/carrier';
import type { PaymentGateway } from '../adapters/payments';
import type { FileStorage } from '../adapters/storage';
import { supplierGrantedAmount } from '../activities/coverage';
import { HealthReport } from './health';

export interface ApiDeps {
  client: Client;
  db: Db;
  taskQueue: string;
  health: () => Promise<HealthReport>;
  storage: FileStorage;
  /** Card payments for paid services; the embedded sandbox when not given. */
  payments?: PaymentGateway;
  /** The carrier of the worker running in this process (the simulated one can be driven by ops). */
  carrier?: CarrierTracking;
  log?: (line: string) => void;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Translates what Temporal said about an order into the API's statuses. */
function temporalCall<T>(client: Client, orderId: string, call: () => Promise<T>): Promise<T> {
  return temporalCallFor(client, orderWorkflowId(orderId), `order ${orderId}`, call);
}

export function createApp(deps: ApiDeps): express.Express {
  const { client, db, taskQueue } = deps;
  const log = deps.log ?? (() => undefined);
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb' }));

  app.get('/health', asyncRoute(async (_req, res) => {
    const report = await deps.health();
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  }));

  // Everything below needs an API key: "Authorization: Bearer tg_…" or "X-API-Key: tg_…".
  app.use((req, _res, next) => {
    authenticate(req).then(() => next(), next);
  });
  async function authenticate(req: Request): Promise<void> {
    const header = req.get('authorization');
    const key = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? req.get('x-api-key');
    if (!key) throw unauthenticated('missing API key: send "Authorization: Bearer <key>"');
    const found = await findPrincipal(db, key);
    if (!found) throw unauthenticated('unknown or revoked API key');
    req.principal = found;
  }

  app.post('/parties', asyncRoute(async (req, res) => {
    allow(req, ['ops'], 'register parties');
    const body = parse(createPartySchema, req.body);
    const created = await db.party.createMany({ data: [body], skipDuplicates: true });
    if (created.count === 0) throw conflict(`party ${body.id} already exists`);
    res.status(201).json({ party: body });
  }));

  app.get('/parties/:partyId', asyncRoute(async (req, res) => {
    const p = allow(req, ['ops', 'support', 'buyer', 'supplier'], 'read parties');
    const partyId = parse(idSchema, req.params.partyId, 'partyId');
    if ((p.role === 'buyer' || p.role === 'supplier') && p.partyId !== partyId) throw forbidden('a party may read only its own record');
    const party = await db.party.findUnique({ where: { id: partyId } });
    if (!party) throw notFound(`no party ${partyId}`);
    res.json({ party: { id: party.id, kind: party.kind, name: party.name, email: party.email } });
  }));

  app.post('/api-keys', asyncRoute(async (req, res) => {
    allow(req, ['ops'], 'create API keys');
    const body = parse(createApiKeySchema, req.body);
    try {
      const key = await createApiKey(db, body);
      res.status(201).json({ apiKey: key });
    } catch (err) {
      if (err instanceof KeyProblem) throw badRequest([{ field: err.field, reason: err.message }]);
      throw err;
    }
  }));

  app.post('/orders', asyncRoute(async (req, res) => {
    const p = allow(req, ['ops', 'supplier'], 'draft purchase orders');
    const body = parse(createOrderSchema, req.body);
    let supplierId = body.supplierId;
    if (p.role === 'supplier') {
      if (supplierId && supplierId !== p.partyId) throw forbidden('a supplier drafts orders only in its own name');
      supplierId = p.partyId;
    }
    if (!supplierId) throw badRequest([{ field: 'supplierId', reason: 'is required when ops drafts an order' }]);
    const [buyer, supplier] = await Promise.all([
      db.party.findUnique({ where: { id: body.buyerId } }),
      db.party.findUnique({ where: { id: supplierId } }),
    ]);
    const problems: { field: string; reason: string }[] = [];
    if (!buyer || buyer.kind !== 'buyer') problems.push({ field: 'buyerId', reason: `no buyer with id ${body.buyerId}` });
    if (!supplier || supplier.kind !== 'supplier') problems.push({ field: 'supplierId', reason: `no supplier with id ${supplierId}` });
    const { orderId: requestedId, buyerId, supplierId: _ignored, ...terms } = body;
    const policyVersion = CURRENT_ORDER_POLICY_VERSION;
    problems.push(...checkDraft(terms, orderPolicy(policyVersion), new Date().toISOString().slice(0, 10)));
    if (problems.length > 0) throw badRequest(problems);

    const orderId = requestedId ?? `PO-${randomUUID().slice(0, 13).replace('-', '').toUpperCase()}`;
    const input: TradeOrderInput = { orderId, buyerId, supplierId, terms, policyVersion, createdBy: actorOf(p) };
    try {
      await client.workflow.start(ORDER_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: orderWorkflowId(orderId),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw conflict(`order ${orderId} already exists`);
      if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
      throw err;
    }
    res.status(201).location(`/orders/${orderId}`).json({ orderId, workflowId: orderWorkflowId(orderId), status: 'DRAFT', policyVersion });
  }));

  app.get('/orders/:orderId', asyncRoute(async (req, res) => {
    const p = principal(req);
    const orderId = parse(idSchema, req.params.orderId, 'orderId');
    const order = await temporalCall(client, orderId, () => client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery));
    assertOwnsOrder(p, order);
    res.json({ order });
  }));

  app.get('/orders/:orderId/timeline', asyncRoute(async (req, res) => {
    const p = principal(req);
    const orderId = parse(idSchema, req.params.orderId, 'orderId');
    const row = await db.order.findUnique({ where: { id: orderId } });
    if (!row) throw notFound(`no order ${orderId}`);
    assertOwnsOrder(p, row);
    const events = await db.orderEvent.findMany({ where: { orderId }, orderBy: { seq: 'asc' } });
    res.json({
      orderId,
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

  app.get('/orders/:orderId/ledger', asyncRoute(async (req, res) => {
    const p = principal(req);
    const orderId = parse(idSchema, req.params.orderId, 'orderId');
    const row = await db.order.findUnique({ where: { id: orderId } });
    if (!row) throw notFound(`no order ${orderId}`);
    assertOwnsOrder(p, row);
    const transactions = await db.ledgerTransaction.findMany({
      where: { orderId },
      include: { entries: { orderBy: { id: 'asc' } } },
      orderBy: { createdAt: 'asc' },
    });
    res.json({
      orderId,
      transactions: transactions.map((t) => ({
        id: t.id,
        kind: t.kind,
        currency: t.currency,
        createdAt: t.createdAt.toISOString(),
        entries: t.entries.map((e) => ({ account: e.account, amount: Number(e.amount) })),
      })),
    });
  }));

  // Order actions: each is an Update whose validator answers whether the order allows it now.
  // The API checks shapes and roles; whether the order allows the action is the workflow's answer.
  interface ActionRoute {
    path: string;
    update: typeof payUpdate;
    schema: z.ZodType;
    roles: Role[];
  }
  const action = (path: string, update: unknown, schema: z.ZodType, roles: Role[] = ['ops', 'buyer', 'supplier']): ActionRoute => ({
    path,
    update: update as typeof payUpdate,
    schema,
    roles,
  });
  const actions: ActionRoute[] = [
    action('confirm-by-buyer', confirmByBuyerUpdate, emptyActionSchema),
    action('confirm-by-supplier', confirmBySupplierUpdate, emptyActionSchema),
    action('pay', payUpdate, paymentSchema),
    action('ship', shipUpdate, shipSchema),
    action('mark-delivered', markDeliveredUpdate, emptyActionSchema),
    action('confirm-receipt', confirmReceiptUpdate, emptyActionSchema),
    action('cancel', cancelOrderUpdate, cancelSchema),
    action('extend-shipping', extendShippingUpdate, extendShippingSchema),
    action('extend-receiving', extendReceivingUpdate, extendReceivingSchema),
    action('feedback', leaveFeedbackUpdate, feedbackSchema),
    action('claims', openClaimUpdate, openClaimSchema),
    action('claims/:claimId/respond', respondToClaimUpdate, respondToClaimSchema),
    action('claims/:claimId/accept-counter', acceptCounterOfferUpdate, emptyActionSchema),
    action('claims/:claimId/escalate', escalateClaimUpdate, emptyActionSchema),
    action('claims/:claimId/withdraw', withdrawClaimUpdate, emptyActionSchema),
    action('claims/:claimId/decide', decideClaimUpdate, decideClaimSchema, ['ops']),
    action('claims/:claimId/evidence-requests', requestEvidenceUpdate, requestEvidenceSchema, ['ops']),
  ];

  async function runAction(req: Request, route: ActionRoute, body: Record<string, unknown>): Promise<OrderState> {
    const p = allow(req, route.roles, `act on orders (${route.path.replace(':claimId/', '')})`);
    const orderId = parse(idSchema, req.params.orderId, 'orderId');
    const claimId = req.params.claimId === undefined ? {} : { claimId: parse(claimIdSchema, req.params.claimId, 'claimId') };
    const handle = client.workflow.getHandle(orderWorkflowId(orderId));
    return temporalCall(client, orderId, () =>
      handle.executeUpdate(route.update, { args: [{ ...body, ...claimId, actor: actorOf(p) } as never] }),
    );
  }

  for (const route of actions) {
    app.post(`/orders/:orderId/${route.path}`, asyncRoute(async (req, res) => {
      const body = parse(route.schema as z.ZodType<Record<string, unknown>>, req.body);
      const order = await runAction(req, route, body);
      res.status(route.path === 'claims' ? 201 : 200).json({ order });
    }));
  }

  // Evidence: the file goes to storage (content-addressed, so a retried upload is the same file),
  // then its reference to the claim.
  const evidenceRoute = action('claims/:claimId/evidence', addEvidenceUpdate, emptyActionSchema, ['ops', 'buyer', 'supplier']);
  app.post(
    '/orders/:orderId/claims/:claimId/evidence',
    express.raw({ type: () => true, limit: EVIDENCE_MAX_BYTES }),
    asyncRoute(async (req, res) => {
      allow(req, evidenceRoute.roles, 'add evidence');
      const contentType = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (!(EVIDENCE_TYPES as readonly string[]).includes(contentType)) {
        throw badRequest([{ field: 'Content-Type', reason: `must be one of ${EVIDENCE_TYPES.join(', ')} (got ${contentType || 'none'})` }]);
      }
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (bytes.length === 0) throw badRequest([{ field: '(body)', reason: 'the file is empty' }]);
      const name = parse(evidenceNameSchema, req.query.name ?? 'evidence', 'name');
      const stored = await deps.storage.put(bytes, { contentType, name });
      const order = await runAction(req, evidenceRoute, { file: stored });
      res.status(201).json({ file: stored, order });
    }),
  );

  app.get('/orders/:orderId/claims/:claimId/evidence/:fileId', asyncRoute(async (req, res) => {
    const p = principal(req);
    const orderId = parse(idSchema, req.params.orderId, 'orderId');
    const order = await temporalCall(client, orderId, () => client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery));
    assertOwnsOrder(p, order);
    const claim = order.claims?.find((c) => c.id === req.params.claimId);
    const ref = claim?.evidence.find((e) => e.fileId === req.params.fileId);
    if (!ref) throw notFound(`no evidence ${req.params.fileId} on claim ${req.params.claimId}`);
    const found = await deps.storage.get(ref.fileId);
    if (!found) throw notFound(`evidence file ${ref.fileId} is missing from storage`);
    res.type(found.file.contentType).attachment(ref.name).send(found.bytes);
  }));

  app.get('/orders/:orderId/deadlines', asyncRoute(async (req, res) => {
    const p = principal(req);
    const orderId = parse(idSchema, req.params.orderId, 'orderId');
    const order = await temporalCall(client, orderId, () => client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery));
    assertOwnsOrder(p, order);
    res.json({ orderId, status: order.status, nextStep: order.nextStep, deadlines: order.deadlines ?? [] });
  }));

  app.get('/orders', asyncRoute(async (req, res) => {
    const p = principal(req);
    const q = parse(listOrdersSchema, req.query);
    const where: Record<string, unknown> = {};
    if (q.status) where.status = q.status;
    if (q.buyerId) where.buyerId = q.buyerId;
    if (q.supplierId) where.supplierId = q.supplierId;
    if (q.deadlineBefore) where.nextDeadlineAt = { lte: new Date(q.deadlineBefore) };
    if (p.role === 'buyer') {
      if (q.buyerId && q.buyerId !== p.partyId) throw forbidden('a buyer lists only its own orders');
      where.buyerId = p.partyId;
    }
    if (p.role === 'supplier') {
      if (q.supplierId && q.supplierId !== p.partyId) throw forbidden('a supplier lists only its own orders');
      where.supplierId = p.partyId;
    }
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    const [rows, total] = await Promise.all([
      db.order.findMany({ where, orderBy: [{ updatedAt: 'desc' }, { id: 'asc' }], take: limit, skip: offset }),
      db.order.count({ where }),
    ]);
    res.json({
      total,
      limit,
      offset,
      orders: rows.map((o) => ({
        orderId: o.id,
        status: o.status,
        buyerId: o.buyerId,
        supplierId: o.supplierId,
        currency: o.currency,
        total: Number(o.totalAmount),
        paid: Number(o.paidAmount),
        held: Number(o.heldAmount),
        covered: Number(o.coveredAmount),
        refunded: Number(o.refundedAmount),
        released: Number(o.releasedAmount),
        shippingDate: o.shippingDate.toISOString().slice(0, 10),
        nextDeadlineAt: o.nextDeadlineAt?.toISOString(),
        updatedAt: o.updatedAt.toISOString(),
      })),
    });
  }));

  app.put('/suppliers/:supplierId/assurance', asyncRoute(async (req, res) => {
    allow(req, ['ops'], "set a supplier's Trade Assurance qualification");
    const supplierId = parse(idSchema, req.params.supplierId, 'supplierId');
    const body = parse(supplierAssuranceSchema, req.body);
    const party = await db.party.findUnique({ where: { id: supplierId } });
    if (!party || party.kind !== 'supplier') throw notFound(`no supplier ${supplierId}`);
    await db.supplierProfile.upsert({
      where: { supplierId },
      create: { supplierId, ...body },
      update: { ...body, updatedAt: new Date() },
    });
    res.json({ assurance: await assuranceOf(supplierId) });
  }));

  app.get('/suppliers/:supplierId/assurance', asyncRoute(async (req, res) => {
    const p = allow(req, ['ops', 'support', 'supplier'], "read a supplier's Trade Assurance Amount");
    const supplierId = parse(idSchema, req.params.supplierId, 'supplierId');
    if (p.role === 'supplier' && p.partyId !== supplierId) throw forbidden('a supplier reads only its own Trade Assurance Amount');
    res.json({ assurance: await assuranceOf(supplierId) });
  }));

  /** Read-only preview of the supplier's amounts, from the same policy module the activities use. */
  async function assuranceOf(supplierId: string) {
    const profile = await db.supplierProfile.findUnique({ where: { supplierId } });
    if (!profile) throw notFound(`supplier ${supplierId} has no Trade Assurance profile`);
    const { granted, completedVolume } = await supplierGrantedAmount(db, supplierId, profile.currency, new Date());
    const reserved = await db.coverageReservation.aggregate({
      where: { supplierId, currency: profile.currency, status: 'reserved' },
      _sum: { amount: true },
    });
    const reservedAmount = Number(reserved._sum.amount ?? 0n);
    return {
      supplierId,
      qualification: profile.qualification,
      currency: profile.currency,
      completedVolume,
      granted,
      reserved: reservedAmount,
      available: Math.max(0, granted - reservedAmount),
    };
  }

  registerMonitoringRoutes(app, deps);
  registerReportRoutes(app, deps);
  registerCarrierRoutes(app, deps);
  app.use(notFoundRoute);
  app.use(errorHandler(log));
  return app;
}

export { ApiError };
