/**
 * The ownership check of a buyer's or supplier's order action reads the order's parties from the
 * database once per API process and then remembers them for ORDER_PARTIES_TTL_MS (an order's buyer
 * and supplier never change), so the later actions of a lifecycle, minutes apart, do not read them
 * again; past that time they are read again. The API's clock is the test's. An order this API
 * process drafted, or a monitoring task it booked, is known by its parties at once, before its first
 * change reaches the read model.
 */
import { Client as PgClient } from 'pg';
import { ORDER_PARTIES_TTL_MS } from '../../api/app';
import { monitoringWorkflowId } from '../../workflows/monitoring.messages';
import { testDatabaseUrl, uniqueId } from '../support/env';
import { apiClient, orderThrough, registerParties, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;
let clockMs = Date.now();

beforeAll(async () => {
  stack = await startTestStack({ app: { now: () => clockMs } });
});

afterAll(async () => {
  await stack?.stop();
});

test("an order's later actions check ownership without reading its parties again, until the time kept is over", async () => {
  const call = apiClient(stack.apiUrl);
  const p = await registerParties(stack);
  const orderId = await orderThrough(stack, p, 'paid');

  const findUnique = jest.spyOn(stack.db.order, 'findUnique');
  const partyReads = () =>
    findUnique.mock.calls.filter(([args]) => {
      const a = args as { where?: { id?: string }; select?: Record<string, unknown> };
      return a.where?.id === orderId && Object.keys(a.select ?? {}).sort().join() === 'buyerId,supplierId';
    }).length;
  try {
    // Six minutes on (a key's lookup would have been read again after five seconds).
    clockMs += 6 * 60_000;
    expect((await call(p.supplierKey, 'POST', `/orders/${orderId}/ship`, { carrier: 'DHL', trackingNumber: 'JD0001234567' })).status).toBe(200);
    expect((await call(stack.opsKey, 'POST', `/orders/${orderId}/mark-delivered`, {})).status).toBe(200);
    expect(partyReads()).toBe(0);

    // Past the time kept: read once more, then remembered again.
    clockMs += ORDER_PARTIES_TTL_MS;
    expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/extend-receiving`, { days: 5 })).status).toBe(200);
    expect(partyReads()).toBe(1);
    expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-receipt`, {})).status).toBe(200);
    expect(partyReads()).toBe(1);

    // Another party's key is still refused, from what is remembered.
    const other = await registerParties(stack);
    expect((await call(other.buyerKey, 'POST', `/orders/${orderId}/feedback`, { rating: 5, comment: 'fine' })).status).toBe(404);
    expect(partyReads()).toBe(1);
  } finally {
    findUnique.mockRestore();
  }
});

test("a party's first action on an order this process drafted checks ownership without asking the workflow, before the order is in the read model", async () => {
  const call = apiClient(stack.apiUrl);
  const p = await registerParties(stack);
  const other = await registerParties(stack);
  const orderId = uniqueId('OWN');
  const queries = jest.spyOn(stack.client.workflowService, 'queryWorkflow');
  const queriesOfOrder = () => queries.mock.calls.filter(([req]) => req.execution?.workflowId === `order:${orderId}`).length;
  // Holding back every write of an order row keeps the draft's first change out of the read model.
  const pg = new PgClient({ connectionString: testDatabaseUrl() });
  await pg.connect();
  let confirming: ReturnType<typeof call> | undefined;
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await pg.query('COMMIT');
  };
  try {
    await pg.query('BEGIN');
    await pg.query('LOCK TABLE "Order" IN EXCLUSIVE MODE');
    const draft = await call(stack.opsKey, 'POST', '/orders', {
      orderId, buyerId: p.buyerId, supplierId: p.supplierId, currency: 'USD',
      items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1400 }],
      depositAmount: 210_000, shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
    });
    expect(draft.status).toBe(201);
    expect(await stack.db.order.findUnique({ where: { id: orderId } })).toBeNull();

    // Another buyer is refused from what this process knows, without a Query.
    expect((await call(other.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {})).status).toBe(404);
    // The order's buyer gets through to the workflow; its Update waits for the held-back write.
    confirming = call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {});
    await new Promise((r) => setTimeout(r, 1_000));
    expect(queriesOfOrder()).toBe(0);
    await release();
    const confirmed = await confirming;
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.order.status).toBe('BUYER_CONFIRMED');
    expect(queriesOfOrder()).toBe(0);
  } finally {
    queries.mockRestore();
    await release().catch(() => undefined);
    await confirming?.catch(() => undefined);
    await pg.end();
  }
});

test("a party's first action on a monitoring task this process booked checks ownership without asking the workflow, before the task is in the read model", async () => {
  const call = apiClient(stack.apiUrl);
  const p = await registerParties(stack);
  const other = await registerParties(stack);
  const orderId = await orderThrough(stack, p, 'paid');
  const monitoringId = uniqueId('PMOWN');
  const queries = jest.spyOn(stack.client.workflowService, 'queryWorkflow');
  const queriesOfTask = () => queries.mock.calls.filter(([req]) => req.execution?.workflowId === monitoringWorkflowId(monitoringId)).length;
  const card = { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' };
  // Holding back every write of a task row keeps the booking's first change out of the read model.
  const pg = new PgClient({ connectionString: testDatabaseUrl() });
  await pg.connect();
  let paying: ReturnType<typeof call> | undefined;
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await pg.query('COMMIT');
  };
  try {
    await pg.query('BEGIN');
    await pg.query('LOCK TABLE "MonitoringTask" IN EXCLUSIVE MODE');
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { monitoringId, orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expect(booked.status).toBe(201);
    expect(await stack.db.monitoringTask.findUnique({ where: { id: monitoringId } })).toBeNull();

    // Another buyer is refused from what this process knows, without a Query.
    expect((await call(other.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card })).status).toBe(404);
    // The task's buyer gets through to the workflow; its payment waits for the held-back write.
    paying = call(p.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(queriesOfTask()).toBe(0);
    await release();
    const paid = await paying;
    expect(paid.status).toBe(200);
    expect(paid.body.monitoring.status).toBe('AWAITING_INSPECTOR');
  } finally {
    queries.mockRestore();
    await release().catch(() => undefined);
    await paying?.catch(() => undefined);
    await pg.end();
  }
});
