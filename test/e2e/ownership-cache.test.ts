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

interface HeldBack {
  /** Lets the held-back writes go. */
  release(): Promise<void>;
  /** The Queries the API has sent to the record's workflow so far. */
  queries(): number;
  /** A request still waiting when the scenario ends is awaited (and its failure ignored) after the release. */
  pending<T>(request: Promise<T>): Promise<T>;
}

/**
 * Runs `scenario` while every write of `table`'s rows waits for a lock held in a transaction of its
 * own, which keeps a new record's first change out of the read model, and counts the Queries the API
 * sends to `workflowId`. The lock goes at `release()` or when the scenario ends.
 */
async function holdingBackWrites(table: string, workflowId: string, scenario: (held: HeldBack) => Promise<void>): Promise<void> {
  const queries = jest.spyOn(stack.client.workflowService, 'queryWorkflow');
  const pg = new PgClient({ connectionString: testDatabaseUrl() });
  await pg.connect();
  const waiting: Promise<unknown>[] = [];
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await pg.query('COMMIT');
  };
  try {
    await pg.query('BEGIN');
    await pg.query(`LOCK TABLE "${table}" IN EXCLUSIVE MODE`);
    await scenario({
      release,
      queries: () => queries.mock.calls.filter(([req]) => req.execution?.workflowId === workflowId).length,
      pending: (request) => {
        waiting.push(request.catch(() => undefined));
        return request;
      },
    });
  } finally {
    queries.mockRestore();
    await release().catch(() => undefined);
    await Promise.all(waiting);
    await pg.end();
  }
}

test("a party's first action on an order this process drafted checks ownership without asking the workflow, before the order is in the read model", async () => {
  const call = apiClient(stack.apiUrl);
  const p = await registerParties(stack);
  const other = await registerParties(stack);
  const orderId = uniqueId('OWN');
  await holdingBackWrites('Order', `order:${orderId}`, async (held) => {
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
    const confirming = held.pending(call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {}));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(held.queries()).toBe(0);
    await held.release();
    const confirmed = await confirming;
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.order.status).toBe('BUYER_CONFIRMED');
    expect(held.queries()).toBe(0);
  });
});

test("a party's first action on a monitoring task this process booked checks ownership without asking the workflow, before the task is in the read model", async () => {
  const call = apiClient(stack.apiUrl);
  const p = await registerParties(stack);
  const other = await registerParties(stack);
  const orderId = await orderThrough(stack, p, 'paid');
  const monitoringId = uniqueId('PMOWN');
  const card = { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' };
  await holdingBackWrites('MonitoringTask', monitoringWorkflowId(monitoringId), async (held) => {
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { monitoringId, orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expect(booked.status).toBe(201);
    expect(await stack.db.monitoringTask.findUnique({ where: { id: monitoringId } })).toBeNull();

    // Another buyer is refused from what this process knows, without a Query.
    expect((await call(other.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card })).status).toBe(404);
    // The task's buyer gets through to the workflow; its payment waits for the held-back write.
    const paying = held.pending(call(p.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card }));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(held.queries()).toBe(0);
    await held.release();
    const paid = await paying;
    expect(paid.status).toBe(200);
    expect(paid.body.monitoring.status).toBe('AWAITING_INSPECTOR');
    // Its answer is read from the task's row, written before the payment answered.
    expect(held.queries()).toBe(0);
  });
});
