/**
 * Purchase order requests (`/po-requests`): the buyer asks a supplier for a purchase order, and the
 * supplier drafts the order from it (`POST /orders` with `requestId`). Each route authenticates (done
 * by the registry), authorizes, validates, then starts, updates or queries `po-request:<id>`; whether
 * the request allows an action is the workflow's answer. Requests are listed through Temporal's
 * visibility (the workflow keeps its buyer, supplier and status as search attributes).
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Request } from 'express';
import type { Db } from '../infra/db';
import { SA_BUYER, SA_NEXT_DEADLINE, SA_STATUS, SA_SUPPLIER } from '../workflows/common';
import {
  PO_REQUEST_WORKFLOW_TYPE,
  PurchaseOrderRequestInput,
  PurchaseRequestState,
  declineRequestUpdate,
  draftOrderFromRequestUpdate,
  getPurchaseRequestQuery,
  poRequestWorkflowId,
  withdrawRequestUpdate,
} from '../workflows/po-request.messages';
import { CURRENT_PURCHASE_REQUEST_POLICY_VERSION, checkRequest, purchaseRequestPolicy } from '../workflows/po-request.policy';
import { ApiError, badRequest, conflict, forbidden, unavailable } from './errors';
import { actorOf, isUnavailable, noSuch, principal, temporalCallFor, updateInTurn } from './http';
import type { Principal, Role } from './keys';
import { declinePoRequestSchema, listPoRequestsSchema, poRequestParamsSchema, submitPoRequestSchema, withdrawPoRequestSchema } from './po-requests.schemas';
import type { RouteRegistry } from './routes';
import { availableActionsQuery } from '../workflows/actions';
import { ACTIONS_RESPONSE, ActionLink, callerActions } from './actions';
import { purchaseRequestStartMetadata } from '../workflows/ui-metadata';

export interface PoRequestRouteDeps {
  client: Client;
  db: Db;
  taskQueue: string;
}

/** A buyer or supplier reaches only its own requests; another party's request answers as a missing one. */
export function assertOwnsRequest(p: Principal, request: { requestId?: string; buyerId: string; supplierId: string }, requestId: string): void {
  const missing = () => noSuch(`purchase order request ${requestId}`);
  if (p.role === 'buyer' && request.buyerId !== p.partyId) throw missing();
  if (p.role === 'supplier' && request.supplierId !== p.partyId) throw missing();
  if (p.role === 'inspector') throw missing();
}

/** A request's live state, or the reason it can take no more actions once its workflow has ended. */
export function requestCall(client: Client, requestId: string) {
  const handle = client.workflow.getHandle(poRequestWorkflowId(requestId));
  const label = `purchase order request ${requestId}`;
  return {
    read: () => temporalCallFor(client, handle.workflowId, label, () => handle.query(getPurchaseRequestQuery)),
    /** Runs an Update; a request that has closed answers 409 naming how it closed. */
    async act<T>(fn: (h: typeof handle) => Promise<T>): Promise<T> {
      try {
        return await temporalCallFor(client, handle.workflowId, label, () => updateInTurn(client, handle.workflowId, () => fn(handle)));
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 409 || err.code !== 'action_refused' || !/takes no further actions$/.test(err.message)) throw err;
        const closed = await handle.query(getPurchaseRequestQuery).catch(() => undefined);
        if (!closed) throw err;
        throw conflict(
          `${label} is ${closed.status.toLowerCase()}${closed.orderId ? ` (purchase order ${closed.orderId})` : ''}${closed.closedReason ? `: ${closed.closedReason}` : ''}; it takes no further actions`,
          'action_refused',
        );
      }
    },
  };
}

export function registerPoRequestRoutes(routes: RouteRegistry, deps: PoRequestRouteDeps): void {
  const { client, db, taskQueue } = deps;
  const tag = 'purchase order requests';
  const allRoles: Role[] = ['ops', 'support', 'buyer', 'supplier'];
  const ownership = "buyers: their own requests; suppliers: the requests sent to them";
  const errors = {
    409: "action_refused: the request does not allow this now (drafted, expired, withdrawn or declined); the message says why",
    503: 'unavailable: the workflow service did not answer; the action may still complete',
  };

  async function readOwn(req: Request, requestId: string): Promise<PurchaseRequestState> {
    const request = await requestCall(client, requestId).read();
    assertOwnsRequest(principal(req), request, requestId);
    return request;
  }

  routes.add({
    method: 'post', path: '/po-requests', tag, summary: 'Submit a purchase order request to a supplier', roles: ['ops', 'buyer'],
    description:
      'The buyer names the products, quantities, desired shipping date and quality requirements, with a message; the supplier is emailed and drafts the purchase order from the request (POST /orders with requestId). A request no draft follows within 14 days expires.',
    ownership: 'a buyer submits only in its own name', body: submitPoRequestSchema,
    responses: { 201: { description: 'the request is open: { requestId, workflowId, status, expiresAt, policyVersion }', headers: { Location: 'the new request' } } },
    errors: { 409: 'conflict: a request with this id exists', 503: 'unavailable: the workflow service did not answer' },
  }, async (req, res, { body }) => {
    const p = principal(req);
    let buyerId = body.buyerId;
    if (p.role === 'buyer') {
      if (buyerId && buyerId !== p.partyId) throw forbidden('a buyer submits purchase order requests only in its own name');
      buyerId = p.partyId;
    }
    if (!buyerId) throw badRequest([{ field: 'buyerId', reason: 'is required when ops submits a request on a buyer\'s behalf' }]);
    const parties = await db.party.findMany({ where: { id: { in: [buyerId, body.supplierId] } }, select: { id: true, kind: true } });
    const kindOf = (id: string) => parties.find((x) => x.id === id)?.kind;
    const problems: { field: string; reason: string }[] = [];
    if (kindOf(buyerId) !== 'buyer') problems.push({ field: 'buyerId', reason: `no buyer with id ${buyerId}` });
    if (kindOf(body.supplierId) !== 'supplier') problems.push({ field: 'supplierId', reason: `no supplier with id ${body.supplierId}` });
    const policy = purchaseRequestPolicy(CURRENT_PURCHASE_REQUEST_POLICY_VERSION);
    const { requestId: requestedId, buyerId: _named, ...request } = body;
    problems.push(...checkRequest({ ...request, buyerId }, policy, new Date().toISOString().slice(0, 10)));
    if (problems.length > 0) throw badRequest(problems);

    const requestId = requestedId ?? `RQ-${randomUUID().slice(0, 13).replace('-', '').toUpperCase()}`;
    const input: PurchaseOrderRequestInput = { requestId, buyerId, ...request, policyVersion: policy.version, createdBy: actorOf(p) };
    try {
      await client.workflow.start(PO_REQUEST_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: poRequestWorkflowId(requestId),
        args: [input],
        ...purchaseRequestStartMetadata(input),
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw conflict(`purchase order request ${requestId} already exists`);
      if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
      throw err;
    }
    const state = await requestCall(client, requestId).read();
    res.status(201).location(`/po-requests/${requestId}`).json({
      requestId,
      workflowId: poRequestWorkflowId(requestId),
      status: state.status,
      expiresAt: state.deadlines[0]?.dueAt,
      policyVersion: policy.version,
    });
  });

  routes.add({
    method: 'get', path: '/po-requests', tag, summary: 'List purchase order requests', roles: allRoles, ownership, query: listPoRequestsSchema,
    description: "From Temporal's visibility, newest first: a request just submitted or changed may take a moment to be listed.",
    responses: { 200: '{ requests: [{ requestId, status, buyerId, supplierId, submittedAt, nextDeadlineAt? }] }' },
  }, async (req, res, { query: q }) => {
    const p = principal(req);
    const clauses = [`WorkflowType = '${PO_REQUEST_WORKFLOW_TYPE}'`];
    // Party ids are letters, digits, "-" and "_" (the key's party): safe inside a quoted literal.
    if (p.role === 'buyer') clauses.push(`${SA_BUYER.name} = '${p.partyId}'`);
    if (p.role === 'supplier') clauses.push(`${SA_SUPPLIER.name} = '${p.partyId}'`);
    if (q.status) clauses.push(`${SA_STATUS.name} = '${q.status}'`);
    const limit = q.limit ?? 50;
    const requests: unknown[] = [];
    try {
      for await (const w of client.workflow.list({ query: clauses.join(' AND '), pageSize: limit })) {
        const next = w.typedSearchAttributes.get(SA_NEXT_DEADLINE);
        requests.push({
          requestId: w.workflowId.slice('po-request:'.length),
          status: w.typedSearchAttributes.get(SA_STATUS),
          buyerId: w.typedSearchAttributes.get(SA_BUYER),
          supplierId: w.typedSearchAttributes.get(SA_SUPPLIER),
          submittedAt: w.startTime.toISOString(),
          ...(next ? { nextDeadlineAt: next.toISOString() } : {}),
        });
        if (requests.length >= limit) break;
      }
    } catch (err) {
      if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
      throw err;
    }
    res.json({ requests });
  });

  routes.add({
    method: 'get', path: '/po-requests/:requestId', tag, summary: 'Read a purchase order request', roles: allRoles, ownership,
    params: poRequestParamsSchema, responses: { 200: 'the live state: { request } with status, products, deadlines, events and, once drafted, orderId' },
  }, async (req, res, { params: { requestId } }) => {
    res.json({ request: await readOwn(req, requestId) });
  });

  const actionLinks: ActionLink[] = [
    { update: draftOrderFromRequestUpdate.name, path: '/orders' },
    { update: withdrawRequestUpdate.name, path: '/po-requests/:requestId/withdraw' },
    { update: declineRequestUpdate.name, path: '/po-requests/:requestId/decline' },
  ];
  routes.add({
    method: 'get', path: '/po-requests/:requestId/actions', tag, summary: 'List the actions the caller may take on a purchase order request now', roles: allRoles, ownership,
    description: "From the request workflow's availableActions query: each Update's rule of who may act in which state, the same rule its validator applies first. Drafting the order from the request is POST /orders with its requestId.",
    params: poRequestParamsSchema, responses: { 200: ACTIONS_RESPONSE },
  }, async (req, res, { params: { requestId } }) => {
    await readOwn(req, requestId);
    const handle = client.workflow.getHandle(poRequestWorkflowId(requestId));
    const available = await temporalCallFor(client, handle.workflowId, `purchase order request ${requestId}`, () => handle.query(availableActionsQuery));
    res.json({ requestId, ...callerActions(routes.operations(), principal(req), available, actionLinks, { requestId }) });
  });

  routes.add({
    method: 'post', path: '/po-requests/:requestId/withdraw', tag, summary: 'Withdraw a purchase order request', roles: ['ops', 'buyer'], ownership,
    params: poRequestParamsSchema, body: withdrawPoRequestSchema, responses: { 200: 'the request after the action: { request }' }, errors,
  }, async (req, res, { params: { requestId }, body }) => {
    await readOwn(req, requestId);
    const call = requestCall(client, requestId);
    await call.act((h) => h.executeUpdate(withdrawRequestUpdate, { args: [{ ...body, actor: actorOf(principal(req)) }] }));
    res.json({ request: await call.read() });
  });

  routes.add({
    method: 'post', path: '/po-requests/:requestId/decline', tag, summary: 'Decline a purchase order request', roles: ['ops', 'supplier'], ownership,
    params: poRequestParamsSchema, body: declinePoRequestSchema, responses: { 200: 'the request after the action: { request }' }, errors,
  }, async (req, res, { params: { requestId }, body }) => {
    await readOwn(req, requestId);
    const call = requestCall(client, requestId);
    await call.act((h) => h.executeUpdate(declineRequestUpdate, { args: [{ reason: body.reason, actor: actorOf(principal(req)) }] }));
    res.json({ request: await call.read() });
  });
}
