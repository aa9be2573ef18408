/**
 * Retry-safe POSTs on the real stack (dev server, worker, PostgreSQL) and a second API process on
 * the same database and task queue: the same Idempotency-Key with the same request answers the
 * first answer (status and body) on either process, for 24 hours, without acting again; duplicates
 * sent at once wait for the first; the same key with another request is a 422 naming the key; keys
 * belong to their caller; a request refused before it ran is not kept; a request whose process died
 * while it ran is taken over, and finds what the first run did instead of doing it twice.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { LocalFileStorage } from '../../adapters/storage';
import { createApp } from '../../api/app';
import { createHealthCheck } from '../../api/health';
import { orderWorkflowId } from '../../workflows/order.messages';
import { uniqueId } from '../support/env';
import { apiClient, eventually, expectError, registerParties, Parties, startTestStack, TestStack } from '../support/stack';
import { png } from '../support/uploads';

let stack: TestStack;
let second: http.Server;
let apiOne: string;
let apiTwo: string;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
  apiOne = stack.apiUrl;
  const health = createHealthCheck({ client: stack.client, db: stack.db, address: 'shared', namespace: 'default', taskQueue: stack.taskQueue });
  second = http.createServer(createApp({ client: stack.client, db: stack.db, taskQueue: stack.taskQueue, health, storage: new LocalFileStorage(stack.storageDir) }));
  await new Promise<void>((resolve) => second.listen(0, '127.0.0.1', () => resolve()));
  apiTwo = `http://127.0.0.1:${(second.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    second?.close(() => resolve());
    second?.closeAllConnections();
  });
  await stack?.stop();
});

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  headers: Headers;
}

async function post(api: string, key: string, path: string, body: unknown, idempotencyKey?: string, file?: Buffer): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, 'content-type': file ? 'image/png' : 'application/json' };
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  const res = await fetch(`${api}${path}`, { method: 'POST', headers, body: file ?? JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text, headers: res.headers };
}

const draftOf = (p: Parties, extra: Record<string, unknown> = {}) => ({
  buyerId: p.buyerId,
  currency: 'USD',
  items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1400 }],
  depositAmount: 210_000,
  shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
  ...extra,
});

/** A draft from a new purchase order request of the buyer's: a supplier drafts only from one. */
async function requestedDraft(p: Parties, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const request = await call(p.buyerKey, 'POST', '/po-requests', {
    supplierId: p.supplierId,
    items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500 }],
    desiredShippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
    message: 'please draft the purchase order',
  });
  expect(request.status).toBe(201);
  return draftOf(p, { requestId: request.body.requestId, ...extra });
}

async function confirmedOrder(p: Parties): Promise<string> {
  const drafted = await call(p.supplierKey, 'POST', '/orders', await requestedDraft(p));
  expect(drafted.status).toBe(201);
  const orderId = drafted.body.orderId as string;
  expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {})).status).toBe(200);
  expect((await call(p.supplierKey, 'POST', `/orders/${orderId}/confirm-by-supplier`, {})).status).toBe(200);
  return orderId;
}

/** The supplier's orders in the read model, once the first is there and a moment has passed for any other. */
async function ordersOf(p: Parties): Promise<string[]> {
  const list = async () => ((await call(p.supplierKey, 'GET', '/orders')).body.orders as { orderId: string }[]).map((o) => o.orderId);
  await eventually(list, (ids) => ids.length > 0, "the supplier's orders");
  await new Promise((resolve) => setTimeout(resolve, 500));
  return list();
}

/** Payments held in escrow for the order, once the ledger activity has written the first. */
const depositsOf = async (orderId: string) => {
  const count = () => stack.db.ledgerTransaction.count({ where: { orderId, kind: 'escrow_hold' } });
  await eventually(count, (n) => n > 0, 'the escrow ledger');
  return count();
};

describe('a retried POST with the same Idempotency-Key', () => {
  it('gets the first answer, status and body, on any API process, without paying twice', async () => {
    const p = await registerParties(stack);
    const orderId = await confirmedOrder(p);
    const key = randomUUID();
    const deposit = { kind: 'deposit', amount: 210_000, reference: 'WIRE-1' };
    const first = await post(apiOne, p.buyerKey, `/orders/${orderId}/pay`, deposit, key);
    expect(first.status).toBe(200);
    expect(first.body.order.amounts.paid).toBe(210_000);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    // The order moves on; the retry still gets the answer the deposit had, from either process.
    expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/pay`, { kind: 'balance', amount: 490_000, reference: 'WIRE-2' })).status).toBe(200);
    for (const api of [apiOne, apiTwo, apiTwo]) {
      const again = await post(api, p.buyerKey, `/orders/${orderId}/pay`, deposit, key);
      expect(again.status).toBe(200);
      expect(again.text).toBe(first.text);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('original-request-id')).toBe(first.headers.get('x-request-id'));
      expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    }
    // Held in escrow: the deposit once, the balance once.
    expect(await depositsOf(orderId)).toBe(2);
    // Without a key, the same retry acts again, and the order refuses it.
    expectError(await call(p.buyerKey, 'POST', `/orders/${orderId}/pay`, deposit), 409, 'action_refused');
    // The answer is kept in PostgreSQL, with the request that made it.
    const kept = await stack.db.idempotentRequest.findMany({ where: { key } });
    expect(kept).toEqual([expect.objectContaining({ scope: `buyer:${p.buyerId}`, state: 'done', status: 200, method: 'POST', path: `/orders/${orderId}/pay`, requestId: first.headers.get('x-request-id') })]);
  });

  it('drafts one order for a POST /orders without orderId, however often it is sent, and keeps a refusal as well as a success', async () => {
    const p = await registerParties(stack);
    const key = randomUUID();
    const draft = await requestedDraft(p);
    const first = await post(apiOne, p.supplierKey, '/orders', draft, key);
    expect(first.status).toBe(201);
    const again = await post(apiTwo, p.supplierKey, '/orders', draft, key);
    expect({ status: again.status, text: again.text, location: again.headers.get('location') }).toEqual({ status: 201, text: first.text, location: `/orders/${first.body.orderId}` });
    expect(await ordersOf(p)).toEqual([first.body.orderId]);

    // A refusal the endpoint gave is its answer too: the same request gets it again.
    expect((await post(apiOne, p.buyerKey, `/orders/${first.body.orderId}/confirm-by-buyer`, {}, randomUUID())).status).toBe(200);
    const refusedKey = randomUUID();
    const refused = await post(apiOne, p.buyerKey, `/orders/${first.body.orderId}/confirm-by-buyer`, {}, refusedKey);
    expectError({ status: refused.status, body: refused.body }, 409, 'action_refused');
    const refusedAgain = await post(apiTwo, p.buyerKey, `/orders/${first.body.orderId}/confirm-by-buyer`, {}, refusedKey);
    expect({ status: refusedAgain.status, text: refusedAgain.text, replayed: refusedAgain.headers.get('idempotent-replayed') }).toEqual({ status: 409, text: refused.text, replayed: 'true' });
  });

  it('makes duplicates sent at once wait for the first: one order, every caller the same answer', async () => {
    const p = await registerParties(stack);
    const key = randomUUID();
    const draft = await requestedDraft(p);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(i % 2 ? apiTwo : apiOne, p.supplierKey, '/orders', draft, key)));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(7);
    const orderId = answers[0].body.orderId as string;
    expect(await ordersOf(p)).toEqual([orderId]);
    await expect(stack.client.workflow.getHandle(orderWorkflowId(orderId)).describe()).resolves.toBeDefined();
  });
});

describe('the same key with another request', () => {
  it('is refused with 422 naming the key, and acts on nothing', async () => {
    const p = await registerParties(stack);
    const orderId = await confirmedOrder(p);
    const key = randomUUID();
    expect((await post(apiOne, p.buyerKey, `/orders/${orderId}/pay`, { kind: 'deposit', amount: 210_000, reference: 'WIRE-1' }, key)).status).toBe(200);
    const otherBody = await post(apiTwo, p.buyerKey, `/orders/${orderId}/pay`, { kind: 'balance', amount: 490_000, reference: 'WIRE-2' }, key);
    expectError({ status: otherBody.status, body: otherBody.body }, 422, 'idempotency_key_reused');
    expect(otherBody.body.error.fields).toEqual([{ field: 'Idempotency-Key', reason: 'was used for another request' }]);
    expect(otherBody.body.error.message).toContain(`/orders/${orderId}/pay`);
    const otherPath = await post(apiOne, p.buyerKey, `/orders/${orderId}/confirm-receipt`, {}, key);
    expectError({ status: otherPath.status, body: otherPath.body }, 422, 'idempotency_key_reused');
    const order = await call(p.buyerKey, 'GET', `/orders/${orderId}`);
    expect(order.body.order.amounts.paid).toBe(210_000);

    // An upload: the same bytes are the same request, other bytes another one.
    await call(p.buyerKey, 'POST', `/orders/${orderId}/claims`, { cause: 'QUALITY_MISMATCH', refundAsked: 1_000, description: 'dents' });
    const fileKey = randomUUID();
    const photo = png(uniqueId('dent'));
    const uploaded = await post(apiOne, p.buyerKey, `/orders/${orderId}/claims/C1/evidence?name=dent.png`, undefined, fileKey, photo);
    expect(uploaded.status).toBe(201);
    expect((await post(apiTwo, p.buyerKey, `/orders/${orderId}/claims/C1/evidence?name=dent.png`, undefined, fileKey, photo)).text).toBe(uploaded.text);
    const otherFile = await post(apiOne, p.buyerKey, `/orders/${orderId}/claims/C1/evidence?name=dent.png`, undefined, fileKey, png(uniqueId('other')));
    expect(otherFile.status).toBe(422);
    const otherName = await post(apiOne, p.buyerKey, `/orders/${orderId}/claims/C1/evidence?name=dent2.png`, undefined, fileKey, photo);
    expect(otherName.status).toBe(422);
  });
});

describe('keys', () => {
  it("belong to their caller: another party's same key is its own request", async () => {
    const a = await registerParties(stack);
    const b = await registerParties(stack);
    const [orderA, orderB] = [await confirmedOrder(a), await confirmedOrder(b)];
    const key = 'deposit-1';
    const paidA = await post(apiOne, a.buyerKey, `/orders/${orderA}/pay`, { kind: 'deposit', amount: 210_000, reference: 'WIRE-A' }, key);
    const paidB = await post(apiOne, b.buyerKey, `/orders/${orderB}/pay`, { kind: 'deposit', amount: 210_000, reference: 'WIRE-B' }, key);
    expect([paidA.status, paidB.status]).toEqual([200, 200]);
    expect(paidB.headers.get('idempotent-replayed')).toBeNull();
    expect([await depositsOf(orderA), await depositsOf(orderB)]).toEqual([1, 1]);
    // A party's keys share them: a new key of the same buyer retries what the old one sent.
    const newKey = (await call(stack.opsKey, 'POST', '/api-keys', { name: 'second', role: 'buyer', partyId: a.buyerId })).body.apiKey.key as string;
    const retried = await post(apiTwo, newKey, `/orders/${orderA}/pay`, { kind: 'deposit', amount: 210_000, reference: 'WIRE-A' }, key);
    expect({ status: retried.status, replayed: retried.headers.get('idempotent-replayed'), text: retried.text }).toEqual({ status: 200, replayed: 'true', text: paidA.text });
  });

  it('are kept 24 hours: a day later the same key and request run again', async () => {
    const key = randomUUID();
    const party = () => ({ id: uniqueId('buyer'), kind: 'buyer', name: 'Buyer Ltd', email: 'buyer@example.com' });
    const body = party();
    const first = await post(apiOne, stack.opsKey, '/parties', body, key);
    expect(first.status).toBe(201);
    const age = async (ms: number) => stack.db.idempotentRequest.updateMany({ where: { key }, data: { createdAt: new Date(Date.now() - ms) } });
    await age(23.9 * 3_600_000);
    const within = await post(apiTwo, stack.opsKey, '/parties', body, key);
    expect({ status: within.status, replayed: within.headers.get('idempotent-replayed'), text: within.text }).toEqual({ status: 201, replayed: 'true', text: first.text });
    // Another request with the key is still refused within the day, and free after it.
    expect((await post(apiOne, stack.opsKey, '/parties', party(), key)).status).toBe(422);
    await age(24 * 3_600_000 + 60_000);
    const later = await post(apiTwo, stack.opsKey, '/parties', body, key);
    expectError({ status: later.status, body: later.body }, 409, 'conflict');
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect((await stack.db.idempotentRequest.findFirstOrThrow({ where: { key } })).status).toBe(409);
  });

  it('that are malformed are a 400 naming the header; a request refused before it ran is not kept', async () => {
    const p = await registerParties(stack);
    for (const bad of ['', 'k'.repeat(256), 'two words', 'clé']) {
      const res = await fetch(`${apiOne}/orders`, {
        method: 'POST', headers: { authorization: `Bearer ${p.supplierKey}`, 'content-type': 'application/json', 'idempotency-key': bad }, body: JSON.stringify(draftOf(p)),
      });
      const body = (await res.json()) as { error?: { fields?: { field: string }[] } };
      expect({ bad: bad.slice(0, 10), status: res.status, fields: body.error?.fields?.map((f) => f.field) }).toEqual({ bad: bad.slice(0, 10), status: 400, fields: ['Idempotency-Key'] });
    }
    const key = randomUUID();
    const draft = await requestedDraft(p);
    const invalid = await post(apiOne, p.supplierKey, '/orders', { ...draft, depositAmount: -1 }, key);
    expect(invalid.status).toBe(400);
    const corrected = await post(apiOne, p.supplierKey, '/orders', draft, key);
    expect(corrected.status).toBe(201);
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
  });

  it('held by a request whose process died are taken over, and the retry finds what the first run did', async () => {
    const p = await registerParties(stack);
    const key = randomUUID();
    const draft = await requestedDraft(p);
    const first = await post(apiOne, p.supplierKey, '/orders', draft, key);
    expect(first.status).toBe(201);
    // As if the process had died after starting the order and before keeping its answer.
    await stack.db.idempotentRequest.updateMany({ where: { key }, data: { state: 'running', status: null, body: null, lockedUntil: new Date(Date.now() - 1_000) } });
    const retried = await post(apiTwo, p.supplierKey, '/orders', draft, key);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(retried.body.orderId).toBe(first.body.orderId);
    expect(await ordersOf(p)).toEqual([first.body.orderId]);
  });
});
