/**
 * After-service case routes (`/cases`). Opening a case reads the order (its workflow's state, or a
 * manual order's row), previews the window so that a request outside it is refused before anything
 * starts, and starts `case:<id>`; every action is an Update the case workflow validates.
 */
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type express from 'express';
import type { Request } from 'express';
import type { FileStorage } from '../adapters/storage';
import type { Db } from '../infra/db';
import { CURRENT_AFTER_SERVICE_POLICY_VERSION, RECALLABLE_ORDER_STATUSES, afterServicePolicy, caseWindow } from '../workflows/after-service.policy';
import {
  CASE_CODE_REVISION,
  CASE_WORKFLOW_TYPE,
  CaseInput,
  CaseOrderFacts,
  CaseOrderRef,
  CaseState,
  addCaseEvidenceUpdate,
  attemptRecallUpdate,
  caseWorkflowId,
  confirmCaseUpdate,
  getCaseQuery,
  receiveReturnUpdate,
  replyToCaseUpdate,
  resolveCaseUpdate,
} from '../workflows/case.messages';
import { getOrderQuery, orderWorkflowId } from '../workflows/order.messages';
import { availableActionsQuery } from '../workflows/actions';
import { ACTIONS_RESPONSE, ActionLink, callerActions } from './actions';
import {
  caseFileParamsSchema,
  caseParamsSchema,
  confirmCaseSchema,
  listCasesSchema,
  openCaseSchema,
  recallSchema,
  receiveReturnSchema,
  replySchema,
  resolveCaseSchema,
} from './cases.schemas';
import { DOWNLOAD_DESCRIPTION, sendStoredFile } from './file-types';
import { conflict, notFound, unavailable } from './errors';
import { actorOf, assertCallerReaches, assertOwnsOrder, isUnavailable, principal, queryOnce, readAfterAction, updateInTurn, temporalCallFor } from './http';
import type { Principal, Role } from './keys';
import type { RouteRegistry } from './routes';
import { EVIDENCE_MAX_BYTES, EVIDENCE_TYPES } from './schemas';
import { uploadQuerySchema } from './monitoring.schemas';
import { attachUpload } from './uploads';
import { isDerivedRecordId, newRecordId, updateIdOf } from './idempotency';
import { caseStartMetadata } from '../workflows/ui-metadata';

export interface CaseRouteDeps {
  client: Client;
  db: Db;
  taskQueue: string;
  storage: FileStorage;
}

export function registerCaseRoutes(routes: RouteRegistry, deps: CaseRouteDeps): void {
  const { client, db, taskQueue, storage } = deps;
  const policy = afterServicePolicy(CURRENT_AFTER_SERVICE_POLICY_VERSION);
  const call = <T>(caseId: string, fn: () => Promise<T>) => temporalCallFor(client, caseWorkflowId(caseId), `case ${caseId}`, fn);
  const caseAfterAction = (caseId: string) => call(caseId, () => readAfterAction(client, caseWorkflowId(caseId), () => queryOnce(client, caseWorkflowId(caseId), getCaseQuery)));
  const handle = (caseId: string) => client.workflow.getHandle(caseWorkflowId(caseId));
  const tag = 'after-service cases';
  const allRoles: Role[] = ['ops', 'support', 'buyer', 'supplier'];
  const ownCases = "buyers and suppliers: cases on their own orders only";

  async function readOwn(req: Request, caseId: string): Promise<CaseState> {
    const state = await call(caseId, () => handle(caseId).query(getCaseQuery));
    assertOwnsOrder(principal(req), state.order, `case ${caseId}`);
    return state;
  }

  /**
   * A buyer or supplier acts only on the cases of its own orders: checked against the read model
   * before anything is sent or stored (the workflow checks again); another party's case is answered
   * as a missing one.
   */
  async function assertReaches(req: Request, caseId: string): Promise<void> {
    const p = principal(req);
    if (p.role === 'ops' || p.role === 'support') return;
    const row = await db.afterServiceCase.findUnique({ where: { id: caseId }, select: { buyerId: true, supplierId: true } });
    await assertCallerReaches(row, (c) => assertOwnsOrder(p, c, `case ${caseId}`), () => readOwn(req, caseId));
  }

  /** The order behind a new case, and what is known of it now. */
  async function orderFor(p: Principal, source: 'order' | 'manual', orderId: string): Promise<{ order: CaseOrderRef; facts: CaseOrderFacts }> {
    if (source === 'manual') {
      const row = await db.manualOrder.findUnique({ where: { id: orderId } });
      if (!row) throw notFound(`no manual order ${orderId}`);
      // A manual order has no supplier party: no supplier reaches one.
      assertOwnsOrder(p, { buyerId: row.buyerId, supplierId: null }, `manual order ${orderId}`);
      return {
        order: { source, orderId, buyerId: row.buyerId ?? undefined, customerEmail: row.customerEmail, currency: row.currency, paidAmount: Number(row.totalAmount) },
        facts: {
          paidAt: row.paidAt.toISOString(),
          shippedAt: row.shippedAt?.toISOString(),
          deliveredAt: row.deliveredAt?.toISOString(),
          recallable: row.status === 'PAID',
        },
      };
    }
    const state = await temporalCallFor(client, orderWorkflowId(orderId), `order ${orderId}`, () => client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery));
    assertOwnsOrder(p, state, `order ${orderId}`);
    return {
      order: { source, orderId, buyerId: state.buyerId, supplierId: state.supplierId, currency: state.amounts.currency, paidAmount: state.amounts.paid },
      facts: {
        paidAt: state.paidAt,
        shippedAt: state.shipment?.shippedAt,
        deliveredAt: state.deliveredAt,
        recallable: RECALLABLE_ORDER_STATUSES.includes(state.status),
      },
    };
  }

  routes.add({
    method: 'post', path: '/cases', tag, summary: 'Open an after-service case on an order or a manual order', roles: ['ops', 'buyer'],
    description: 'Tracking within 60 days after payment; product guarantee within 30 days and no-reason return within 7 days after delivery (without a delivery event, from shipment + 20 days); change or cancel automatically within 24 h after payment, later only while the order can be recalled. Outside its window the request is refused with the window and when it closed.',
    ownership: 'buyers: their own orders only', body: openCaseSchema,
    responses: { 201: { description: 'the case is open: { caseId, workflowId, status, firstReplyDueAt, window }', headers: { Location: 'the new case' } } },
    errors: { 409: 'action_refused (outside the window, with when it closed) or conflict (a case with this id exists)', 503: 'unavailable: the workflow service did not answer' },
  }, async (req, res, { body }) => {
    const p = principal(req);
    const source = body.orderSource ?? 'order';
    const { order, facts } = await orderFor(p, source, body.orderId);
    const ms = (v?: string) => (v === undefined ? undefined : Date.parse(v));
    const now = Date.now();
    const window = caseWindow(policy, body.type, { paidAt: ms(facts.paidAt), shippedAt: ms(facts.shippedAt), deliveredAt: ms(facts.deliveredAt), recallable: facts.recallable }, now);
    if (!window.open) throw conflict(`cannot open a ${body.type} case: ${window.refusal}`, 'action_refused');
    const caseId = body.caseId ?? newRecordId(req, 'CS');
    const input: CaseInput = {
      caseId,
      type: body.type,
      order,
      facts,
      description: body.description,
      request: body.request,
      policyVersion: policy.version,
      openedBy: actorOf(p),
      codeRevision: CASE_CODE_REVISION,
    };
    try {
      await client.workflow.start(CASE_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: caseWorkflowId(caseId),
        args: [input],
        ...caseStartMetadata(input),
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      });
    } catch (err) {
      // The id derived from this request's idempotency key: an earlier run of this very request started it.
      const ranBefore = err instanceof WorkflowExecutionAlreadyStartedError && !body.caseId && isDerivedRecordId(req, 'CS', caseId);
      if (err instanceof WorkflowExecutionAlreadyStartedError && !ranBefore) throw conflict(`case ${caseId} already exists`);
      if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
      if (!ranBefore) throw err;
    }
    // The case's own state says when its first reply is due and which window it was opened in.
    const opened = await caseAfterAction(caseId);
    res.status(201).location(`/cases/${caseId}`).json({
      caseId,
      workflowId: caseWorkflowId(caseId),
      status: opened.status,
      firstReplyDueAt: opened.firstReplyDueAt,
      window: { rule: opened.window.rule, basis: opened.window.basis, closesAt: opened.window.closesAt, automatic: opened.window.automatic },
      policyVersion: opened.policyVersion,
    });
  });

  routes.add({
    method: 'get', path: '/cases', tag, summary: 'List after-service cases', roles: allRoles, ownership: ownCases,
    query: listCasesSchema, responses: { 200: 'cases from the read model, newest first: { cases }' },
  }, async (req, res, { query: q }) => {
    const p = principal(req);
    const where: Record<string, unknown> = {};
    if (q.status) where.status = q.status;
    if (q.type) where.type = q.type;
    if (q.orderId) where.orderId = q.orderId;
    if (q.late) where.late = q.late === 'true';
    if (p.role === 'buyer') where.buyerId = p.partyId;
    if (p.role === 'supplier') where.supplierId = p.partyId;
    const rows = await db.afterServiceCase.findMany({ where, orderBy: [{ openedAt: 'desc' }, { id: 'asc' }], take: q.limit ?? 50 });
    res.json({
      cases: rows.map((r) => ({
        caseId: r.id,
        orderId: r.orderId,
        orderSource: r.orderSource,
        type: r.type,
        category: r.category,
        status: r.status,
        proactive: r.proactive,
        problem: r.problem,
        resolution: r.resolution,
        refunded: { amount: Number(r.refundedAmount), currency: r.currency },
        late: r.late,
        firstReplyDueAt: r.firstReplyDueAt.toISOString(),
        firstRepliedAt: r.firstRepliedAt?.toISOString(),
        nextDeadlineAt: r.nextDeadlineAt?.toISOString(),
        openedAt: r.openedAt.toISOString(),
        closedAt: r.closedAt?.toISOString(),
      })),
    });
  });

  const read = (path: string, summary: string, response: string) => ({
    method: 'get' as const, path: `/cases/:caseId${path}`, tag, summary, roles: allRoles, ownership: ownCases,
    params: caseParamsSchema, responses: { 200: response },
  });

  routes.add(read('', "Read a case's live state", 'the live state from the workflow: { case }'), async (req, res, { params }) => {
    res.json({ case: await readOwn(req, params.caseId) });
  });

  routes.add(read('/deadlines', "List a case's open deadlines", 'every open deadline with its rule: { caseId, status, nextStep, deadlines }'), async (req, res, { params }) => {
    const c = await readOwn(req, params.caseId);
    res.json({ caseId: c.caseId, status: c.status, nextStep: c.nextStep, deadlines: c.deadlines });
  });

  routes.add(read('/timeline', "Read a case's timeline", 'every change, who made it and when: { caseId, events }'), async (req, res, { params }) => {
    const p = principal(req);
    const row = await db.afterServiceCase.findUnique({ where: { id: params.caseId } });
    if (!row) throw notFound(`no case ${params.caseId}`);
    assertOwnsOrder(p, row, `case ${params.caseId}`);
    const events = await db.caseEvent.findMany({ where: { caseId: params.caseId }, orderBy: { seq: 'asc' } });
    res.json({
      caseId: params.caseId,
      events: events.map((e) => ({ seq: e.seq, type: e.type, actorRole: e.actorRole, actorId: e.actorId, summary: e.summary, occurredAt: e.occurredAt.toISOString(), data: e.data })),
    });
  });

  // ---- actions (Updates) ------------------------------------------------------------------------
  const actionErrors = {
    409: "action_refused: the case does not allow this now; the message says why (the workflow's answer)",
    503: 'unavailable: the workflow service did not answer; the action may still complete',
  };
  const actions = [
    { path: 'reply', summary: 'Write on a case (the team\'s first reply is the after-service promise)', update: replyToCaseUpdate, schema: replySchema, roles: ['ops', 'buyer', 'supplier'] as Role[] },
    { path: 'resolve', summary: 'Resolve a case: resend, refund, partial refund, return and refund, or reject with a reason', update: resolveCaseUpdate, schema: resolveCaseSchema, roles: ['ops'] as Role[] },
    { path: 'receive-return', summary: 'Record the returned goods; the refund follows', update: receiveReturnUpdate, schema: receiveReturnSchema, roles: ['ops'] as Role[] },
    { path: 'recall', summary: 'Attempt a recall for a change or cancellation after its automatic window', update: attemptRecallUpdate, schema: recallSchema, roles: ['ops'] as Role[] },
    { path: 'confirm', summary: 'Confirm the resolution (the customer)', update: confirmCaseUpdate, schema: confirmCaseSchema, roles: ['ops', 'buyer'] as Role[] },
  ];
  for (const route of actions) {
    routes.add({
      method: 'post', path: `/cases/:caseId/${route.path}`, tag, summary: route.summary, roles: route.roles, ownership: ownCases,
      params: caseParamsSchema, body: route.schema, responses: { 200: 'the case after the action: { case }' }, errors: actionErrors,
    }, async (req, res, { params, body }) => {
      await assertReaches(req, params.caseId);
      const actor = actorOf(principal(req));
      const update = route.update as typeof replyToCaseUpdate;
      // The Update answers only an acknowledgement; the case after it is read by a Query.
      await call(params.caseId, () =>
        updateInTurn(client, caseWorkflowId(params.caseId), () => handle(params.caseId).executeUpdate(update, { args: [{ ...(body as object), actor } as never], updateId: updateIdOf(req) })),
      );
      res.json({ case: await caseAfterAction(params.caseId) });
    });
  }

  const actionLinks: ActionLink[] = [
    ...actions.map((route) => ({ update: route.update.name, path: `/cases/:caseId/${route.path}` })),
    { update: addCaseEvidenceUpdate.name, path: '/cases/:caseId/evidence' },
  ];
  routes.add({
    ...read('/actions', 'List the actions the caller may take on a case now', ACTIONS_RESPONSE),
    description: "From the case workflow's availableActions query: each Update's rule of who may act in which state, the same rule its validator applies first, asked of ops, the order's buyer and supplier, and support.",
  }, async (req, res, { params }) => {
    await readOwn(req, params.caseId);
    const available = await call(params.caseId, () => handle(params.caseId).query(availableActionsQuery));
    res.json({ caseId: params.caseId, ...callerActions(routes.operations(), principal(req), available, actionLinks, { caseId: params.caseId }) });
  });

  // ---- evidence files ---------------------------------------------------------------------------
  // A case on another party's order, or an unknown case, is refused before anything is stored, the
  // caller checked against the case's row (api/uploads.ts says why not by a Query); the file is
  // staged and kept only if the case takes it. No Update ID per content: the case's validator
  // already refuses a file it holds, so the same file sent twice, even at once, is recorded once.
  routes.add({
    method: 'post', path: '/cases/:caseId/evidence', tag, summary: 'Attach an evidence file to a case', roles: ['ops', 'buyer'], ownership: ownCases,
    params: caseParamsSchema, query: uploadQuerySchema, upload: { contentTypes: EVIDENCE_TYPES, maxBytes: EVIDENCE_MAX_BYTES },
    responses: { 201: 'the stored file and the case: { file, case }' }, errors: actionErrors,
  }, async (req, res, { params: { caseId }, query, file }) => {
    const p = principal(req);
    await assertReaches(req, caseId);
    const { file: stored } = await attachUpload(storage, { ...file, name: query.name }, (staged) =>
      call(caseId, () => updateInTurn(client, caseWorkflowId(caseId), () => handle(caseId).executeUpdate(addCaseEvidenceUpdate, { args: [{ actor: actorOf(p), file: staged }] }))),
    );
    res.status(201).json({ file: stored, case: await caseAfterAction(caseId) });
  });

  routes.add({
    ...read('/files/:fileId', "Download a case's evidence file", ''),
    params: caseFileParamsSchema,
    responses: { 200: { description: DOWNLOAD_DESCRIPTION, contentType: 'application/octet-stream' } },
  }, async (req, res, { params }) => {
    const c = await readOwn(req, params.caseId);
    const ref = c.evidence.find((f) => f.fileId === params.fileId);
    if (!ref) throw notFound(`no file ${params.fileId} on case ${c.caseId}`);
    const found = await storage.get(ref.fileId);
    if (!found) throw notFound(`file ${ref.fileId} is missing from storage`);
    sendStoredFile(res as express.Response, found.file, found.bytes, ref.name);
  });
}
