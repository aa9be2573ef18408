/**
 * End to end: after-service cases through the API on the real stack (dev server, worker, PostgreSQL,
 * SMTP, local file storage): a quality case on a delivered order refunded in part through the order's
 * escrow, a change/cancel request accepted inside its 24 h window, a manual order's no-reason return,
 * and the refusals (outside the window, another buyer's order, bad input).
 */
import { uniqueId } from '../support/env';
import { apiClient, eventually, expectError, orderThrough, Parties, Reply, registerParties as registerPartiesOf, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

const registerParties = (): Promise<Parties> => registerPartiesOf(stack);

/** An order of 7,000.00 USD taken as far as `until`. */
const order = (p: Parties, until: 'paid' | 'delivered'): Promise<string> => orderThrough(stack, p, until);

const caseState = (key: string, caseId: string) => call(key, 'GET', `/cases/${caseId}`);
const mailTo = (to: string, subject: RegExp) => stack.mail.filter((m) => m.to.includes(to) && subject.test(m.subject));

async function upload(key: string, route: string, contentType: string, bytes: Buffer): Promise<Reply> {
  const res = await fetch(`${stack.apiUrl}${route}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body: bytes });
  return { status: res.status, body: await res.json() };
}

describe('after-service cases through the API', () => {
  it('a quality case on a delivered order: first reply, evidence, a partial refund out of escrow, confirmation, and the emails', async () => {
    const p = await registerParties();
    const orderId = await order(p, 'delivered');
    const opened = await call(p.buyerKey, 'POST', '/cases', { orderId, type: 'QUALITY', description: 'three speakers arrived with cracked grilles' });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ status: 'AWAITING_REPLY', window: { basis: 'delivery', rule: 'product guarantee within 30 days after delivery' } });
    const caseId: string = opened.body.caseId;
    const act = (key: string, action: string, body: unknown) => call(key, 'POST', `/cases/${caseId}/${action}`, body);

    await eventually(async () => mailTo(p.buyerEmail, /we received your after-service request/), (m) => m.length === 1, 'the acknowledgement email');
    await eventually(async () => mailTo('ops@tradeguard.test', new RegExp(`case ${caseId}\\] new QUALITY case`)), (m) => m.length === 1, "ops' new-case email");

    const deadlines = await call(p.buyerKey, 'GET', `/cases/${caseId}/deadlines`);
    expect(deadlines.body.deadlines.map((d: { kind: string }) => d.kind)).toEqual(['first-reply-reminder', 'first-reply']);

    // The buyer cannot give the team's first reply; the supplier can.
    expectError(await act(p.buyerKey, 'reply', { message: 'hello?' }), 409, 'action_refused');
    const replied = await act(p.supplierKey, 'reply', { message: 'Sorry: please send photos of the grilles.' });
    expect(replied.status).toBe(200);
    expect(replied.body.case).toMatchObject({ status: 'IN_PROGRESS', deadlines: [] });

    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(uniqueId('grille'))]);
    const evidence = await upload(p.buyerKey, `/cases/${caseId}/evidence?name=grille.png`, 'image/png', png);
    expect(evidence.status).toBe(201);
    const back = await fetch(`${stack.apiUrl}/cases/${caseId}/files/${evidence.body.file.fileId}`, { headers: { authorization: `Bearer ${stack.opsKey}` } });
    expect(Buffer.from(await back.arrayBuffer()).equals(png)).toBe(true);

    // Ops resolves: more than was paid is refused and changes nothing; a partial refund goes through the order.
    expectError(await act(p.buyerKey, 'resolve', { kind: 'REFUND', reason: 'x' }), 403, 'forbidden');
    const tooMuch = await act(stack.opsKey, 'resolve', { kind: 'PARTIAL_REFUND', amount: 800_000, reason: 'x' });
    expectError(tooMuch, 409, 'action_refused');
    expect(tooMuch.body.error.message).toBe('cannot refund 8,000.00 USD: at most 7,000.00 USD is refundable (7,000.00 USD paid)');
    const resolved = await act(stack.opsKey, 'resolve', { kind: 'PARTIAL_REFUND', amount: 4_200, reason: 'three of 500 units cracked' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.case).toMatchObject({ status: 'AWAITING_CONFIRMATION', refunded: 4_200, resolution: { kind: 'PARTIAL_REFUND', amount: 4_200 } });

    const o = (await call(p.buyerKey, 'GET', `/orders/${orderId}`)).body.order;
    expect(o.amounts).toMatchObject({ paid: 700_000, held: 695_800, refunded: 4_200 });
    const refunds = await stack.db.ledgerTransaction.findMany({ where: { orderId, kind: 'escrow_refund' }, include: { entries: true } });
    expect(refunds).toHaveLength(1);
    expect(refunds[0].id).toMatch(new RegExp(`^order:${orderId}:case:${caseId}:refund:\\d+:escrow$`));
    expect(refunds[0].entries.map((e) => [e.account, Number(e.amount)]).sort()).toEqual([
      [`buyer:${p.buyerId}:funding`, 4_200],
      [`escrow:order:${orderId}`, -4_200],
    ]);
    await eventually(async () => mailTo(p.buyerEmail, /your case is resolved/), (m) => m.length === 1, 'the resolution email');
    expect(mailTo(p.buyerEmail, /your case is resolved/)[0].text).toContain('We refunded 42.00 USD');

    const confirmed = await act(p.buyerKey, 'confirm', { satisfied: true, comment: 'thanks' });
    expect(confirmed.body.case).toMatchObject({ status: 'CLOSED', confirmation: { by: 'customer', satisfied: true } });
    expectError(await act(stack.opsKey, 'resolve', { kind: 'REFUND', reason: 'again' }), 409, 'action_refused');

    const timeline = await eventually(() => call(p.buyerKey, 'GET', `/cases/${caseId}/timeline`), (r) => r.body?.events?.length === 5, 'the case timeline');
    expect(timeline.body.events.map((e: { type: string }) => e.type)).toEqual(['OPENED', 'FIRST_REPLY', 'EVIDENCE_ADDED', 'RESOLVED_PARTIAL_REFUND', 'CONFIRMED']);
    const overview = await call(p.buyerKey, 'GET', `/cases/${caseId}/overview`);
    expect(overview.body.state).toMatchObject({ caseId, status: 'CLOSED' });
    expect(overview.body.timeline.map((e: { type: string }) => e.type)).toEqual(timeline.body.events.map((e: { type: string }) => e.type));
    expect(overview.body.deadlines).toEqual([]);
    expectError(await call((await registerParties()).buyerKey, 'GET', `/cases/${caseId}/overview`), 404, 'not_found');
    const row = await stack.db.afterServiceCase.findUniqueOrThrow({ where: { id: caseId } });
    expect(row).toMatchObject({ status: 'CLOSED', category: 'quality', type: 'QUALITY', refundedAmount: 4_200n, resolution: 'PARTIAL_REFUND' });
    const listed = await call(p.buyerKey, 'GET', `/cases?orderId=${orderId}`);
    expect(listed.body.cases.map((c: { caseId: string }) => c.caseId)).toEqual([caseId]);
  });

  it('cancels a paid, unshipped order automatically inside 24 h, refunding the escrow; a tracking case before shipment is refused', async () => {
    const p = await registerParties();
    const orderId = await order(p, 'paid');
    const early = await call(p.buyerKey, 'POST', '/cases', { orderId, type: 'TRACKING', description: 'where is it?' });
    expectError(early, 409, 'action_refused');
    expect(early.body.error.message).toBe('cannot open a TRACKING case: the order has not shipped: there is no parcel to track yet');

    const opened = await call(p.buyerKey, 'POST', '/cases', { orderId, type: 'CHANGE_CANCEL', request: 'CANCEL', description: 'ordered the wrong model' });
    expect(opened.status).toBe(201);
    expect(opened.body.window).toMatchObject({ automatic: true });
    const caseId: string = opened.body.caseId;
    const accepted = await eventually(() => caseState(p.buyerKey, caseId), (r) => r.body?.case?.status === 'AWAITING_CONFIRMATION', 'the automatic acceptance');
    expect(accepted.body.case.resolution).toMatchObject({ kind: 'ORDER_CANCELLED' });
    const o = await eventually(() => call(p.buyerKey, 'GET', `/orders/${orderId}`), (r) => r.body?.order?.status === 'CANCELLED', 'the order to cancel');
    expect(o.body.order.amounts).toMatchObject({ paid: 700_000, held: 0, refunded: 700_000 });
  });

  it("a manual order: entered, shipped and delivered by ops; a no-reason return at the buyer's cost, refunded from the after-service budget", async () => {
    const manualOrderId = uniqueId('MO');
    const customerEmail = `${manualOrderId.toLowerCase()}@customer.example`;
    const body = {
      manualOrderId,
      customerName: 'Ana Souza',
      customerEmail,
      address: { line1: 'Rua Augusta 100', city: 'São Paulo', postalCode: '01304-000', country: 'BR' },
      items: [{ sku: 'BT-SPK-200', quantity: 2 }],
      currency: 'USD',
      totalAmount: 5_000,
      paidAt: new Date(Date.now() - 3_600_000).toISOString(),
      reason: 'ordered by phone during the checkout outage',
    };
    const bad = await call(stack.opsKey, 'POST', '/manual-orders', { ...body, address: { ...body.address, country: 'Brazil' }, totalAmount: -5 });
    expectError(bad, 400, 'invalid_input');
    expect(bad.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['address.country', 'totalAmount']);
    expect((await call(stack.opsKey, 'GET', `/manual-orders/${manualOrderId}`)).status).toBe(404);

    const created = await call(stack.opsKey, 'POST', '/manual-orders', body);
    expect(created.status).toBe(201);
    expect(created.body.manualOrder).toMatchObject({ status: 'PAID', amount: { total: 5_000, currency: 'USD' } });
    expectError(await call(stack.opsKey, 'POST', '/manual-orders', body), 409, 'conflict');
    expectError(await call(stack.opsKey, 'POST', `/manual-orders/${manualOrderId}/deliver`, {}), 409, 'action_refused');
    expect((await call(stack.opsKey, 'POST', `/manual-orders/${manualOrderId}/ship`, { carrier: 'Correios', trackingNumber: 'BR123456789' })).status).toBe(200);
    const shipment = await stack.db.shipment.findUniqueOrThrow({ where: { id: `manual:${manualOrderId}` } });
    expect(shipment).toMatchObject({ source: 'manual', inFlight: true, carrier: 'Correios' });
    expect((await call(stack.opsKey, 'POST', `/manual-orders/${manualOrderId}/deliver`, {})).body.manualOrder.status).toBe('DELIVERED');

    const opened = await call(stack.opsKey, 'POST', '/cases', { orderId: manualOrderId, orderSource: 'manual', type: 'RETURN', description: 'does not want them any more' });
    expect(opened.status).toBe(201);
    const caseId: string = opened.body.caseId;
    const act = (action: string, b: unknown) => call(stack.opsKey, 'POST', `/cases/${caseId}/${action}`, b);
    const awaiting = await act('resolve', { kind: 'RETURN_AND_REFUND', reason: 'no-reason return', productFine: true });
    expect(awaiting.body.case).toMatchObject({ status: 'AWAITING_RETURN', resolution: { shippingPaidBy: 'buyer', amount: 5_000 } });
    const received = await act('receive-return', { note: 'both units back, sealed' });
    expect(received.body.case).toMatchObject({ status: 'AWAITING_CONFIRMATION', refunded: 5_000 });
    const refund = await stack.db.ledgerTransaction.findUniqueOrThrow({ where: { id: `case:${caseId}:return-refund` }, include: { entries: true } });
    expect(refund.kind).toBe('after_service_refund');
    expect(refund.entries.map((e) => [e.account, Number(e.amount)]).sort()).toEqual([
      [`customer:manual:${manualOrderId}`, 5_000],
      ['platform:after-service', -5_000],
    ]);
    await eventually(async () => mailTo(customerEmail, /return received: refund sent/), (m) => m.length === 1, "the customer's refund email");
    expect(mailTo(customerEmail, /please send|your case is resolved/)[0].text).toContain("Return shipping is at the buyer's cost");
  });

  it("refuses bad input naming the fields, and another buyer's order", async () => {
    const p = await registerParties();
    const other = await registerParties();
    const orderId = await order(p, 'paid');
    const missing = await call(p.buyerKey, 'POST', '/cases', { orderId, type: 'CHANGE_CANCEL', description: 'x' });
    expectError(missing, 400, 'invalid_input');
    expect(missing.body.error.fields).toEqual([{ field: 'request', reason: 'is required for a CHANGE_CANCEL case: CHANGE or CANCEL' }]);
    const wrong = await call(p.buyerKey, 'POST', '/cases', { orderId, type: 'LOST', description: '' });
    expect(wrong.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['description', 'type']);
    expectError(await call(other.buyerKey, 'POST', '/cases', { orderId, type: 'CHANGE_CANCEL', request: 'CHANGE', description: 'x' }), 404, 'not_found');
    expect(await stack.db.afterServiceCase.count({ where: { orderId } })).toBe(0);
  });
});
