/**
 * Role × endpoint, on the real stack, driven by the OpenAPI document the API serves: every
 * operation is called with a key of every role. A role the operation names is never refused with
 * 403; any other role always is, in the one error shape. Then buyers and suppliers reach for
 * another party's order and monitoring task, and are answered as if it did not exist (404); an
 * inspector reaches for a task assigned to another inspector, and is answered the same way.
 *
 * A new role needs only its key below (`partyOf`); a new path parameter needs a value in `paramValue`.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createApiKey, Role, ROLES } from '../../api/keys';
import { ACTOR_NOT_ALLOWED } from '../../workflows/common';
import { monitoringWorkflowId, recordProgressUpdate } from '../../workflows/monitoring.messages';
import type { OpenApiDocument, OpenApiOperation } from '../../api/openapi';
import { uniqueId } from '../support/env';
import { apiClient, eventually, expectError, Reply, startTestStack, TestStack, draftFromRequest } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;
let doc: OpenApiDocument;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
  doc = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as OpenApiDocument;
});

afterAll(async () => {
  await stack?.stop();
});

interface Fixture {
  buyerId: string;
  supplierId: string;
  inspectorId: string;
  orderId: string;
  monitoringId: string;
  /** A task on the same order, paid and assigned to the fixture's inspector. */
  inspectedMonitoringId: string;
  keys: Record<Role, string>;
}

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('pixels')]);

/**
 * A buyer, a supplier and an inspector, an order between them with two monitoring tasks on it (one
 * unpaid, one paid and assigned to the inspector), and one key per role.
 */
async function fixture(): Promise<Fixture> {
  const buyerId = uniqueId('buyer');
  const supplierId = uniqueId('supplier');
  const inspectorId = uniqueId('inspector');
  for (const [id, kind] of [[buyerId, 'buyer'], [supplierId, 'supplier'], [inspectorId, 'inspector']]) {
    expect((await call(stack.opsKey, 'POST', '/parties', { id, kind, name: `${kind} ${id}`, email: `${id}@example.com` })).status).toBe(201);
  }
  // The party each role's key is bound to; roles without a party (ops, support) get undefined.
  const partyOf: Record<Role, string | undefined> = { ops: undefined, support: undefined, buyer: buyerId, supplier: supplierId, inspector: inspectorId };
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(stack.db, { name: uniqueId(role), role, partyId: partyOf[role] })).key;

  const drafted = await draftFromRequest(stack.apiUrl, { buyerKey: keys.buyer, supplierKey: keys.supplier, supplierId }, {
    buyerId,
    currency: 'USD',
    items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 100, unitPrice: 1250 }],
    depositAmount: 25_000,
    shippingDate: new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10),
  });
  expect(drafted.status).toBe(201);
  const orderId = drafted.body.orderId as string;
  const booked = await call(keys.buyer, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
  expect(booked.status).toBe(201);
  const monitoringId = booked.body.monitoringId as string;
  const inspected = await call(keys.buyer, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
  expect(inspected.status).toBe(201);
  const inspectedMonitoringId = inspected.body.monitoringId as string;
  const card = { number: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' };
  expect((await call(keys.buyer, 'POST', `/monitoring/${inspectedMonitoringId}/pay`, { card })).status).toBe(200);
  const checkDate = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  const assigned = await call(stack.opsKey, 'POST', `/monitoring/${inspectedMonitoringId}/assign-inspector`, { inspector: 'Li Wei', inspectorId, checkDate });
  expect(assigned.status).toBe(200);
  expect(assigned.body.monitoring.inspector).toMatchObject({ name: 'Li Wei', inspectorId, checkDate });
  // The timelines read the read model, which activities write just after each change.
  await eventually(() => call(stack.opsKey, 'GET', `/monitoring/${monitoringId}/timeline`), (r) => r.status === 200, 'the monitoring read model');
  await eventually(() => call(stack.opsKey, 'GET', `/orders/${orderId}/timeline`), (r) => r.status === 200, 'the order read model');
  await eventually(() => call(keys.inspector, 'GET', `/monitoring/${inspectedMonitoringId}/timeline`), (r) => r.status === 200, "the inspector's task in the read model");
  return { buyerId, supplierId, inspectorId, orderId, monitoringId, inspectedMonitoringId, keys };
}

function paramValue(name: string, role: Role, f: Fixture): string {
  switch (name) {
    case 'orderId':
      return f.orderId;
    case 'monitoringId':
      // An inspector reaches only the task assigned to it.
      return role === 'inspector' ? f.inspectedMonitoringId : f.monitoringId;
    case 'taskId':
      return 'LT-order-MATRIX-0-1';
    case 'claimId':
      return 'C1';
    case 'fileId':
      return '0'.repeat(64);
    case 'supplierId':
      return f.supplierId;
    case 'partyId':
      // A buyer or supplier may read its own record; the others read the buyer's.
      return role === 'supplier' ? f.supplierId : f.buyerId;
    case 'caseId':
      return 'CS-NOT-THERE';
    case 'manualOrderId':
      return 'MO-NOT-THERE';
    case 'requestId':
      return 'RQ-NOT-THERE';
    case 'weekStart':
      return '2026-11-16';
    case 'carrier':
      return 'DHL';
    case 'trackingNumber':
      return 'MATRIX-0001';
    case 'asset':
      return 'app.js';
    case 'keyId':
      // Not "current": a key that revoked itself would answer 401 to every later cell.
      return 'KEY-NOT-THERE';
    default:
      throw new Error(`the role matrix has no value for the path parameter {${name}}: add one to paramValue`);
  }
}

interface Operation {
  method: string;
  path: string;
  op: OpenApiOperation;
}

function operations(): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method, path, op: op as OpenApiOperation })),
  );
}

const isUpload = (o: Operation) => Object.keys(o.op.requestBody?.content ?? {}).some((t) => t !== 'application/json');

/** Calls an operation as `key`: an empty JSON object as the body, or for uploads `file` (a JSON body when not given). */
async function invoke(o: Operation, url: string, key: string, file?: { type: string; bytes: Buffer }): Promise<Reply> {
  if (isUpload(o) && file) {
    const res = await fetch(`${stack.apiUrl}${url}`, { method: o.method.toUpperCase(), headers: { authorization: `Bearer ${key}`, 'content-type': file.type }, body: file.bytes });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  }
  const res = await fetch(`${stack.apiUrl}${url}`, {
    method: o.method.toUpperCase(),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: o.method === 'get' ? undefined : '{}',
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : text;
  return { status: res.status, body: json };
}

describe('role × endpoint matrix', () => {
  it('refuses exactly the roles an operation does not name, with 403 in the error shape', async () => {
    const f = await fixture();
    const problems: string[] = [];
    let allowedCells = 0;
    let refusedCells = 0;
    for (const o of operations()) {
      const publicOp = o.op['x-roles'].length === 0;
      for (const role of ROLES) {
        const url = o.path.replace(/\{(\w+)\}/g, (_m, name: string) => paramValue(name, role, f));
        const res = await invoke(o, url, f.keys[role]);
        const cell = `${o.method.toUpperCase()} ${o.path} as ${role}`;
        if (publicOp || o.op['x-roles'].includes(role)) {
          allowedCells++;
          if ([401, 403, 429].includes(res.status)) problems.push(`${cell}: allowed, but answered ${res.status} ${JSON.stringify(res.body)}`);
        } else {
          refusedCells++;
          const e = res.body?.error;
          if (res.status !== 403 || e?.status !== 403 || e?.code !== 'forbidden' || typeof e?.message !== 'string') {
            problems.push(`${cell}: not allowed, but answered ${res.status} ${JSON.stringify(res.body)}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // Every cell was called: operations × roles, some on each side.
    expect(allowedCells + refusedCells).toBe(operations().length * ROLES.length);
    expect(allowedCells).toBeGreaterThan(80);
    expect(refusedCells).toBeGreaterThan(60);
    // An inspector is named on the monitoring task's reads and the inspection's actions, and on nothing of orders
    // (beyond reading and revoking its own key, which every party's key may).
    const ownKey = ['/api-keys/{keyId}/revoke', '/api-keys/current'];
    const inspectorOps = operations().filter((o) => o.op['x-roles'].includes('inspector') && !ownKey.includes(o.path)).map((o) => `${o.method} ${o.path}`);
    expect(inspectorOps).toEqual(expect.arrayContaining([
      'get /monitoring/{monitoringId}', 'post /monitoring/{monitoringId}/progress', 'post /monitoring/{monitoringId}/check',
      'post /monitoring/{monitoringId}/report', 'get /monitoring/{monitoringId}/files/{fileId}', 'get /deadlines',
      'get /monitoring/{monitoringId}/timeline', 'get /monitoring/{monitoringId}/deadlines',
    ]));
    expect(inspectorOps.filter((o) => !o.includes('/monitoring') && o !== 'get /deadlines')).toEqual([]);
  });

  it('names support on reads only: support is read-only', () => {
    const supportWrites = operations().filter((o) => o.method !== 'get' && o.op['x-roles'].includes('support'));
    expect(supportWrites.map((o) => `${o.method} ${o.path}`)).toEqual([]);
    expect(operations().filter((o) => o.method === 'get' && o.op['x-roles'].length > 0).every((o) => o.op['x-roles'].includes('support'))).toBe(true);
  });
});

describe("another party's order", () => {
  it("answers a buyer and a supplier every operation on another party's order or monitoring task that they may call on their own as if it did not exist", async () => {
    const mine = await fixture();
    const theirs = await fixture();
    const problems: string[] = [];
    let checked = 0;
    for (const o of operations()) {
      if (!/\{(orderId|monitoringId)\}/.test(o.path)) continue;
      const body = o.op.requestBody?.content['application/json']?.schema as { required?: string[] } | undefined;
      // A body that needs fields is refused as invalid before the order is looked at; those are covered below.
      if (body?.required?.length) continue;
      if (o.op.parameters.some((p) => p.in === 'query' && p.required)) continue;
      for (const role of ['buyer', 'supplier'] as const) {
        if (!o.op['x-roles'].includes(role)) continue;
        const url = o.path.replace(/\{(\w+)\}/g, (_m, name: string) => paramValue(name, role, theirs));
        const res = await invoke(o, url, mine.keys[role], { type: 'image/png', bytes: PNG });
        checked++;
        if (res.status !== 404 || res.body?.error?.code !== 'not_found') {
          problems.push(`${o.method.toUpperCase()} ${o.path} as another ${role}: answered ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(25);

    // Actions with a valid body: the order's own parties only.
    const pay = await call(mine.keys.buyer, 'POST', `/orders/${theirs.orderId}/pay`, { kind: 'deposit', amount: 25_000, reference: 'WIRE-1' });
    expectError(pay, 404, 'not_found');
    const ship = await call(mine.keys.supplier, 'POST', `/orders/${theirs.orderId}/ship`, { carrier: 'DHL', trackingNumber: 'JD0146000' });
    expectError(ship, 404, 'not_found');
    const claim = await call(mine.keys.buyer, 'POST', `/orders/${theirs.orderId}/claims`, { cause: 'NOT_RECEIVED', refundAsked: 1, description: 'x' });
    expectError(claim, 404, 'not_found');
    const card = { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' };
    expectError(await call(mine.keys.buyer, 'POST', `/monitoring/${theirs.monitoringId}/pay`, { card }), 404, 'not_found');
    expectError(await call(mine.keys.supplier, 'POST', `/monitoring/${theirs.monitoringId}/shipment-date`, { shipmentDate: '2099-01-04' }), 404, 'not_found');
    // Lists hold a party to its own records: a filter naming another party is refused, whether it exists or not.
    expectError(await call(mine.keys.buyer, 'GET', `/orders?buyerId=${theirs.buyerId}`), 403, 'forbidden');
    expectError(await call(mine.keys.supplier, 'GET', `/orders?supplierId=${theirs.supplierId}`), 403, 'forbidden');
    expectError(await call(mine.keys.supplier, 'GET', `/suppliers/${theirs.supplierId}/assurance`), 403, 'forbidden');
    expectError(await call(mine.keys.buyer, 'GET', `/parties/${theirs.buyerId}`), 403, 'forbidden');
    const listed = await call(mine.keys.buyer, 'GET', '/monitoring');
    expect(listed.status).toBe(200);
    expect(listed.body.tasks.map((t: { monitoringId: string }) => t.monitoringId)).not.toContain(theirs.monitoringId);

    // None of it moved their order or task, and no card was charged.
    const order = await call(theirs.keys.buyer, 'GET', `/orders/${theirs.orderId}`);
    expect(order.body.order).toMatchObject({ status: 'DRAFT', revision: 1, amounts: { paid: 0 } });
    const task = await call(theirs.keys.buyer, 'GET', `/monitoring/${theirs.monitoringId}`);
    expect(task.body.monitoring.status).toBe('AWAITING_PAYMENT');
    expect(task.body.monitoring.payment).toBeUndefined();
  });
});

describe("another inspector's task", () => {
  it('answers an inspector every operation on a monitoring task assigned to another inspector as if it did not exist, and the workflow refuses it too', async () => {
    const f = await fixture();
    const otherInspector = uniqueId('inspector');
    expect((await call(stack.opsKey, 'POST', '/parties', { id: otherInspector, kind: 'inspector', name: 'Other inspector', email: `${otherInspector}@example.com` })).status).toBe(201);
    const otherKey = (await createApiKey(stack.db, { name: uniqueId('inspector'), role: 'inspector', partyId: otherInspector })).key;

    const problems: string[] = [];
    let checked = 0;
    for (const o of operations()) {
      if (!o.path.includes('{monitoringId}') || !o.op['x-roles'].includes('inspector')) continue;
      const body = o.op.requestBody?.content['application/json']?.schema as { required?: string[] } | undefined;
      if (body?.required?.length) continue;
      if (o.op.parameters.some((p) => p.in === 'query' && p.required)) continue;
      const url = o.path.replace(/\{(\w+)\}/g, (_m, name: string) => paramValue(name, 'inspector', f));
      const fileType = Object.keys(o.op.requestBody?.content ?? {})[0] ?? 'application/json';
      const res = await invoke(o, url, otherKey, { type: fileType, bytes: fileType === 'application/pdf' ? Buffer.from('%PDF-1.4 report') : PNG });
      checked++;
      if (res.status !== 404 || res.body?.error?.code !== 'not_found') problems.push(`${o.method.toUpperCase()} ${o.path} as another inspector: answered ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(6);

    // Actions with a valid body: refused by the API for the other inspector, accepted for the assigned one.
    const progress = { percentComplete: 40, note: 'cartons being packed' };
    expectError(await call(otherKey, 'POST', `/monitoring/${f.inspectedMonitoringId}/progress`, progress), 404, 'not_found');
    const own = await call(f.keys.inspector, 'POST', `/monitoring/${f.inspectedMonitoringId}/progress`, progress);
    expect(own.status).toBe(200);
    expect(own.body.monitoring.progress).toHaveLength(1);
    // Nor does the inspector reach the unassigned task, or the order (no inspector key may read one), or another party's lists.
    expectError(await call(f.keys.inspector, 'GET', `/monitoring/${f.monitoringId}`), 404, 'not_found');
    expectError(await call(f.keys.inspector, 'GET', `/orders/${f.orderId}`), 403, 'forbidden');
    expectError(await call(otherKey, 'GET', `/deadlines?party=${f.inspectorId}`), 403, 'forbidden');
    const theirList = await call(otherKey, 'GET', '/monitoring');
    expect(theirList.status).toBe(200);
    expect(theirList.body.tasks).toEqual([]);
    const ownList = await call(f.keys.inspector, 'GET', '/monitoring');
    expect(ownList.body.tasks.map((t: { monitoringId: string }) => t.monitoringId)).toEqual([f.inspectedMonitoringId]);

    // The workflow's validator holds the same line for a caller that bypasses the API.
    const handle = stack.client.workflow.getHandle(monitoringWorkflowId(f.inspectedMonitoringId));
    const bypass = await handle
      .executeUpdate(recordProgressUpdate, { args: [{ actor: { role: 'inspector', partyId: otherInspector }, ...progress }] })
      .then(() => undefined, (err: unknown) => err);
    expect(bypass).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (bypass as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(ACTOR_NOT_ALLOWED);
    expect(cause.message).toMatch(/inspector assigned to this task/);
    const task = await call(stack.opsKey, 'GET', `/monitoring/${f.inspectedMonitoringId}`);
    expect(task.body.monitoring.progress).toHaveLength(1);
  });
});
