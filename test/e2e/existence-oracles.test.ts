/**
 * Existence oracles, on the real stack: to a buyer, a supplier or an inspector, another party's
 * order, monitoring task, case or manual order looks exactly like one that does not exist. Every
 * operation of the document that takes such a record is called twice with the same key, the same
 * body and the same query, once for another party's record and once for a missing id of the same
 * shape, and the two answers must be the same: status, code, fields, and the message with the id
 * in it. A supplier drafting an order learns nothing about which ids are registered buyers.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createApiKey } from '../../api/keys';
import type { OpenApiDocument } from '../../api/openapi';
import { uniqueId } from '../support/env';
import { operationsOf, plausible, useDocument } from '../support/openapi-fuzz';
import { apiClient, eventually, expectError, orderThrough, Parties, registerParties, Reply, startTestStack, TestStack } from '../support/stack';
import { png } from '../support/uploads';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;
let doc: OpenApiDocument;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
  doc = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as OpenApiDocument;
  useDocument(doc);
});

afterAll(async () => {
  await stack?.stop();
});

interface Side extends Parties {
  inspectorId: string;
  inspectorKey: string;
  orderId: string;
  monitoringId: string;
  caseId: string;
  manualOrderId: string;
}

/**
 * One side's records: an order with a claim (C1), a paid monitoring task assigned to its inspector,
 * a case on a delivered order and a manual order, each with its read-model row written.
 */
async function side(): Promise<Side> {
  const p = await registerParties(stack);
  const inspectorId = uniqueId('inspector');
  expect((await call(stack.opsKey, 'POST', '/parties', { id: inspectorId, kind: 'inspector', name: 'Inspector', email: `${inspectorId}@example.com` })).status).toBe(201);
  const inspectorKey = (await createApiKey(stack.db, { name: inspectorId, role: 'inspector', partyId: inspectorId })).key;

  const orderId = await orderThrough(stack, p, 'paid');
  expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/claims`, { cause: 'QUALITY_MISMATCH', refundAsked: 5_000, description: 'scratches' })).status).toBe(201);
  const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
  expect(booked.status).toBe(201);
  const monitoringId = booked.body.monitoringId as string;
  const card = { number: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' };
  expect((await call(p.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card })).status).toBe(200);
  const checkDate = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  expect((await call(stack.opsKey, 'POST', `/monitoring/${monitoringId}/assign-inspector`, { inspector: 'Li Wei', inspectorId, checkDate })).status).toBe(200);

  const delivered = await orderThrough(stack, p, 'delivered');
  const opened = await call(p.buyerKey, 'POST', '/cases', { orderId: delivered, type: 'QUALITY', description: 'two units dented' });
  expect(opened.status).toBe(201);
  const manual = await call(stack.opsKey, 'POST', '/manual-orders', {
    customerName: 'Acme Retail', customerEmail: 'orders@acme.example', buyerId: p.buyerId,
    address: { line1: '1 Harbour Road', city: 'Hamburg', postalCode: '20457', country: 'DE' },
    items: [{ sku: 'BT-SPK-200', quantity: 10 }], currency: 'USD', totalAmount: 50_000, paidAt: new Date(Date.now() - 3_600_000).toISOString(), reason: 'phone order',
  });
  expect(manual.status).toBe(201);

  const s: Side = { ...p, inspectorId, inspectorKey, orderId, monitoringId, caseId: opened.body.caseId, manualOrderId: manual.body.manualOrder.manualOrderId };
  for (const route of [`/orders/${s.orderId}/timeline`, `/monitoring/${s.monitoringId}/timeline`, `/cases/${s.caseId}/timeline`]) {
    await eventually(() => call(stack.opsKey, 'GET', route), (r) => r.status === 200, `the read model of ${route}`);
  }
  await eventually(() => call(inspectorKey, 'GET', `/monitoring/${monitoringId}/timeline`), (r) => r.status === 200, "the inspector's task in the read model");
  return s;
}

const RECORD_PARAMS: Record<string, { of: (s: Side) => string; prefix: string }> = {
  orderId: { of: (s) => s.orderId, prefix: 'PO' },
  monitoringId: { of: (s) => s.monitoringId, prefix: 'PM' },
  caseId: { of: (s) => s.caseId, prefix: 'CS' },
  manualOrderId: { of: (s) => s.manualOrderId, prefix: 'MO' },
};
const missingId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex').toUpperCase()}`;

const keyOf = (s: Side, role: string) => (role === 'buyer' ? s.buyerKey : role === 'supplier' ? s.supplierKey : s.inspectorKey);

/** What an answer says, with the record's id in its message replaced: what must not differ. */
function shapeOf(res: Reply, id: string) {
  return {
    status: res.status,
    code: res.body?.error?.code,
    message: typeof res.body?.error?.message === 'string' ? res.body.error.message.split(id).join('<id>') : res.body,
    fields: res.body?.error?.fields,
  };
}

async function send(method: string, url: string, key: string, body: { json?: unknown; file?: Buffer }): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  let payload: string | Buffer | undefined;
  if (body.file) {
    headers['content-type'] = 'image/png';
    payload = body.file;
  } else if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json ?? {});
  }
  const res = await fetch(`${stack.apiUrl}${url}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, body: (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : text };
}

describe("another party's record", () => {
  it('is answered exactly as a missing one, on every operation that takes an order, a monitoring task, a case or a manual order', async () => {
    const mine = await side();
    const theirs = await side();
    const problems: string[] = [];
    let compared = 0;
    let lookedUp = 0;
    for (const op of operationsOf(doc)) {
      const param = op.pathParams.find((p) => p in RECORD_PARAMS);
      if (!param) continue;
      // A body and a query valid by the document (the same for both calls), so the record is looked at.
      const json = op.body ? fc.sample(plausible(op.body), { seed: op.index, numRuns: 1 })[0] : undefined;
      const query = op.query.filter((q) => q.required).map((q) => `${q.name}=${encodeURIComponent(String(fc.sample(plausible(q.schema), { seed: op.index, numRuns: 1 })[0]))}`).join('&');
      for (const role of ['buyer', 'supplier', 'inspector']) {
        if (!op.roles.includes(role)) continue;
        const theirId = RECORD_PARAMS[param].of(theirs);
        const absentId = missingId(RECORD_PARAMS[param].prefix);
        const url = (id: string) =>
          op.path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === param ? id : name === 'claimId' ? 'C1' : name === 'fileId' ? '0'.repeat(64) : 'x')) + (query ? `?${query}` : '');
        const body = { json, file: op.upload ? png(uniqueId('probe')) : undefined };
        const their = await send(op.method, url(theirId), keyOf(mine, role), body);
        const absent = await send(op.method, url(absentId), keyOf(mine, role), body);
        compared++;
        if (absent.status === 404) lookedUp++;
        const where = `${op.name} as another ${role}`;
        if (their.status < 400) problems.push(`${where}: reached their record: ${their.status} ${JSON.stringify(their.body).slice(0, 200)}`);
        if (JSON.stringify(shapeOf(their, theirId)) !== JSON.stringify(shapeOf(absent, absentId))) {
          problems.push(`${where}: ${JSON.stringify(shapeOf(their, theirId))} but for a missing one ${JSON.stringify(shapeOf(absent, absentId))}`);
        } else if (their.status !== 404 && their.status !== 400) {
          problems.push(`${where}: answered ${their.status}, neither not found nor invalid`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(60);
    // Most requests were valid enough for the record to be looked up (the rest were refused as invalid first, alike).
    expect(lookedUp).toBeGreaterThan(compared * 0.8);
    console.log(`${compared} operations × roles compared, ${lookedUp} of them answered 404 for both`);

    // Records named in a body: booking monitoring on, and opening a case on, another party's order or manual order.
    const pairs: [string, Reply, Reply][] = [
      [theirs.orderId, await call(mine.buyerKey, 'POST', '/monitoring', { orderId: theirs.orderId, addedVia: 'ORDER_DETAILS_SEPARATE' }), await call(mine.buyerKey, 'POST', '/monitoring', { orderId: 'PO-000000000000', addedVia: 'ORDER_DETAILS_SEPARATE' })],
      [theirs.orderId, await call(mine.buyerKey, 'POST', '/cases', { orderId: theirs.orderId, type: 'TRACKING', description: 'where is it' }), await call(mine.buyerKey, 'POST', '/cases', { orderId: 'PO-000000000000', type: 'TRACKING', description: 'where is it' })],
      [theirs.manualOrderId, await call(mine.buyerKey, 'POST', '/cases', { orderId: theirs.manualOrderId, orderSource: 'manual', type: 'TRACKING', description: 'where is it' }), await call(mine.buyerKey, 'POST', '/cases', { orderId: 'MO-000000000000', orderSource: 'manual', type: 'TRACKING', description: 'where is it' })],
    ];
    for (const [id, their, absent] of pairs) {
      expectError(their, 404, 'not_found');
      expect(shapeOf(their, id)).toEqual(shapeOf(absent, id === theirs.manualOrderId ? 'MO-000000000000' : 'PO-000000000000'));
    }

    // None of it reached their records: their order, task and case are as they were.
    const order = await call(theirs.buyerKey, 'GET', `/orders/${theirs.orderId}`);
    expect(order.body.order.claims[0].evidence).toEqual([]);
    expect(order.body.order.status).toBe('PAID');
    const task = await call(theirs.buyerKey, 'GET', `/monitoring/${theirs.monitoringId}`);
    expect(task.body.monitoring).toMatchObject({ status: 'INSPECTION_SCHEDULED', progress: [], productInfo: { pictures: [] } });
    const c = await call(theirs.buyerKey, 'GET', `/cases/${theirs.caseId}`);
    expect(c.body.case).toMatchObject({ status: 'AWAITING_REPLY', evidence: [] });
    expect(await stack.db.afterServiceCase.count({ where: { buyerId: theirs.buyerId } })).toBe(1);
  });
});

describe('drafting an order', () => {
  it("tells a supplier nothing about which ids are registered buyers; ops are told", async () => {
    const p = await registerParties(stack);
    const other = await registerParties(stack);
    const shippingDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const draft = (key: string, buyerId: string, extra: Record<string, unknown> = {}) => call(key, 'POST', '/orders', {
      buyerId, currency: 'USD', items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 10, unitPrice: 1_000 }], depositAmount: 3_000, shippingDate, ...extra,
    });
    // A supplier drafts only from a buyer's request, which names its buyer: whatever buyer id a draft
    // names, registered or not, the answer is the same.
    const request = await call(p.buyerKey, 'POST', '/po-requests', {
      supplierId: p.supplierId, items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 10 }], desiredShippingDate: shippingDate, message: 'please draft',
    });
    expect(request.status).toBe(201);
    const requestId = request.body.requestId as string;
    const answers = [];
    for (const buyerId of [other.buyerId, uniqueId('nobody'), other.supplierId]) {
      const withoutRequest = await draft(p.supplierKey, buyerId);
      const withRequest = await draft(p.supplierKey, buyerId, { requestId });
      answers.push({ withoutRequest: [withoutRequest.status, withoutRequest.body.error?.fields], withRequest: [withRequest.status, withRequest.body.error?.code, withRequest.body.error?.message?.replace(buyerId, '<id>')] });
    }
    expect(answers[0].withoutRequest[0]).toBe(400);
    expect(answers[0].withRequest[0]).toBe(409);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    // The request's own buyer: drafted.
    expect((await draft(p.supplierKey, p.buyerId, { requestId })).status).toBe(201);
    // Naming itself as the buyer is refused: that says nothing the supplier does not know.
    const itself = await draft(p.supplierKey, p.supplierId, { requestId });
    expectError(itself, 400, 'invalid_input');
    expect(itself.body.error.fields).toEqual([{ field: 'buyerId', reason: 'must name the buyer, not the supplier drafting the order' }]);
    // Ops are told.
    const byOps = await draft(stack.opsKey, 'nobody-here', { supplierId: p.supplierId });
    expectError(byOps, 400, 'invalid_input');
    expect(byOps.body.error.fields).toEqual([{ field: 'buyerId', reason: 'no buyer with id nobody-here' }]);
  });
});
