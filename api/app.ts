import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { EVIDENCE_HELD } from '../workflows/common';
import express, { Request } from 'express';
import { z } from 'zod';
import type { Db } from '../infra/db';
import {
  ORDER_CODE_REVISION,
  ORDER_NEXT_STEPS,
  ORDER_WORKFLOW_TYPE,
  OrderState,
  OrderStatus,
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
  requestChangesUpdate,
  requestEvidenceUpdate,
  respondToClaimUpdate,
  reviseDraftUpdate,
  shipUpdate,
  withdrawClaimUpdate,
} from '../workflows/order.messages';
import { availableActionsQuery } from '../workflows/actions';
import { ACTIONS_RESPONSE, ActionLink, callerActions } from './actions';
import { CURRENT_ORDER_POLICY_VERSION, checkDraft, orderPolicy } from '../workflows/order.policy';
import { ApiError, badRequest, conflict, errorHandler, forbidden, notFound, notFoundRoute, unavailable } from './errors';
import { DOCS_HEADERS, renderDocsPage } from './docs';
import { DOWNLOAD_DESCRIPTION, sendStoredFile } from './file-types';
import { createOrderAfterAction } from './after-action';
import { actorOf, assertCallerReaches, assertOwnsOrder, isUnavailable, principal, updateInTurn, temporalCallFor, timelineEventView } from './http';
import { KEY_CACHE_TTL_MS, Principal, Role } from './keys';
import { LookupCache, PARTIES_TTL_MS, PartyKinds } from './lookup-cache';
import { DEFAULT_REQUEST_LIMITS, RequestLimits } from './limits';
import { registerApiKeyRoutes } from './api-keys.routes';
import { registerMonitoringRoutes } from './monitoring.routes';
import { registerOrderDraftRoutes } from './order-drafts.routes';
import { assertOwnsRequest, registerPoRequestRoutes, requestCall } from './po-requests.routes';
import { draftOrderFromRequestUpdate } from '../workflows/po-request.messages';
import { registerOpsRoutes } from './ops.routes';
import { buildOpenApiDocument, OpenApiDocument } from './openapi';
import { RouteRegistry } from './routes';
import { registerReportRoutes } from './reports.routes';
import { registerCaseRoutes } from './cases.routes';
import { registerManualOrderRoutes } from './manual-orders.routes';
import { registerCarrierRoutes } from './carrier.routes';
import { registerConsoleRoutes } from './console.routes';
import { attachUpload } from './uploads';
import { IdempotencySettings, isDerivedRecordId, newRecordId, updateIdOf } from './idempotency';
import {
  EVIDENCE_MAX_BYTES,
  EVIDENCE_TYPES,
  cancelSchema,
  claimParamsSchema,
  createOrderSchema,
  createPartySchema,
  decideClaimSchema,
  confirmSchema,
  emptyActionSchema,
  evidenceFileParamsSchema,
  evidenceUploadQuerySchema,
  extendReceivingSchema,
  extendShippingSchema,
  feedbackSchema,
  listOrdersSchema,
  openClaimSchema,
  orderParamsSchema,
  partyParamsSchema,
  paymentSchema,
  requestEvidenceSchema,
  respondToClaimSchema,
  shipSchema,
  supplierAssuranceSchema,
  supplierParamsSchema,
} from './schemas';
import type { CarrierTracking } from '../adapters/carrier';
import type { PaymentGateway } from '../adapters/payments';
import type { FileStorage } from '../adapters/storage';
import { setSupplierProfile, supplierAssurance } from '../activities/coverage';
import { HealthReport } from './health';
import { ApiMetrics, requestContext } from './observability';
import { createLogger, type Logger, silentLogger } from '../infra/logger';
import { orderStartMetadata } from '../workflows/ui-metadata';

/** How long an API process remembers an order's buyer and supplier once read (they never change). */
export const ORDER_PARTIES_TTL_MS = PARTIES_TTL_MS;

export interface ApiDeps {
  client: Client;
  db: Db;
  taskQueue: string;
  health: () => Promise<HealthReport>;
  storage: FileStorage;
  /** Card payments for paid services; the embedded sandbox when not given. */
  payments?: PaymentGateway;
  /** Rate and body-size limits; DEFAULT_REQUEST_LIMITS when not given (requestLimitsFromEnv reads them from the environment). */
  limits?: RequestLimits;
  /** The clock of the rate limiter and of the order parties the API remembers; wall-clock time when not given. */
  now?: () => number;
  /** How Idempotency-Keys are held and kept (api/idempotency.ts); DEFAULT_IDEMPOTENCY_SETTINGS when not given. */
  idempotency?: IdempotencySettings;
  /**
   * Which proxies may say who the client is (Express's "trust proxy"; trustProxyFromEnv reads
   * TRUST_PROXY): the client address requests without a valid key are limited by. None when not given.
   */
  trustProxy?: boolean | number | string;
  /**
   * How long a looked-up API key is trusted (a revoked key works at most this long), and how long a
   * registered party's kind and an order's buyer and supplier are remembered; KEY_CACHE_TTL_MS when not given.
   */
  keyCacheTtlMs?: number;
  /** The clock deadlines are overdue by (GET /deadlines, the overviews); wall-clock time when not given. */
  clock?: () => number;
  /** Structured logs: one line per request, internal errors with their stack. Silent when not given. */
  logger?: Logger;
  /**
   * Plain-line sink kept for callers that predate `logger`: receives internal errors only, as
   * JSON lines. Ignored when `logger` is given.
   */
  /** The carrier of the worker running in this process (the simulated one can be driven by ops). */
  carrier?: CarrierTracking;
  log?: (line: string) => void;
  /** Prometheus metrics, served on GET /metrics; without them /metrics answers 404. */
  metrics?: ApiMetrics;
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
  const logger = apiLogger(deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(requestContext(logger, deps.metrics));
  // Every answer is what its Content-Type says: a browser never guesses another type from the bytes.
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });

  // Each route authenticates, rate-limits, authorizes and validates as its description says (api/routes.ts).
  const routes = new RouteRegistry(app, {
    db,
    limits: deps.limits ?? DEFAULT_REQUEST_LIMITS,
    now: deps.now,
    keyCacheTtlMs: deps.keyCacheTtlMs,
    onRateLimitFallback: (err) => logger.warn({ err }, 'the database is unreachable: rate limits are kept by this process alone until it answers'),
    idempotency: deps.idempotency,
    onError: (err) => logger.error({ err }, 'keeping an idempotent answer failed'),
  });
  // Registered parties never change kind and are never removed, so their kinds are remembered as long as keys.
  const partyKinds = new PartyKinds(db, deps.keyCacheTtlMs ?? KEY_CACHE_TTL_MS);
  // An order's buyer and supplier are fixed when it starts and an order is never removed: once read,
  // they answer the ownership check of the order's later actions for ORDER_PARTIES_TTL_MS (a key's
  // few seconds would have most actions of a lifecycle read them again). A zero key TTL turns it off too.
  const orderParties = new LookupCache<{ buyerId: string; supplierId: string }>(deps.keyCacheTtlMs === 0 ? 0 : ORDER_PARTIES_TTL_MS, deps.now);
  const ownOrders = 'buyers and suppliers: their own orders only';

  routes.add({
    method: 'get', path: '/health', tag: 'service', summary: 'Report the health of Temporal, the database and the worker', roles: 'public',
    responses: { 200: 'everything is up: { status, temporal, database, worker }', 503: 'a component is down: the same report, naming it' },
  }, async (_req, res) => {
    const report = await deps.health();
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });

  // Scraped without an API key, like /health; a 404 says how to turn it on.
  const metrics = deps.metrics;
  routes.add({
    method: 'get', path: '/metrics', tag: 'service', summary: 'Serve Prometheus metrics of the API (when METRICS_ENABLED is set)', roles: 'public',
    responses: { 200: { description: 'metrics in the Prometheus text format', contentType: 'text/plain' } },
    errors: { 404: 'metrics are disabled: set METRICS_ENABLED=true' },
  }, async (_req, res) => {
    if (!metrics) throw notFound('metrics are disabled: set METRICS_ENABLED=true');
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  let document: OpenApiDocument | undefined;
  let docsPage: string | undefined;
  // Built on first request, when every route module has added its routes.
  const openApi = () => (document ??= buildOpenApiDocument(routes.operations(), routes.limits));
  routes.add({
    method: 'get', path: '/openapi.json', tag: 'service', summary: 'Read the OpenAPI 3.1 document of this API', roles: 'public',
    responses: { 200: 'the OpenAPI document, generated from the schemas that validate each request' },
  }, async (_req, res) => {
    res.json(openApi());
  });
  routes.add({
    method: 'get', path: '/docs', tag: 'service', summary: 'Read the API documentation as a web page', roles: 'public',
    responses: { 200: { description: 'the OpenAPI document as one self-contained HTML page', contentType: 'text/html' } },
  }, async (_req, res) => {
    res.set(DOCS_HEADERS).type('html').send((docsPage ??= renderDocsPage(openApi())));
  });

  routes.add({
    method: 'post', path: '/parties', tag: 'parties', summary: 'Register a buyer, supplier or inspector', roles: ['ops'],
    body: createPartySchema, responses: { 201: 'the party: { party }' }, errors: { 409: 'conflict: a party with this id exists' },
  }, async (_req, res, { body }) => {
    const created = await db.party.createMany({ data: [body], skipDuplicates: true });
    if (created.count === 0) throw conflict(`party ${body.id} already exists`);
    res.status(201).json({ party: body });
  });

  routes.add({
    method: 'get', path: '/parties/:partyId', tag: 'parties', summary: 'Read a party', roles: ['ops', 'support', 'buyer', 'supplier'],
    ownership: 'buyers and suppliers: their own record only', params: partyParamsSchema, responses: { 200: 'the party: { party }' },
  }, async (req, res, { params: { partyId } }) => {
    const p = principal(req);
    if ((p.role === 'buyer' || p.role === 'supplier') && p.partyId !== partyId) throw forbidden('a party may read only its own record');
    const party = await db.party.findUnique({ where: { id: partyId } });
    if (!party) throw notFound(`no party ${partyId}`);
    res.json({ party: { id: party.id, kind: party.kind, name: party.name, email: party.email } });
  });

  routes.add({
    method: 'post', path: '/orders', tag: 'orders', summary: 'Draft a purchase order', roles: ['ops', 'supplier'],
    description:
      "Starts the order workflow. A supplier drafts in its own name and only from the buyer's open purchase order request (requestId): the request starts the order, once. Ops names the supplier and may draft without a request.",
    ownership: "a supplier drafts only in its own name, from a request sent to it", body: createOrderSchema,
    responses: { 201: { description: 'the order is drafted: { orderId, workflowId, status, policyVersion, requestId? }', headers: { Location: 'the new order' } } },
    errors: {
      409: 'conflict (an order with this id exists) or action_refused (the request is not open: drafted, expired, withdrawn or declined, or from another buyer)',
      503: 'unavailable: the workflow service did not answer',
    },
  }, async (req, res, { body }) => {
    const p = principal(req);
    let supplierId = body.supplierId;
    if (p.role === 'supplier') {
      if (supplierId && supplierId !== p.partyId) throw forbidden('a supplier drafts orders only in its own name');
      supplierId = p.partyId;
      if (!body.requestId) {
        throw badRequest([{ field: 'requestId', reason: "is required when a supplier drafts: a supplier drafts from the buyer's open purchase order request (POST /po-requests)" }]);
      }
    }
    if (!supplierId) throw badRequest([{ field: 'supplierId', reason: 'is required when ops drafts an order' }]);
    const problems: { field: string; reason: string }[] = [];
    if (p.role === 'supplier') {
      // A supplier drafts from a buyer's request, which names its buyer (the request's workflow
      // refuses a draft for anyone else); a supplier is not told which other ids are registered buyers.
      if (body.buyerId === supplierId) problems.push({ field: 'buyerId', reason: 'must name the buyer, not the supplier drafting the order' });
    } else {
      // Both parties at once, from memory when this process has seen them: the draft's latency is mostly its lookups.
      const kinds = await partyKinds.of([body.buyerId, supplierId]);
      if (kinds.get(body.buyerId) !== 'buyer') problems.push({ field: 'buyerId', reason: `no buyer with id ${body.buyerId}` });
      if (kinds.get(supplierId) !== 'supplier') problems.push({ field: 'supplierId', reason: `no supplier with id ${supplierId}` });
    }
    const { orderId: requestedId, buyerId, supplierId: _ignored, requestId, ...terms } = body;
    const policyVersion = CURRENT_ORDER_POLICY_VERSION;
    problems.push(...checkDraft(terms, orderPolicy(policyVersion), new Date().toISOString().slice(0, 10), { shippingPeriod: true }));
    if (problems.length > 0) throw badRequest(problems);

    const orderId = requestedId ?? newRecordId(req, 'PO');
    if (requestId) {
      // A retry of this very request (the order's id derived from its Idempotency-Key) finds the order
      // the first run started from the request, and answers as it did.
      if (!requestedId && isDerivedRecordId(req, 'PO', orderId) && (await orderExists(orderId))) {
        res.status(201).location(`/orders/${orderId}`).json({ orderId, workflowId: orderWorkflowId(orderId), status: 'DRAFT', policyVersion, requestId });
        return;
      }
      // The request starts the order: its workflow checks that it is open, the caller's and the buyer's.
      // Another supplier's request answers as a missing one, before anything is sent to it.
      const request = requestCall(client, requestId);
      if (p.role === 'supplier') assertOwnsRequest(p, await request.read(), requestId);
      const ack = await request.act((h) =>
        h.executeUpdate(draftOrderFromRequestUpdate, { args: [{ actor: actorOf(p), orderId, buyerId, supplierId, terms, orderPolicyVersion: policyVersion, orderCodeRevision: ORDER_CODE_REVISION }] }),
      );
      res.status(201).location(`/orders/${orderId}`).json({ orderId, workflowId: orderWorkflowId(orderId), status: 'DRAFT', policyVersion, requestId: ack.requestId });
      return;
    }
    const input: TradeOrderInput = { orderId, buyerId, supplierId, terms, policyVersion, createdBy: actorOf(p), codeRevision: ORDER_CODE_REVISION };
    try {
      await client.workflow.start(ORDER_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: orderWorkflowId(orderId),
        args: [input],
        ...orderStartMetadata(input),
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      });
      // The parties' first actions may come before the draft's first change is in the read model,
      // and would ask the workflow who its parties are: they are the ones it was just started with.
      orderParties.remember(orderId, { buyerId, supplierId });
    } catch (err) {
      // The id derived from this request's idempotency key: an earlier run of this very request started it.
      const ranBefore = err instanceof WorkflowExecutionAlreadyStartedError && !requestedId && isDerivedRecordId(req, 'PO', orderId);
      if (err instanceof WorkflowExecutionAlreadyStartedError && !ranBefore) throw conflict(`order ${orderId} already exists`);
      if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
      if (!ranBefore) throw err;
    }
    res.status(201).location(`/orders/${orderId}`).json({ orderId, workflowId: orderWorkflowId(orderId), status: 'DRAFT', policyVersion });
  });

  async function orderExists(orderId: string): Promise<boolean> {
    return client.workflow
      .getHandle(orderWorkflowId(orderId))
      .describe()
      .then(
        () => true,
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      );
  }

  const allRoles: Role[] = ['ops', 'support', 'buyer', 'supplier'];
  routes.add({
    method: 'get', path: '/orders/:orderId', tag: 'orders', summary: "Read an order's live state", roles: allRoles, ownership: ownOrders,
    params: orderParamsSchema, responses: { 200: 'the live state from the workflow: { order } with status, amounts, shipment, claims, next step' },
    errors: { 503: 'unavailable: the workflow service did not answer' },
  }, async (req, res, { params: { orderId } }) => {
    const order = await temporalCall(client, orderId, () => client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery));
    assertOwnsOrder(principal(req), order, `order ${orderId}`);
    res.json({ order });
  });

  routes.add({
    method: 'get', path: '/orders/:orderId/timeline', tag: 'orders', summary: "Read an order's timeline", roles: allRoles, ownership: ownOrders,
    params: orderParamsSchema, responses: { 200: 'every change, who made it and when: { orderId, events }' },
  }, async (req, res, { params: { orderId } }) => {
    const row = await db.order.findUnique({ where: { id: orderId }, select: { buyerId: true, supplierId: true } });
    if (!row) throw notFound(`no order ${orderId}`);
    assertOwnsOrder(principal(req), row, `order ${orderId}`);
    const events = await db.orderEvent.findMany({ where: { orderId }, orderBy: { seq: 'asc' } });
    res.json({
      orderId,
      events: events.map(timelineEventView),
    });
  });

  routes.add({
    method: 'get', path: '/orders/:orderId/ledger', tag: 'orders', summary: "Read an order's escrow ledger", roles: allRoles, ownership: ownOrders,
    params: orderParamsSchema, responses: { 200: 'the ledger transactions and their entries: { orderId, transactions }' },
  }, async (req, res, { params: { orderId } }) => {
    const row = await db.order.findUnique({ where: { id: orderId }, select: { buyerId: true, supplierId: true } });
    if (!row) throw notFound(`no order ${orderId}`);
    assertOwnsOrder(principal(req), row, `order ${orderId}`);
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
  });

  // Order actions: each is an Update whose validator answers whether the order allows it now.
  // The API checks shapes and roles; whether the order allows the action is the workflow's answer.
  interface ActionRoute {
    path: string;
    summary: string;
    update: typeof payUpdate;
    schema: z.ZodType<Record<string, unknown>>;
    roles: Role[];
  }
  const action = (path: string, summary: string, update: unknown, schema: z.ZodType, roles: Role[]): ActionRoute => ({
    path,
    summary,
    update: update as typeof payUpdate,
    schema: schema as z.ZodType<Record<string, unknown>>,
    roles,
  });
  // Roles are the parties the workflow lets act (it also checks that the party is the order's own), plus ops.
  const actions: ActionRoute[] = [
    action('confirm-by-buyer', 'Confirm the purchase order as its buyer', confirmByBuyerUpdate, confirmSchema, ['ops', 'buyer']),
    action('confirm-by-supplier', 'Confirm the purchase order as its supplier, accepting every term', confirmBySupplierUpdate, confirmSchema, ['ops', 'supplier']),
    action('pay', 'Pay the deposit or the balance into escrow', payUpdate, paymentSchema, ['ops', 'buyer']),
    action('ship', 'Ship the order with its tracking number', shipUpdate, shipSchema, ['ops', 'supplier']),
    action('mark-delivered', 'Record the delivery', markDeliveredUpdate, emptyActionSchema, ['ops']),
    action('confirm-receipt', 'Confirm receipt, releasing the funds to the supplier', confirmReceiptUpdate, emptyActionSchema, ['ops', 'buyer']),
    action('cancel', 'Cancel the order', cancelOrderUpdate, cancelSchema, ['ops', 'buyer', 'supplier']),
    action('extend-shipping', 'Grant the supplier a later shipping date', extendShippingUpdate, extendShippingSchema, ['ops', 'buyer']),
    action('extend-receiving', 'Extend the receiving window', extendReceivingUpdate, extendReceivingSchema, ['buyer', 'supplier']),
    action('feedback', 'Leave feedback on the completed order', leaveFeedbackUpdate, feedbackSchema, ['buyer', 'supplier']),
    action('claims', 'Open a claim', openClaimUpdate, openClaimSchema, ['ops', 'buyer']),
    action('claims/:claimId/respond', 'Answer a claim: accept, counter-offer or reject', respondToClaimUpdate, respondToClaimSchema, ['ops', 'supplier']),
    action('claims/:claimId/accept-counter', "Accept the supplier's counter-offer", acceptCounterOfferUpdate, emptyActionSchema, ['ops', 'buyer']),
    action('claims/:claimId/escalate', 'Escalate a claim to the platform', escalateClaimUpdate, emptyActionSchema, ['ops', 'buyer']),
    action('claims/:claimId/withdraw', 'Withdraw a claim', withdrawClaimUpdate, emptyActionSchema, ['ops', 'buyer']),
    action('claims/:claimId/decide', 'Decide an escalated claim', decideClaimUpdate, decideClaimSchema, ['ops']),
    action('claims/:claimId/evidence-requests', 'Request evidence from a party by a due date', requestEvidenceUpdate, requestEvidenceSchema, ['ops']),
  ];

  /**
   * A buyer or supplier acts only on its own order; another party's order is answered as a missing
   * one, before anything is sent to it (the workflow's validator would refuse it too, but tell it apart).
   */
  async function assertReachesOrder(p: Principal, orderId: string): Promise<void> {
    if (p.role === 'ops' || p.role === 'support') return;
    const row = await orderParties.get(orderId, async () => (await db.order.findUnique({ where: { id: orderId }, select: { buyerId: true, supplierId: true } })) ?? undefined);
    await assertCallerReaches(row ?? null, (o) => assertOwnsOrder(p, o, `order ${orderId}`), async () => {
      // Not in the read model yet (its first change is still being recorded): the workflow answers.
      const order = await temporalCall(client, orderId, () => client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery));
      orderParties.remember(orderId, { buyerId: order.buyerId, supplierId: order.supplierId });
      assertOwnsOrder(p, order, `order ${orderId}`);
    });
  }

  /**
   * Runs an order's Update and answers with the order after it. The Update itself answers only an
   * acknowledgement (every answer is kept in the workflow's history); the order is read by a Query.
   */
  async function runAction(req: Request, update: typeof payUpdate, orderId: string, body: Record<string, unknown>): Promise<OrderState> {
    await assertReachesOrder(principal(req), orderId);
    const handle = client.workflow.getHandle(orderWorkflowId(orderId));
    const ack = await temporalCall(client, orderId, () =>
      updateInTurn(client, orderWorkflowId(orderId), () => handle.executeUpdate(update, { args: [{ ...body, actor: actorOf(principal(req)) } as never], updateId: updateIdOf(req) })),
    );
    return orderAfterAction(orderId, ack.revision);
  }

  const orderAfterAction = createOrderAfterAction(client, db);

  const actionErrors = {
    409: "action_refused: the order does not allow this now; the message says why (the workflow's answer)",
    503: 'unavailable: the workflow service did not answer; the action may still complete',
  };
  for (const route of actions) {
    const created = route.path === 'claims';
    routes.add({
      method: 'post', path: `/orders/:orderId/${route.path}`, tag: route.path.startsWith('claims') ? 'claims' : 'orders',
      summary: route.summary, roles: route.roles, ownership: ownOrders,
      params: route.path.includes(':claimId') ? claimParamsSchema : orderParamsSchema, body: route.schema,
      responses: { [created ? 201 : 200]: 'the order after the action: { order }' }, errors: actionErrors,
    }, async (req, res, { params, body }) => {
      const order = await runAction(req, route.update, params.orderId, { ...body, ...('claimId' in params ? { claimId: params.claimId } : {}) });
      res.status(created ? 201 : 200).json({ order });
    });
  }

  // The order's actions: its routes above, the draft changes and the evidence upload.
  const orderActionLinks: ActionLink[] = [
    ...actions.map((route) => ({ update: route.update.name, path: `/orders/:orderId/${route.path}` })),
    { update: requestChangesUpdate.name, path: '/orders/:orderId/request-changes' },
    { update: reviseDraftUpdate.name, path: '/orders/:orderId/revise' },
    { update: addEvidenceUpdate.name, path: '/orders/:orderId/claims/:claimId/evidence' },
  ];
  routes.add({
    method: 'get', path: '/orders/:orderId/actions', tag: 'orders', summary: 'List the actions the caller may take on an order now', roles: allRoles, ownership: ownOrders,
    description:
      "From the order workflow's availableActions query: each Update's rule of who may act in which state, the same rule its validator applies first, " +
      'asked of ops, the buyer, the supplier and support; claim actions are asked per open claim.',
    params: orderParamsSchema, responses: { 200: ACTIONS_RESPONSE },
    errors: { 503: 'unavailable: the workflow service did not answer' },
  }, async (req, res, { params: { orderId } }) => {
    const p = principal(req);
    await assertReachesOrder(p, orderId);
    const available = await temporalCall(client, orderId, () => client.workflow.getHandle(orderWorkflowId(orderId)).query(availableActionsQuery));
    res.json({ orderId, ...callerActions(routes.operations(), p, available, orderActionLinks, { orderId }) });
  });

  // Evidence: an unknown order or another party's order is refused before anything is stored, the
  // caller checked against the order's row (api/uploads.ts says why not by a Query); the file is
  // staged and kept only if the claim takes it.
  //
  // The claim knows the files it holds: the same bytes from the same party again (a retry, or two
  // copies sent at once) answer as the first and add nothing, unless an evidence request to that
  // party is open, which the file then answers.
  routes.add({
    method: 'post', path: '/orders/:orderId/claims/:claimId/evidence', tag: 'claims', summary: 'Add an evidence file to a claim',
    description: 'The same file (the same bytes) sent again by the same party, even at the same time, is recorded once and the repeat answers as the first did; sent after ops requested evidence from that party, it is recorded again and answers the request.',
    roles: ['ops', 'buyer', 'supplier'], ownership: ownOrders, params: claimParamsSchema, query: evidenceUploadQuerySchema,
    upload: { contentTypes: EVIDENCE_TYPES, maxBytes: EVIDENCE_MAX_BYTES },
    responses: { 201: 'the stored file and the order: { file, order }' }, errors: actionErrors,
  }, async (req, res, { params: { orderId, claimId }, query, file }) => {
    const p = principal(req);
    await assertReachesOrder(p, orderId);
    const { file: stored, result: ack } = await attachUpload(deps.storage, { ...file, name: query.name }, (staged) =>
      temporalCall(client, orderId, () =>
        updateInTurn(client, orderWorkflowId(orderId), () =>
          client.workflow.getHandle(orderWorkflowId(orderId)).executeUpdate(addEvidenceUpdate, {
            args: [{ claimId, file: staged, actor: actorOf(p) }],
            updateId: updateIdOf(req),
          }),
        ),
      ).catch((err: unknown) => {
        // The claim already holds these bytes from this party: the repeat answers as the first did.
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === EVIDENCE_HELD) return undefined;
        throw err;
      }),
    );
    res.status(201).json({ file: stored, order: await orderAfterAction(orderId, ack?.revision ?? 0) });
  });

  routes.add({
    method: 'get', path: '/orders/:orderId/claims/:claimId/evidence/:fileId', tag: 'claims', summary: 'Download an evidence file',
    roles: allRoles, ownership: ownOrders, params: evidenceFileParamsSchema,
    responses: { 200: { description: DOWNLOAD_DESCRIPTION, contentType: 'application/octet-stream' } },
  }, async (req, res, { params: { orderId, claimId, fileId } }) => {
    const order = await temporalCall(client, orderId, () => client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery));
    assertOwnsOrder(principal(req), order, `order ${orderId}`);
    const claim = order.claims?.find((c) => c.id === claimId);
    const ref = claim?.evidence.find((e) => e.fileId === fileId);
    if (!ref) throw notFound(`no evidence ${fileId} on claim ${claimId}`);
    const found = await deps.storage.get(ref.fileId);
    if (!found) throw notFound(`evidence file ${ref.fileId} is missing from storage`);
    sendStoredFile(res, found.file, found.bytes, ref.name);
  });

  routes.add({
    method: 'get', path: '/orders/:orderId/deadlines', tag: 'orders', summary: "List an order's open deadlines", roles: allRoles, ownership: ownOrders,
    params: orderParamsSchema,
    responses: { 200: "every open deadline with its due time, rule and policy version, as of the order's latest recorded change: { orderId, status, nextStep, revision, deadlines }" },
  }, async (req, res, { params: { orderId } }) => {
    // The read model holds the order's open deadlines as of its latest recorded change (each Update
    // answers once its change is recorded); only an order whose draft is not recorded yet is asked.
    const [row, rows] = await Promise.all([
      db.order.findUnique({ where: { id: orderId }, select: { status: true, buyerId: true, supplierId: true, revision: true } }),
      db.openDeadline.findMany({ where: { resource: 'order', resourceId: orderId }, orderBy: [{ dueAt: 'asc' }, { deadlineId: 'asc' }] }),
    ]);
    if (!row) {
      const order = await temporalCall(client, orderId, () => client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery));
      assertOwnsOrder(principal(req), order, `order ${orderId}`);
      res.json({ orderId, status: order.status, nextStep: order.nextStep, revision: order.revision, deadlines: order.deadlines ?? [] });
      return;
    }
    assertOwnsOrder(principal(req), row, `order ${orderId}`);
    res.json({
      orderId,
      status: row.status,
      nextStep: ORDER_NEXT_STEPS[row.status as OrderStatus],
      revision: row.revision,
      deadlines: rows.map((d) => ({
        id: d.deadlineId,
        kind: d.kind,
        dueAt: d.dueAt.toISOString(),
        rule: d.rule,
        policyVersion: d.policyVersion,
        onExpiry: d.onExpiry,
        ...(d.claimId ? { claimId: d.claimId } : {}),
        ...(d.provisional ? { provisional: true } : {}),
      })),
    });
  });

  routes.add({
    method: 'get', path: '/orders', tag: 'orders', summary: 'List orders', roles: allRoles,
    ownership: 'buyers and suppliers: their own orders only', query: listOrdersSchema,
    responses: { 200: 'a page of orders from the read model: { total, limit, offset, orders }' },
  }, async (req, res, { query: q }) => {
    const p = principal(req);
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
      db.order.findMany({ where, orderBy: [{ updatedAt: 'desc' }, { id: 'asc' }], take: limit, skip: offset, omit: { view: true } }),
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
  });

  routes.add({
    method: 'put', path: '/suppliers/:supplierId/assurance', tag: 'suppliers', summary: "Set a supplier's Trade Assurance qualification",
    description: "The supplier's profile: its qualification, its settlement currency and the working-day calendar it works by (CN unless given), which the supplier's deadlines (a monitoring task's booking cutoff and report window) count in.",
    roles: ['ops'], params: supplierParamsSchema, body: supplierAssuranceSchema,
    responses: { 200: 'granted, reserved by open orders and available amounts, and the calendar: { assurance }' },
    errors: { 409: "action_refused: the settlement currency cannot change while the supplier's open orders hold coverage in another currency" },
  }, async (_req, res, { params: { supplierId }, body }) => {
    const party = await db.party.findUnique({ where: { id: supplierId } });
    if (!party || party.kind !== 'supplier') throw notFound(`no supplier ${supplierId}`);
    const { refused } = await setSupplierProfile(db, supplierId, body);
    if (refused) throw conflict(refused, 'action_refused');
    res.json({ assurance: await assuranceOf(supplierId) });
  });

  routes.add({
    method: 'get', path: '/suppliers/:supplierId/assurance', tag: 'suppliers', summary: "Read a supplier's Trade Assurance Amount",
    roles: ['ops', 'support', 'supplier'], ownership: 'a supplier: its own amount only', params: supplierParamsSchema,
    responses: { 200: 'granted, reserved by open orders and available amounts: { assurance }' },
  }, async (req, res, { params: { supplierId } }) => {
    const p = principal(req);
    if (p.role === 'supplier' && p.partyId !== supplierId) throw forbidden('a supplier reads only its own Trade Assurance Amount');
    res.json({ assurance: await assuranceOf(supplierId) });
  });

  async function assuranceOf(supplierId: string) {
    const assurance = await supplierAssurance(db, supplierId, new Date());
    if (!assurance) throw notFound(`supplier ${supplierId} has no Trade Assurance profile`);
    return assurance;
  }

  registerApiKeyRoutes(routes, deps);
  registerPoRequestRoutes(routes, deps);
  registerOrderDraftRoutes(routes, deps);
  registerMonitoringRoutes(routes, deps);
  registerReportRoutes(routes, deps);
  registerCaseRoutes(routes, deps);
  registerManualOrderRoutes(routes, deps);
  registerCarrierRoutes(routes, deps);
  registerOpsRoutes(routes, deps);
  registerConsoleRoutes(routes);
  app.use(notFoundRoute);
  app.use(errorHandler(logger));
  return app;
}

function apiLogger(deps: ApiDeps): Logger {
  if (deps.logger) return deps.logger;
  const log = deps.log;
  if (log) return createLogger({ level: 'error', destination: { write: (line: string) => log(line.trimEnd()) } });
  return silentLogger();
}

export { ApiError };
