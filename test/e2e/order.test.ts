/**
 * End to end: the Temporal dev server, a real worker, the API over HTTP, PostgreSQL and an SMTP
 * server, all real. One order goes through the whole skeleton; then the refusals.
 */
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { ACTION_DONE_UNREAD } from '../../api/http';
import { createOrderAfterAction } from '../../api/after-action';
import { Prisma } from '../../generated/prisma/client';
import { workflowsPath } from '../../worker/worker';
import { activityRuns } from '../../bench/history-events';
import { uniqueId } from '../support/env';
import { apiClient, draftFromRequest, eventually, expectError, Parties, registerParties as registerPartiesOf, startTestStack, TestStack } from '../support/stack';

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

const registerParties = (): Promise<Parties> => registerPartiesOf(stack);

function draftBody(buyerId: string, extra: Record<string, unknown> = {}) {
  return {
    buyerId,
    currency: 'USD',
    items: [
      { sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1250 },
      { sku: 'USB-C-1M', description: 'USB-C cable', quantity: 500, unitPrice: 150 },
    ],
    depositAmount: 210_000,
    shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
    ...extra,
  };
}

async function draft(p: Parties, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await draftFromRequest(stack.apiUrl, p, draftBody(p.buyerId, extra));
  expect(res.status).toBe(201);
  return res.body.orderId;
}



describe('order lifecycle through the API', () => {
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
      currency: 'USD', total: 700_000, deposit: 210_000, balance: 490_000, paid: 700_000, held: 0, released: 700_000, covered: 700_000, refunded: 0,
      claimRefunded: 0, recovered: 0,
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
      (m) => m.length >= 14,
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
      `[TradeGuard ${orderId}] purchase order confirmed: deposit due`,
      `[TradeGuard ${orderId}] deposit of 2,100.00 USD received and held in escrow`,
      `[TradeGuard ${orderId}] balance of 4,900.00 USD received and held in escrow`,
      `[TradeGuard ${orderId}] delivered: please confirm receipt`,
      `[TradeGuard ${orderId}] buyer confirmed receipt`,
      `[TradeGuard ${orderId}] order completed: funds released to the supplier`,
    ]);
    expect(mails).toHaveLength(14);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(mails.length);
    // The relay marks a row sent just after the SMTP server accepted it.
    const outbox = await eventually(
      () => stack.db.emailOutbox.findMany({ where: { key: { startsWith: `order:${orderId}:` } } }),
      (rows) => rows.length === 14 && rows.every((o) => o.status === 'sent'),
      'every outbox row marked sent',
    );
    expect(outbox.map((o) => o.attempts)).toEqual(outbox.map(() => 1));

    // Started on the current code revision, its history carries no patch markers and no
    // TemporalChangeVersion upserts; its own search attributes are upserted only when they moved.
    // Every effect is an ordinary activity, scheduled once the change that asks for it is in the history.
    const history = (await stack.client.workflow.getHandle(`order:${orderId}`).fetchHistory()).events ?? [];
    const E = temporal.api.enums.v1.EventType;
    expect(history.filter((e) => e.eventType === E.EVENT_TYPE_MARKER_RECORDED)).toEqual([]);
    const runs = activityRuns(history);
    // One record per revision, and the money: two holds, the release, coverage reserved and released.
    expect(runs.filter((r) => r.type === 'recordOrderChange')).toHaveLength(row.revision);
    expect(runs.filter((r) => r.type !== 'recordOrderChange').map((r) => r.type).sort()).toEqual(
      ['holdPaymentInEscrow', 'holdPaymentInEscrow', 'releaseCoverage', 'releaseEscrowToSupplier', 'reserveCoverage'],
    );
    expect(runs.filter((r) => r.local)).toEqual([]);
    const upserted = history
      .filter((e) => e.eventType === E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
      .map((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).sort());
    expect(upserted.flat()).not.toContain('TemporalChangeVersion');
    expect(upserted[0]).toEqual(['TradeGuardBuyer', 'TradeGuardNextDeadline', 'TradeGuardStatus', 'TradeGuardSupplier']);
    expect(upserted.slice(1).every((keys) => keys.length > 0 && !keys.includes('TradeGuardBuyer'))).toBe(true);

    // The Temporal UI tells the story: the order's summary, its current details, and a summary on
    // every timer (the deadline it waits for) and every activity (the business step).
    const handle = stack.client.workflow.getHandle(`order:${orderId}`);
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe(`Order ${orderId}: buyer ${p.buyerId}, supplier ${p.supplierId}, 7,000.00 USD`);
    expect(await described.staticDetails()).toContain('shipping by');
    const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('**COMPLETED**');
    const summaries = await Promise.all(
      history
        .filter((e) => e.eventType === E.EVENT_TYPE_TIMER_STARTED || e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .map(async (e) => (e.userMetadata?.summary ? String(await stack.client.options.loadedDataConverter.payloadConverter.fromPayload(e.userMetadata.summary)) : '')),
    );
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries.filter((x) => !/^(deadline |[a-zA-Z]+ · order )/.test(x))).toEqual([]);
    expect(summaries).toContain(`recordOrderChange · order ${orderId} · revision 1 DRAFTED`);

    // A finished order takes no more receipts; coverage went back to the supplier.
    expectError(await act(p.buyerKey, 'confirm-receipt'), 409, 'action_refused');
    const reservation = await stack.db.coverageReservation.findUniqueOrThrow({ where: { orderId } });
    expect({ amount: reservation.amount, status: reservation.status }).toEqual({ amount: 700_000n, status: 'released' });
  });

  it("answers an action with the order as its workflow holds it after the action, read from the order's row, or from the workflow when the row is not current", async () => {
    const p = await registerParties();
    const orderId = await draft(p);
    const confirmed = await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {});
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.order).toMatchObject({ orderId, status: 'BUYER_CONFIRMED', revision: 2 });
    // Nothing happened since: the answer is what the workflow's Query says now, field for field.
    const live = await call(p.buyerKey, 'GET', `/orders/${orderId}`);
    expect(confirmed.body.order).toEqual(live.body.order);
    const row = await stack.db.order.findUniqueOrThrow({ where: { id: orderId }, select: { revision: true, view: true } });
    expect(row).toEqual({ revision: 2, view: live.body.order });

    const orderAfterAction = createOrderAfterAction(stack.client, stack.db);
    // A row without the order in it (written by earlier code), or behind the action's revision: the workflow answers.
    await stack.db.order.update({ where: { id: orderId }, data: { view: Prisma.DbNull } });
    expect(await orderAfterAction(orderId, 2)).toEqual(live.body.order);
    await stack.db.order.update({ where: { id: orderId }, data: { view: { ...live.body.order, revision: 1, status: 'DRAFT' } } });
    await stack.db.$executeRaw`UPDATE "Order" SET "revision" = 1 WHERE "id" = ${orderId}`;
    expect(await orderAfterAction(orderId, 2)).toEqual(live.body.order);

    // The next action writes the row and its view again, and answers from it.
    const changes = await call(p.supplierKey, 'POST', `/orders/${orderId}/request-changes`, { message: 'make the handles blue' });
    expect(changes.status).toBe(200);
    expect(changes.body.order).toMatchObject({ status: 'DRAFT', revision: 3, changesPending: true });
    expect(changes.body.order).toEqual((await call(p.buyerKey, 'GET', `/orders/${orderId}`)).body.order);
    expect(await stack.db.order.findUniqueOrThrow({ where: { id: orderId }, select: { revision: true } })).toEqual({ revision: 3 });
  });

  it('answers many actions on one order at once each with 200, 409 or 429, or a 503 saying the action was done when the order could not be read after it, and records exactly the actions done', async () => {
    const p = await registerParties();
    const orderId = await draft(p);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => fetch(`${stack.apiUrl}/orders/${orderId}/request-changes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.buyerKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: `change ${i}` }),
      }).then(async (res) => ({
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        body: (await res.json()) as { error: { message: string } },
        // A 5xx carries what the API logged about it, so a failure says why.
        ...(res.status >= 500 ? { logged: stack.loggedErrors(res.headers.get('x-request-id') ?? '') } : {}),
      }))),
    );
    // A burst like this now and then makes the worker fail the order's workflow task (an SDK state
    // machine error) and the order does not answer Queries for a while: an action done then is
    // answered with a 503 that says it was done, never with one that invites a retry, nor a 500.
    const doneUnread = replies.filter((r) => r.status === 503 && r.body.error.message === ACTION_DONE_UNREAD);
    expect(replies.filter((r) => ![200, 409, 429].includes(r.status) && !doneUnread.includes(r))).toEqual([]);
    for (const busy of replies.filter((r) => r.status === 429)) {
      expect(busy.retryAfter).toBe('1');
      expect(busy.body.error.message).toMatch(/retry in a moment/);
    }
    const done = replies.filter((r) => r.status === 200).length + doneUnread.length;
    expect(done).toBeGreaterThan(0);
    const timeline = await eventually(
      () => call(p.buyerKey, 'GET', `/orders/${orderId}/timeline`),
      (t) => t.body.events.filter((e: { type: string }) => e.type === 'CHANGES_REQUESTED').length === done,
      'one CHANGES_REQUESTED per action done',
    );
    expect(timeline.body.events.filter((e: { type: string }) => e.type === 'CHANGES_REQUESTED')).toHaveLength(done);
    // The burst leaves a history the order's code replays (one at a time, the API's Updates keep it so).
    const history = await stack.client.workflow.getHandle(`order:${orderId}`).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowsPath: workflowsPath() }, history, `order:${orderId}`)).resolves.toBeUndefined();
  });

  it('refuses a confirmation of terms the supplier revised since, and confirms the draft revision it names', async () => {
    const p = await registerParties();
    const orderId = await draft(p);
    const seen = (await call(p.buyerKey, 'GET', `/orders/${orderId}`)).body.order;
    expect(seen.draftRevision ?? 1).toBe(1);
    // The supplier revises before the buyer's confirmation arrives (its right before both confirm): the total rises.
    const { buyerId: _buyer, ...terms } = draftBody(p.buyerId, { items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 9_999 }] });
    const revised = await call(p.supplierKey, 'POST', `/orders/${orderId}/revise`, terms);
    expect(revised.status).toBe(200);
    expect(revised.body.order).toMatchObject({ draftRevision: 2, amounts: { total: 4_999_500 } });

    const stale = await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, { draftRevision: 1 });
    expectError(stale, 409, 'action_refused');
    expect(stale.body.error.message).toBe('cannot confirm draft revision 1: the terms are at draft revision 2 now; read the order again and confirm the terms it shows (draftRevision 2)');
    expect((await call(p.buyerKey, 'GET', `/orders/${orderId}`)).body.order).toMatchObject({ status: 'DRAFT', draftRevision: 2 });

    const badRevision = await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, { draftRevision: 'latest' });
    expectError(badRevision, 400, 'invalid_input');
    expect(badRevision.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['draftRevision']);

    const confirmed = await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, { draftRevision: 2 });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.order.status).toBe('BUYER_CONFIRMED');
    expectError(await call(p.supplierKey, 'POST', `/orders/${orderId}/confirm-by-supplier`, { draftRevision: 1 }), 409, 'action_refused');
    const both = await call(p.supplierKey, 'POST', `/orders/${orderId}/confirm-by-supplier`, { draftRevision: 2 });
    expect(both.status).toBe(200);
    expect(both.body.order).toMatchObject({ status: 'CONFIRMED', amounts: { total: 4_999_500 } });
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

    const duplicate = await call(stack.opsKey, 'POST', '/orders', draftBody(p.buyerId, { orderId, supplierId: p.supplierId }));
    expectError(duplicate, 409, 'conflict');
    expect(duplicate.body.error.message).toBe(`order ${orderId} already exists`);
    const fromRequest = await draftFromRequest(stack.apiUrl, p, draftBody(p.buyerId, { orderId }));
    expectError(fromRequest, 409, 'action_refused');
    expect(fromRequest.body.error.message).toBe(`cannot draft: order ${orderId} already exists; choose another order id`);
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

    const withoutRequest = await call(p.supplierKey, 'POST', '/orders', draftBody(p.buyerId, { orderId }));
    expectError(withoutRequest, 400, 'invalid_input');
    expect(withoutRequest.body.error.fields).toEqual([
      { field: 'requestId', reason: "is required when a supplier drafts: a supplier drafts from the buyer's open purchase order request (POST /po-requests)" },
    ]);

    const ops = (extra: Record<string, unknown>) => call(stack.opsKey, 'POST', '/orders', { ...draftBody(p.buyerId, { orderId, supplierId: p.supplierId }), ...extra });
    const depositTooLarge = await ops({ depositAmount: 800_000 });
    expectError(depositTooLarge, 400, 'invalid_input');
    expect(depositTooLarge.body.error.fields).toEqual([{ field: 'depositAmount', reason: 'the deposit cannot exceed the order total' }]);

    // Ops are told a buyer id names no buyer (a supplier is not: see test/e2e/existence-oracles.test.ts).
    const unknownBuyer = await ops({ buyerId: 'nobody-here' });
    expectError(unknownBuyer, 400, 'invalid_input');
    expect(unknownBuyer.body.error.fields).toEqual([{ field: 'buyerId', reason: 'no buyer with id nobody-here' }]);

    // A shipping date past the shipping period (90 days): refused before anything starts, by ops and from a request alike.
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    for (const shippingDate of [day(92), '9999-12-31']) {
      const far = await ops({ shippingDate });
      expectError(far, 400, 'invalid_input');
      expect(far.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['shippingDate']);
      expect(far.body.error.fields[0].reason).toMatch(/is more than 90 days away: .* ships by \d{4}-\d{2}-\d{2} at the latest/);
      const fromRequest = await draftFromRequest(stack.apiUrl, p, draftBody(p.buyerId, { shippingDate }));
      expectError(fromRequest, 400, 'invalid_input');
      expect(fromRequest.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['shippingDate']);
    }
    expect(await stack.db.order.findUnique({ where: { id: orderId } })).toBeNull();

    const floatAmount = await call(p.supplierKey, 'POST', '/orders', draftBody(p.buyerId, { orderId, depositAmount: 10.5 }));
    expectError(floatAmount, 400, 'invalid_input');
    expect(floatAmount.body.error.fields[0].field).toBe('depositAmount');

    const badJson = await call(p.supplierKey, 'POST', '/orders', undefined, '{"buyerId": ');
    expectError(badJson, 400, 'invalid_json');
    // Malformed UTF-8 in a JSON string is refused as sent, not read as U+FFFD.
    const malformed = await fetch(`${stack.apiUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.opsKey}`, 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"buyerId": "'), Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'invalid_json', message: expect.stringMatching(/not well-formed UTF-8/) });

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

    // Another party's order is answered as a missing one.
    expectError(await call(other.buyerKey, 'GET', `/orders/${orderId}`), 404, 'not_found');
    // The timeline is the read model, written by an activity just after the draft.
    await eventually(() => call(p.buyerKey, 'GET', `/orders/${orderId}/timeline`), (r) => r.status === 200, 'the order read model');
    expectError(await call(other.buyerKey, 'GET', `/orders/${orderId}/timeline`), 404, 'not_found');
    expectError(await call(other.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {}), 404, 'not_found');
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

  it('runs a claim through the API: evidence upload and download, counter-offer accepted, refund and release in the ledger', async () => {
    const p = await registerParties();
    const orderId = await draft(p);
    const act = (key: string, action: string, body: unknown = {}) => call(key, 'POST', `/orders/${orderId}/${action}`, body);
    await act(p.buyerKey, 'confirm-by-buyer');
    await act(p.supplierKey, 'confirm-by-supplier');
    await act(p.buyerKey, 'pay', { kind: 'deposit', amount: 210_000, reference: 'WIRE-1' });
    await act(p.buyerKey, 'pay', { kind: 'balance', amount: 490_000, reference: 'WIRE-2' });
    await act(p.supplierKey, 'ship', { carrier: 'DHL', trackingNumber: 'JD014600002' });
    await act(stack.opsKey, 'mark-delivered');

    const deadlines = await call(p.buyerKey, 'GET', `/orders/${orderId}/deadlines`);
    expect(deadlines.status).toBe(200);
    // Read from the read model, they are the workflow's own list at the same revision.
    const live = await call(p.buyerKey, 'GET', `/orders/${orderId}`);
    expect(deadlines.body.revision).toBe(live.body.order.revision);
    expect(deadlines.body.deadlines).toEqual(live.body.order.deadlines);
    expect(deadlines.body.deadlines.length).toBeGreaterThan(0);
    const receiving = deadlines.body.deadlines.find((d: { kind: string }) => d.kind === 'receiving-window');
    expect(receiving).toMatchObject({ policyVersion: '2026-12', onExpiry: expect.stringMatching(/receipt is confirmed automatically/) });

    const tooMuch = await act(p.buyerKey, 'claims', { cause: 'QUALITY_MISMATCH', refundAsked: 800_000, description: 'wrong colour' });
    expectError(tooMuch, 409, 'action_refused');
    expect(tooMuch.body.error.message).toBe('refund asked 8,000.00 USD exceeds the covered amount 7,000.00 USD');
    const badCause = await act(p.buyerKey, 'claims', { cause: 'CHANGED_MIND', refundAsked: 1, description: 'x' });
    expectError(badCause, 400, 'invalid_input');
    expect(badCause.body.error.fields[0].field).toBe('cause');

    const opened = await act(p.buyerKey, 'claims', { cause: 'QUALITY_MISMATCH', refundAsked: 150_000, description: 'colour differs from the golden sample' });
    expect(opened.status).toBe(201);
    expect(opened.body.order.claims[0]).toMatchObject({ id: 'C1', status: 'OPEN', refundAsked: 150_000 });

    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('evidence pixels')]);
    const upload = await fetch(`${stack.apiUrl}/orders/${orderId}/claims/C1/evidence?name=carton.png`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.buyerKey}`, 'content-type': 'image/png' },
      body: png,
    });
    expect(upload.status).toBe(201);
    const uploaded = (await upload.json()) as { file: { fileId: string; size: number } };
    expect(uploaded.file.size).toBe(png.length);
    const wrongType = await fetch(`${stack.apiUrl}/orders/${orderId}/claims/C1/evidence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.buyerKey}`, 'content-type': 'text/html' },
      body: '<b>x</b>',
    });
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { error: { fields: { field: string }[] } }).error.fields[0].field).toBe('Content-Type');
    const download = await fetch(`${stack.apiUrl}/orders/${orderId}/claims/C1/evidence/${uploaded.file.fileId}`, {
      headers: { authorization: `Bearer ${p.supplierKey}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).toBe(true);

    const early = await act(p.buyerKey, 'claims/C1/escalate');
    expectError(early, 409, 'action_refused');
    expect(early.body.error.message).toMatch(/the buyer may escalate from day 4/);
    expectError(await act(p.buyerKey, 'confirm-receipt'), 409, 'action_refused');
    expectError(await act(p.supplierKey, 'claims/C1/decide', { refund: 1, reason: 'x' }), 403, 'forbidden');

    const countered = await act(p.supplierKey, 'claims/C1/respond', { kind: 'counter', counterAmount: 50_000, message: 'we refund a third' });
    expect(countered.body.order.claims[0].status).toBe('RESPONDED');
    const settled = await act(p.buyerKey, 'claims/C1/accept-counter');
    expect(settled.status).toBe(200);
    expect(settled.body.order).toMatchObject({ status: 'SETTLED', amounts: { refunded: 50_000, released: 650_000, held: 0 } });

    const ledger = await eventually(
      () => call(p.buyerKey, 'GET', `/orders/${orderId}/ledger`),
      (r) => r.body?.transactions?.length === 4,
      'the claim ledger',
    );
    const kinds = ledger.body.transactions.map((t: { id: string; kind: string }) => [t.id, t.kind]);
    expect(kinds).toEqual([
      [`order:${orderId}:payment:deposit`, 'escrow_hold'],
      [`order:${orderId}:payment:balance`, 'escrow_hold'],
      [`order:${orderId}:claim:C1:refund`, 'escrow_refund'],
      [`order:${orderId}:claim:C1:release`, 'escrow_release'],
    ]);
    const entries = await stack.db.ledgerEntry.findMany({ where: { transaction: { orderId } } });
    const balanceOf = (account: string) => entries.filter((e) => e.account === account).reduce((sum, e) => sum + e.amount, 0n);
    expect(balanceOf(`escrow:order:${orderId}`)).toBe(0n);
    expect(balanceOf(`buyer:${p.buyerId}:funding`)).toBe(-650_000n);
    expect(balanceOf(`supplier:${p.supplierId}:payable`)).toBe(650_000n);

    const mails = await eventually(
      async () => stack.mail.filter((m) => m.subject.includes(orderId) && m.subject.includes('claim C1')),
      (m) => m.length >= 5,
      'the claim emails',
    );
    // Each party's emails arrive in the order of the events (parties side by side).
    const subjects = (email: string) => mails.filter((m) => m.to.includes(email)).map((m) => m.subject.replace(`[TradeGuard ${orderId}] `, ''));
    expect(mails).toHaveLength(5);
    expect(subjects(p.buyerEmail)).toEqual(['claim C1 opened: quality mismatch', 'claim C1: counter-offer of 500.00 USD', 'claim C1 decided: refund of 500.00 USD']);
    expect(subjects(p.supplierEmail)).toEqual(['claim C1 opened: quality mismatch', 'claim C1 decided: refund of 500.00 USD']);
    const timeline = await eventually(
      () => call(stack.opsKey, 'GET', `/orders/${orderId}/timeline`),
      (r) => r.body?.events?.at(-1)?.type === 'REFUND_PAID',
      'the claim timeline',
    );
    // The refund, then (no other claim open) the settlement that releases the rest, then the refund's
    // payment to the buyer, which the payment adapter completed.
    expect(timeline.body.events.slice(-6).map((e: { type: string; actor: { role: string } }) => [e.type, e.actor.role])).toEqual([
      ['CLAIM_OPENED', 'buyer'],
      ['CLAIM_EVIDENCE_ADDED', 'buyer'],
      ['CLAIM_COUNTER_OFFER', 'supplier'],
      ['CLAIM_REFUNDED', 'buyer'],
      ['ORDER_SETTLED', 'system'],
      ['REFUND_PAID', 'system'],
    ]);
  });

  it('never over-reserves a supplier\'s Trade Assurance Amount when many confirmations arrive at once', async () => {
    const p = await registerParties();
    // A verified supplier without completed volume is granted 10,000.00 USD.
    expect((await call(stack.opsKey, 'PUT', `/suppliers/${p.supplierId}/assurance`, { qualification: 'verified', currency: 'USD' })).body.assurance)
      .toMatchObject({ granted: 1_000_000, reserved: 0, available: 1_000_000 });
    const orderIds = await Promise.all(Array.from({ length: 12 }, () => draft(p)));
    await Promise.all(orderIds.map((id) => call(p.buyerKey, 'POST', `/orders/${id}/confirm-by-buyer`, {})));
    const confirmations = await Promise.all(orderIds.map((id) => call(p.supplierKey, 'POST', `/orders/${id}/confirm-by-supplier`, {})));
    expect(confirmations.map((r) => r.status)).toEqual(orderIds.map(() => 200));
    const covered = confirmations.map((r) => r.body.order.amounts.covered as number);
    expect(covered.reduce((a, b) => a + b, 0)).toBe(1_000_000);
    expect(covered.every((c) => c >= 0 && c <= 700_000)).toBe(true);
    expect(covered.filter((c) => c > 0).length).toBeGreaterThanOrEqual(2);
    const reservations = await stack.db.coverageReservation.findMany({ where: { supplierId: p.supplierId } });
    expect(reservations).toHaveLength(12);
    expect(reservations.reduce((sum, r) => sum + r.amount, 0n)).toBe(1_000_000n);
    const assurance = await call(p.supplierKey, 'GET', `/suppliers/${p.supplierId}/assurance`);
    expect(assurance.body.assurance).toMatchObject({ granted: 1_000_000, reserved: 1_000_000, available: 0 });
    const listed = await call(p.supplierKey, 'GET', '/orders?status=CONFIRMED&limit=200');
    expect(listed.body.orders.map((o: { orderId: string }) => o.orderId).sort()).toEqual([...orderIds].sort());
    expectError(await call(p.supplierKey, 'GET', `/orders?supplierId=${uniqueId('someone')}`), 403, 'forbidden');
  });

  it("keeps a supplier's settlement currency while open orders hold its coverage, so that no grant is covered twice", async () => {
    const p = await registerParties();
    const assurance = (body: Record<string, unknown>) => call(stack.opsKey, 'PUT', `/suppliers/${p.supplierId}/assurance`, body);
    expect((await assurance({ qualification: 'verified', currency: 'USD' })).body.assurance).toMatchObject({ granted: 1_000_000, reserved: 0 });
    const orderId = await draft(p);
    expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {})).status).toBe(200);
    const confirmed = await call(p.supplierKey, 'POST', `/orders/${orderId}/confirm-by-supplier`, {});
    expect(confirmed.body.order.amounts.covered).toBe(700_000);

    const toEur = await assurance({ qualification: 'verified', currency: 'EUR' });
    expectError(toEur, 409, 'action_refused');
    expect(toEur.body.error.message).toBe(
      `cannot change supplier ${p.supplierId}'s settlement currency to EUR: open orders hold its coverage in another currency (1 holding 700000 USD minor units); change it once they complete, settle or are cancelled`,
    );
    // Nothing changed; the qualification alone may change.
    expect((await call(p.supplierKey, 'GET', `/suppliers/${p.supplierId}/assurance`)).body.assurance).toMatchObject({ currency: 'USD', reserved: 700_000, available: 300_000 });
    expect((await assurance({ qualification: 'gold', currency: 'USD' })).status).toBe(200);

    // Once the order gives its coverage back, the currency may change.
    expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/cancel`, { reason: 'bought elsewhere' })).status).toBe(200);
    await eventually(() => stack.db.coverageReservation.findUniqueOrThrow({ where: { orderId } }), (r) => r.status === 'released', 'the coverage to be released');
    expect((await assurance({ qualification: 'gold', currency: 'EUR' })).body.assurance).toMatchObject({ currency: 'EUR', reserved: 0 });
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
