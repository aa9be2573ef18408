/**
 * End to end: the Temporal dev server, a real worker, the API over HTTP, PostgreSQL and an SMTP
 * server, all real. One order goes through the whole skeleton; then the refusals.
 */
import { uniqueId } from '../support/env';
import { Reply, TestStack, apiClient, startTestStack } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterEach(async () => {
  // Double entry: whatever a test did, every ledger transaction still sums to zero.
  const unbalanced = await stack.db.$queryRaw<{ transactionId: string }[]>`
    SELECT "transactionId" FROM "LedgerEntry" GROUP BY "transactionId" HAVING SUM("amount") <> 0`;
  expect(unbalanced).toEqual([]);
});

afterAll(async () => {
  await stack?.stop();
});

interface Parties {
  buyerId: string;
  supplierId: string;
  buyerEmail: string;
  supplierEmail: string;
  buyerKey: string;
  supplierKey: string;
}

async function registerParties(): Promise<Parties> {
  const buyerId = uniqueId('buyer');
  const supplierId = uniqueId('supplier');
  const buyerEmail = `${buyerId}@buyer.example`;
  const supplierEmail = `${supplierId}@supplier.example`;
  expect((await call(stack.opsKey, 'POST', '/parties', { id: buyerId, kind: 'buyer', name: 'Buyer Ltd', email: buyerEmail })).status).toBe(201);
  expect((await call(stack.opsKey, 'POST', '/parties', { id: supplierId, kind: 'supplier', name: 'Supplier Co', email: supplierEmail })).status).toBe(201);
  const buyerKey = (await call(stack.opsKey, 'POST', '/api-keys', { name: 'buyer', role: 'buyer', partyId: buyerId })).body.apiKey.key;
  const supplierKey = (await call(stack.opsKey, 'POST', '/api-keys', { name: 'supplier', role: 'supplier', partyId: supplierId })).body.apiKey.key;
  return { buyerId, supplierId, buyerEmail, supplierEmail, buyerKey, supplierKey };
}

function draftBody(buyerId: string, extra: Record<string, unknown> = {}) {
  return {
    buyerId,
    currency: 'USD',
    items: [
      { sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1250 },
      { sku: 'USB-C-1M', description: 'USB-C cable', quantity: 500, unitPrice: 150 },
    ],
    depositAmount: 210_000,
    shippingDate: '2026-12-20',
    ...extra,
  };
}

async function draft(p: Parties, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call(p.supplierKey, 'POST', '/orders', draftBody(p.buyerId, extra));
  expect(res.status).toBe(201);
  return res.body.orderId;
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  let last = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  return last;
}

function expectError(res: Reply, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.error.status).toBe(status);
  expect(typeof res.body.error.message).toBe('string');
}

describe('order skeleton through the API', () => {
  it('drives an order from draft to completion: state, ledger rows and the emails that arrived', async () => {
    const p = await registerParties();
    const orderId = await draft(p);
    const act = (key: string, action: string, body: unknown = {}) => call(key, 'POST', `/orders/${orderId}/${action}`, body);

    expect((await act(p.buyerKey, 'confirm-by-buyer')).status).toBe(200);
    expect((await act(p.supplierKey, 'confirm-by-supplier')).status).toBe(200);
    const deposit = await act(p.buyerKey, 'pay', { kind: 'deposit', amount: 210_000, reference: 'WIRE-1' });
    expect(deposit.status).toBe(200);
    expect(deposit.body.order).toMatchObject({ status: 'DEPOSIT_PAID', amounts: { paid: 210_000, held: 210_000 } });
    expect((await act(p.buyerKey, 'pay', { kind: 'balance', amount: 490_000, reference: 'WIRE-2' })).status).toBe(200);
    expect((await act(p.supplierKey, 'ship', { carrier: 'DHL', trackingNumber: 'JD014600001' })).status).toBe(200);
    expect((await act(stack.opsKey, 'mark-delivered')).status).toBe(200);
    expect((await act(p.buyerKey, 'confirm-receipt')).status).toBe(200);

    const state = await eventually(
      () => call(p.buyerKey, 'GET', `/orders/${orderId}`),
      (r) => r.body?.order?.status === 'COMPLETED',
      'the order to complete',
    );
    expect(state.body.order.amounts).toEqual({
      currency: 'USD', total: 700_000, deposit: 210_000, balance: 490_000, paid: 700_000, held: 0, released: 700_000,
    });

    const timeline = await eventually(
      () => call(p.supplierKey, 'GET', `/orders/${orderId}/timeline`),
      (r) => r.body?.events?.length === 9,
      'the full timeline',
    );
    expect(timeline.body.events.map((e: { type: string }) => e.type)).toEqual([
      'DRAFTED', 'BUYER_CONFIRMED', 'SUPPLIER_CONFIRMED', 'DEPOSIT_PAID', 'BALANCE_PAID', 'SHIPPED', 'DELIVERED', 'RECEIPT_CONFIRMED', 'FUNDS_RELEASED',
    ]);
    expect(timeline.body.events[1].actor).toEqual({ role: 'buyer', partyId: p.buyerId });

    // Ledger: two holds and one release, each balanced; escrow ends at zero and the supplier has it all.
    const entries = await stack.db.ledgerEntry.findMany({ where: { transaction: { orderId } }, include: { transaction: true } });
    const byTx = new Map<string, bigint>();
    for (const e of entries) byTx.set(e.transactionId, (byTx.get(e.transactionId) ?? 0n) + e.amount);
    expect([...byTx.keys()].sort()).toEqual([`order:${orderId}:payment:balance`, `order:${orderId}:payment:deposit`, `order:${orderId}:release`]);
    expect([...byTx.values()].every((sum) => sum === 0n)).toBe(true);
    const balanceOf = (account: string) => entries.filter((e) => e.account === account).reduce((s, e) => s + e.amount, 0n);
    expect(balanceOf(`escrow:order:${orderId}`)).toBe(0n);
    expect(balanceOf(`supplier:${p.supplierId}:payable`)).toBe(700_000n);
    expect(balanceOf(`buyer:${p.buyerId}:funding`)).toBe(-700_000n);
    expect(entries.every((e) => e.currency === 'USD')).toBe(true);

    // The read model row matches the workflow.
    const row = await stack.db.order.findUniqueOrThrow({ where: { id: orderId } });
    expect({ status: row.status, paid: row.paidAmount, held: row.heldAmount, released: row.releasedAmount, revision: row.revision }).toEqual({
      status: 'COMPLETED', paid: 700_000n, held: 0n, released: 700_000n, revision: 9,
    });

    // Emails that reached the SMTP server: each party's notices, once each.
    const mails = await eventually(
      async () => stack.mail.filter((m) => m.subject.includes(orderId)),
      (m) => m.length >= 13,
      'the emails',
    );
    const toBuyer = mails.filter((m) => m.to.includes(p.buyerEmail)).map((m) => m.subject);
    const toSupplier = mails.filter((m) => m.to.includes(p.supplierEmail)).map((m) => m.subject);
    expect(toBuyer).toEqual([
      `[TradeGuard ${orderId}] new purchase order to confirm`,
      `[TradeGuard ${orderId}] purchase order confirmed: deposit due`,
      `[TradeGuard ${orderId}] deposit of 2,100.00 USD received and held in escrow`,
      `[TradeGuard ${orderId}] balance of 4,900.00 USD received and held in escrow`,
      `[TradeGuard ${orderId}] your order has shipped`,
      `[TradeGuard ${orderId}] delivered: please confirm receipt`,
      `[TradeGuard ${orderId}] order completed: funds released to the supplier`,
    ]);
    expect(toSupplier).toEqual([
      `[TradeGuard ${orderId}] buyer confirmed the purchase order`,
      `[TradeGuard ${orderId}] deposit of 2,100.00 USD received and held in escrow`,
      `[TradeGuard ${orderId}] balance of 4,900.00 USD received and held in escrow`,
      `[TradeGuard ${orderId}] delivered: please confirm receipt`,
      `[TradeGuard ${orderId}] buyer confirmed receipt`,
      `[TradeGuard ${orderId}] order completed: funds released to the supplier`,
    ]);
    expect(mails).toHaveLength(13);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(mails.length);
    const outbox = await stack.db.emailOutbox.findMany({ where: { key: { startsWith: `order:${orderId}:` } } });
    expect(outbox).toHaveLength(13);
    expect(outbox.every((o) => o.status === 'sent' && o.attempts === 1)).toBe(true);

    // A finished order takes no more actions.
    expectError(await act(p.buyerKey, 'confirm-receipt'), 409, 'action_refused');
  });

  it('answers 409 with the reason when the order does not allow the action now', async () => {
    const p = await registerParties();
    const orderId = await draft(p);
    const act = (key: string, action: string, body: unknown = {}) => call(key, 'POST', `/orders/${orderId}/${action}`, body);

    const ship = await act(p.supplierKey, 'ship', { carrier: 'DHL', trackingNumber: 'JD014600001' });
    expectError(ship, 409, 'action_refused');
    expect(ship.body.error.message).toBe('cannot ship: the order is unpaid; the buyer pays the deposit and balance before shipment');
    expectError(await act(p.buyerKey, 'confirm-receipt'), 409, 'action_refused');
    expectError(await act(p.supplierKey, 'confirm-by-supplier'), 409, 'action_refused');
    await act(p.buyerKey, 'confirm-by-buyer');
    await act(p.supplierKey, 'confirm-by-supplier');
    const wrongDeposit = await act(p.buyerKey, 'pay', { kind: 'deposit', amount: 1, reference: 'WIRE-X' });
    expectError(wrongDeposit, 409, 'action_refused');
    expect(wrongDeposit.body.error.message).toBe('deposit must be 2,100.00 USD as agreed on the purchase order, not 0.01 USD');

    const state = await call(p.buyerKey, 'GET', `/orders/${orderId}`);
    expect(state.body.order).toMatchObject({ status: 'CONFIRMED', revision: 3, amounts: { paid: 0, held: 0 } });
    expect(await stack.db.ledgerTransaction.count({ where: { orderId } })).toBe(0);

    const duplicate = await call(p.supplierKey, 'POST', '/orders', draftBody(p.buyerId, { orderId }));
    expectError(duplicate, 409, 'conflict');
    expect(duplicate.body.error.message).toBe(`order ${orderId} already exists`);
  });

  it('answers 400 naming the field, and starts nothing', async () => {
    const p = await registerParties();
    const orderId = uniqueId('bad');
    const badQuantity = await call(p.supplierKey, 'POST', '/orders', draftBody(p.buyerId, {
      orderId,
      items: [{ sku: 'A', description: 'x', quantity: -1, unitPrice: 100 }],
    }));
    expectError(badQuantity, 400, 'invalid_input');
    expect(badQuantity.body.error.fields).toEqual([{ field: 'items[0].quantity', reason: 'must be positive' }]);

    const depositTooLarge = await call(p.supplierKey, 'POST', '/orders', draftBody(p.buyerId, { orderId, depositAmount: 800_000 }));
    expectError(depositTooLarge, 400, 'invalid_input');
    expect(depositTooLarge.body.error.fields).toEqual([{ field: 'depositAmount', reason: 'the deposit cannot exceed the order total' }]);

    const unknownBuyer = await call(p.supplierKey, 'POST', '/orders', draftBody('nobody-here', { orderId }));
    expectError(unknownBuyer, 400, 'invalid_input');
    expect(unknownBuyer.body.error.fields).toEqual([{ field: 'buyerId', reason: 'no buyer with id nobody-here' }]);

    const floatAmount = await call(p.supplierKey, 'POST', '/orders', draftBody(p.buyerId, { orderId, depositAmount: 10.5 }));
    expectError(floatAmount, 400, 'invalid_input');
    expect(floatAmount.body.error.fields[0].field).toBe('depositAmount');

    const badJson = await call(p.supplierKey, 'POST', '/orders', undefined, '{"buyerId": ');
    expectError(badJson, 400, 'invalid_json');

    expectError(await call(p.supplierKey, 'GET', `/orders/${orderId}`), 404, 'not_found');

    const real = await draft(p);
    const badPayment = await call(p.buyerKey, 'POST', `/orders/${real}/pay`, { kind: 'tip', amount: '5', reference: '' });
    expectError(badPayment, 400, 'invalid_input');
    expect(badPayment.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['amount', 'kind', 'reference']);
  });

  it('authenticates every request and keeps parties to their own orders; support is read-only', async () => {
    const p = await registerParties();
    const other = await registerParties();
    const orderId = await draft(p);
    const supportKey = (await call(stack.opsKey, 'POST', '/api-keys', { name: 'support', role: 'support' })).body.apiKey.key;

    expectError(await call(undefined, 'GET', `/orders/${orderId}`), 401, 'unauthenticated');
    expectError(await call('tg_not-a-real-key', 'GET', `/orders/${orderId}`), 401, 'unauthenticated');

    expectError(await call(other.buyerKey, 'GET', `/orders/${orderId}`), 403, 'forbidden');
    expectError(await call(other.buyerKey, 'GET', `/orders/${orderId}/timeline`), 403, 'forbidden');
    expectError(await call(other.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {}), 403, 'forbidden');
    expectError(await call(p.supplierKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {}), 403, 'forbidden');
    expectError(await call(supportKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {}), 403, 'forbidden');
    expectError(await call(p.buyerKey, 'POST', '/orders', draftBody(p.buyerId)), 403, 'forbidden');
    expectError(await call(p.supplierKey, 'POST', '/orders', draftBody(p.buyerId, { supplierId: other.supplierId })), 403, 'forbidden');
    expectError(await call(p.buyerKey, 'POST', '/api-keys', { name: 'x', role: 'ops' }), 403, 'forbidden');

    // None of that moved the order.
    const asSupport = await call(supportKey, 'GET', `/orders/${orderId}`);
    expect(asSupport.status).toBe(200);
    expect(asSupport.body.order).toMatchObject({ status: 'DRAFT', revision: 1 });
    expect((await call(supportKey, 'GET', `/orders/${orderId}/timeline`)).status).toBe(200);
  });

  it('reports the health of Temporal, the database and the worker', async () => {
    const res = await call(undefined, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      temporal: { status: 'up' },
      database: { status: 'up' },
      worker: { status: 'up', taskQueue: stack.taskQueue },
    });
    expect(res.body.worker.pollers).toBeGreaterThan(0);
  });
});
