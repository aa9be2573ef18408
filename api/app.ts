import { randomUUID } from 'node:crypto';
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import express, { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { Db } from '../infra/db';
import {
  ACTION_REFUSED,
  ACTOR_NOT_ALLOWED,
  Actor,
  ORDER_WORKFLOW_TYPE,
  OrderState,
  TradeOrderInput,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  getOrderQuery,
  markDeliveredUpdate,
  orderWorkflowId,
  payUpdate,
  shipUpdate,
} from '../workflows/order.messages';
import { CURRENT_ORDER_POLICY_VERSION, checkDraft, orderPolicy } from '../workflows/order.policy';
import {
  ApiError,
  badRequest,
  conflict,
  errorHandler,
  forbidden,
  fromZod,
  notFound,
  notFoundRoute,
  unauthenticated,
  unavailable,
} from './errors';
import { KeyProblem, Principal, Role, createApiKey, findPrincipal } from './keys';
import {
  createApiKeySchema,
  createOrderSchema,
  createPartySchema,
  emptyActionSchema,
  idSchema,
  paymentSchema,
  shipSchema,
} from './schemas';
import { HealthReport } from './health';

export interface ApiDeps {
  client: Client;
  db: Db;
  taskQueue: string;
  health: () => Promise<HealthReport>;
  log?: (line: string) => void;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown, prefix?: string): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw fromZod(result.error, prefix);
  return result.data;
}

function principal(req: Request): Principal {
  if (!req.principal) throw unauthenticated('missing API key');
  return req.principal;
}

function allow(req: Request, roles: Role[], what: string): Principal {
  const p = principal(req);
  if (!roles.includes(p.role)) {
    throw forbidden(`a ${p.role} key cannot ${what}${p.role === 'support' ? ' (support is read-only)' : ''}`);
  }
  return p;
}

function actorOf(p: Principal): Actor {
  return { role: p.role, partyId: p.partyId, keyId: p.keyId };
}

function assertOwnsOrder(p: Principal, order: { buyerId: string; supplierId: string; orderId?: string; id?: string }): void {
  if (p.role === 'buyer' && order.buyerId !== p.partyId) throw forbidden('this order belongs to another buyer');
  if (p.role === 'supplier' && order.supplierId !== p.partyId) throw forbidden('this order belongs to another supplier');
}

/** Translates what Temporal said into the API's statuses; anything unknown stays a 500. */
async function temporalCall<T>(client: Client, orderId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      if (err.cause.type === ACTOR_NOT_ALLOWED) throw forbidden(err.cause.message);
      if (err.cause.type === ACTION_REFUSED) throw conflict(err.cause.message, 'action_refused');
    }
    if (err instanceof WorkflowNotFoundError) {
      // An update to a finished order reads as "not found" from Temporal; tell the two apart.
      const closed = await client.workflow
        .getHandle(orderWorkflowId(orderId))
        .describe()
        .then((d) => d.status.name)
        .catch(() => undefined);
      if (closed && closed !== 'RUNNING') {
        throw conflict(`order ${orderId} is ${closed.toLowerCase()}; it takes no further actions`, 'action_refused');
      }
      throw notFound(`no order ${orderId}`);
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw unavailable('the order did not answer in time; the action may still complete: check the order before retrying');
    }
    if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
    throw err;
  }
}

function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: number })?.code;
  return code === 14 || code === 4; // gRPC UNAVAILABLE, DEADLINE_EXCEEDED
}

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
    fn(req, res).catch(next);

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
  const actions = {
    'confirm-by-buyer': { update: confirmByBuyerUpdate, schema: emptyActionSchema },
    'confirm-by-supplier': { update: confirmBySupplierUpdate, schema: emptyActionSchema },
    pay: { update: payUpdate, schema: paymentSchema },
    ship: { update: shipUpdate, schema: shipSchema },
    'mark-delivered': { update: markDeliveredUpdate, schema: emptyActionSchema },
    'confirm-receipt': { update: confirmReceiptUpdate, schema: emptyActionSchema },
  } as const;

  for (const [name, action] of Object.entries(actions)) {
    app.post(`/orders/:orderId/${name}`, asyncRoute(async (req, res) => {
      const p = allow(req, ['ops', 'buyer', 'supplier'], `act on orders (${name})`);
      const orderId = parse(idSchema, req.params.orderId, 'orderId');
      const body = parse(action.schema as z.ZodType<Record<string, unknown>>, req.body);
      const handle = client.workflow.getHandle(orderWorkflowId(orderId));
      const order: OrderState = await temporalCall(client, orderId, () =>
        handle.executeUpdate(action.update as typeof payUpdate, { args: [{ ...body, actor: actorOf(p) } as never] }),
      );
      res.json({ order });
    }));
  }

  app.use(notFoundRoute);
  app.use(errorHandler(log));
  return app;
}

export { ApiError };
