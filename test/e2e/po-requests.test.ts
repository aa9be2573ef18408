/**
 * End to end: purchase order requests and changes to a draft through the API on the real stack (dev
 * server, worker, PostgreSQL, SMTP): a supplier drafts only from the buyer's open request, once; ops
 * may still draft directly; either party asks for changes and the supplier revises the draft.
 */
import { apiClient, eventually, expectError, Parties, registerParties, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

const shippingDate = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const items = [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1400 }];
const draftBody = (p: Parties, extra: Record<string, unknown> = {}) => ({ buyerId: p.buyerId, currency: 'USD', items, depositAmount: 210_000, shippingDate: shippingDate(30), ...extra });

async function submitRequest(p: Parties, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call(p.buyerKey, 'POST', '/po-requests', {
    supplierId: p.supplierId,
    items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500 }],
    desiredShippingDate: shippingDate(30),
    qualityRequirements: 'matches the golden sample',
    message: 'please draft a purchase order for 500 speakers',
    ...extra,
  });
  expect(res.status).toBe(201);
  return res.body.requestId;
}

describe('purchase order requests through the API', () => {
  it("lets a supplier draft only from the buyer's open request, once; the supplier is emailed the request", async () => {
    const p = await registerParties(stack);
    const other = await registerParties(stack);

    // No request, no draft: a supplier cannot draft an order for a buyer who asked for nothing.
    const unsolicited = await call(p.supplierKey, 'POST', '/orders', draftBody(p));
    expectError(unsolicited, 400, 'invalid_input');
    expect(unsolicited.body.error.fields[0].field).toBe('requestId');

    const requestId = await submitRequest(p);
    const request = await call(p.supplierKey, 'GET', `/po-requests/${requestId}`);
    expect(request.body.request).toMatchObject({ status: 'OPEN', buyerId: p.buyerId, supplierId: p.supplierId, items: [{ quantity: 500 }] });
    expect(Date.parse(request.body.request.deadlines[0].dueAt) - Date.parse(request.body.request.createdAt)).toBe(14 * 86_400_000);
    const mail = await eventually(async () => stack.mail.filter((m) => m.to.includes(p.supplierEmail) && m.subject.includes(requestId)), (m) => m.length > 0, "the supplier's email");
    expect(mail[0].subject).toBe(`[TradeGuard request ${requestId}] new purchase order request`);
    expect(mail[0].text).toContain('500 × Bluetooth speaker');

    // Not another supplier's, not another buyer's, not a buyer's own.
    // Another supplier's request looks exactly like a missing one.
    const missing = await call(other.supplierKey, 'GET', `/po-requests/RQ-NOT-THERE`);
    expectError(missing, 404, 'not_found');
    const othersRead = await call(other.supplierKey, 'GET', `/po-requests/${requestId}`);
    expectError(othersRead, 404, 'not_found');
    expect(othersRead.body.error.message).toBe(`no purchase order request ${requestId}`);
    expectError(await call(other.supplierKey, 'POST', '/orders', draftBody(p, { requestId })), 404, 'not_found');
    const forOther = await call(p.supplierKey, 'POST', '/orders', draftBody(other, { requestId }));
    expectError(forOther, 409, 'action_refused');
    expect(forOther.body.error.message).toBe(`cannot draft for buyer ${other.buyerId}: request ${requestId} is from buyer ${p.buyerId}`);
    expectError(await call(p.supplierKey, 'POST', '/orders', draftBody(p, { requestId: 'RQ-NOT-THERE' })), 404, 'not_found');

    const drafted = await call(p.supplierKey, 'POST', '/orders', draftBody(p, { requestId }));
    expect(drafted.status).toBe(201);
    expect(drafted.body).toMatchObject({ status: 'DRAFT', requestId });
    const orderId: string = drafted.body.orderId;
    expect((await call(p.buyerKey, 'GET', `/orders/${orderId}`)).body.order).toMatchObject({ status: 'DRAFT', buyerId: p.buyerId, supplierId: p.supplierId });
    const closed = await call(p.buyerKey, 'GET', `/po-requests/${requestId}`);
    expect(closed.body.request).toMatchObject({ status: 'DRAFTED', orderId });
    const timeline = await eventually(() => call(p.buyerKey, 'GET', `/orders/${orderId}/timeline`), (r) => r.body?.events?.length > 0, 'the draft in the timeline');
    expect(timeline.body.events[0]).toMatchObject({ type: 'DRAFTED', data: { requestId } });

    // One request, one draft.
    const again = await call(p.supplierKey, 'POST', '/orders', draftBody(p, { requestId }));
    expectError(again, 409, 'action_refused');
    expect(again.body.error.message).toBe(`purchase order request ${requestId} is drafted (purchase order ${orderId}): purchase order ${orderId} was drafted from it; it takes no further actions`);

    // Ops still drafts directly.
    const byOps = await call(stack.opsKey, 'POST', '/orders', draftBody(p, { supplierId: p.supplierId }));
    expect(byOps.status).toBe(201);

    // Each party lists its own requests (Temporal's visibility, a moment behind).
    const listed = await eventually(() => call(p.supplierKey, 'GET', '/po-requests'), (r) => r.body?.requests?.some((x: { requestId: string; status: string }) => x.requestId === requestId && x.status === 'DRAFTED'), 'the request in the list');
    expect(listed.body.requests.every((x: { supplierId: string }) => x.supplierId === p.supplierId)).toBe(true);
    expect((await call(other.buyerKey, 'GET', '/po-requests')).body.requests.map((x: { requestId: string }) => x.requestId)).not.toContain(requestId);
  });

  it('lets the buyer withdraw a request and the supplier decline one; neither takes a draft afterwards', async () => {
    const p = await registerParties(stack);
    const withdrawn = await submitRequest(p);
    expectError(await call(p.supplierKey, 'POST', `/po-requests/${withdrawn}/withdraw`, {}), 403, 'forbidden');
    const w = await call(p.buyerKey, 'POST', `/po-requests/${withdrawn}/withdraw`, { reason: 'ordered elsewhere' });
    expect(w.body.request).toMatchObject({ status: 'WITHDRAWN', closedReason: 'withdrawn by the buyer: ordered elsewhere' });
    const late = await call(p.supplierKey, 'POST', '/orders', draftBody(p, { requestId: withdrawn }));
    expectError(late, 409, 'action_refused');
    expect(late.body.error.message).toMatch(/is withdrawn: withdrawn by the buyer: ordered elsewhere; it takes no further actions$/);

    const declined = await submitRequest(p);
    const d = await call(p.supplierKey, 'POST', `/po-requests/${declined}/decline`, { reason: 'out of stock until March' });
    expect(d.body.request).toMatchObject({ status: 'DECLINED' });
    await eventually(async () => stack.mail.filter((m) => m.to.includes(p.buyerEmail) && m.subject.includes(declined)), (m) => m.length > 0, "the buyer's email");
  });

  it('refuses a request naming the field: no products, a date in the past, an unknown supplier', async () => {
    const p = await registerParties(stack);
    const res = await call(p.buyerKey, 'POST', '/po-requests', {
      supplierId: 'nobody-here',
      items: [{ description: 'speaker', quantity: 5 }],
      desiredShippingDate: '2020-01-01',
      message: 'hello',
    });
    expectError(res, 400, 'invalid_input');
    expect(res.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['desiredShippingDate', 'supplierId']);
    expectError(await call(p.supplierKey, 'POST', '/po-requests', { supplierId: p.supplierId, items: [{ description: 'x', quantity: 1 }], desiredShippingDate: shippingDate(9), message: 'm' }), 403, 'forbidden');
    const empty = await call(p.buyerKey, 'POST', '/po-requests', { supplierId: p.supplierId, items: [], desiredShippingDate: shippingDate(9), message: 'm' });
    expect(empty.body.error.fields[0].field).toBe('items');
  });
});

describe('changes to a draft through the API', () => {
  it("asks for changes (voiding the buyer's confirmation), revises, and confirms the new terms", async () => {
    const p = await registerParties(stack);
    const requestId = await submitRequest(p);
    const orderId: string = (await call(p.supplierKey, 'POST', '/orders', draftBody(p, { requestId }))).body.orderId;
    expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {})).status).toBe(200);

    const asked = await call(p.buyerKey, 'POST', `/orders/${orderId}/request-changes`, { message: '400 units, please' });
    expect(asked.status).toBe(200);
    expect(asked.body.order).toMatchObject({ status: 'DRAFT', changesPending: true });
    const early = await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {});
    expectError(early, 409, 'action_refused');
    expect(early.body.error.message).toMatch(/the supplier revises the draft first$/);

    const badRevision = await call(p.supplierKey, 'POST', `/orders/${orderId}/revise`, { ...draftBody(p), buyerId: undefined, depositAmount: 9_000_000 });
    expectError(badRevision, 400, 'invalid_input');
    expect(badRevision.body.error.fields).toEqual([{ field: 'depositAmount', reason: 'the deposit cannot exceed the order total' }]);
    expectError(await call(p.buyerKey, 'POST', `/orders/${orderId}/revise`, { currency: 'USD', items, depositAmount: 1, shippingDate: shippingDate(30) }), 403, 'forbidden');

    const revised = await call(p.supplierKey, 'POST', `/orders/${orderId}/revise`, {
      currency: 'USD',
      items: [{ ...items[0], quantity: 400 }],
      depositAmount: 168_000,
      shippingDate: shippingDate(35),
      message: '400 units as asked',
    });
    expect(revised.status).toBe(200);
    expect(revised.body.order).toMatchObject({ status: 'DRAFT', draftRevision: 2, amounts: { total: 560_000, deposit: 168_000 }, shippingDate: shippingDate(35) });
    expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {})).status).toBe(200);
    expect((await call(p.supplierKey, 'POST', `/orders/${orderId}/confirm-by-supplier`, {})).body.order.status).toBe('CONFIRMED');

    const timeline = await eventually(() => call(p.buyerKey, 'GET', `/orders/${orderId}/timeline`), (r) => r.body?.events?.length >= 6, 'the revisions in the timeline');
    expect(timeline.body.events.map((e: { type: string }) => e.type)).toEqual(['DRAFTED', 'BUYER_CONFIRMED', 'CHANGES_REQUESTED', 'DRAFT_REVISED', 'BUYER_CONFIRMED', 'SUPPLIER_CONFIRMED']);
    const row = await stack.db.order.findUnique({ where: { id: orderId } });
    expect(Number(row?.totalAmount)).toBe(560_000);
    const mails = await eventually(async () => stack.mail.filter((m) => m.to.includes(p.buyerEmail) && m.subject.includes('revision 2')), (m) => m.length > 0, 'the revision email');
    expect(mails[0].subject).toBe(`[TradeGuard ${orderId}] purchase order revised (revision 2): please review and confirm`);
  });
});
