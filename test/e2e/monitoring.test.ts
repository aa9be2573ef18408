/**
 * End to end: Production Monitoring & Inspection through the API on the real stack (dev server,
 * worker, PostgreSQL, SMTP, sandbox card gateway, local file storage): book, pay by card, upload a
 * sample picture, inspect, upload the report, download it; the emails that arrived; the refusals.
 */
import { ChargeRequest, ChargeResult, SandboxCardGateway } from '../../adapters/payments';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createTaskAfterAction } from '../../api/after-action';
import { MONITORING_WORKFLOW_TYPE, getMonitoringQuery, monitoringWorkflowId, orderCancelledSignal } from '../../workflows/monitoring.messages';
import { sampleMonitoringInput } from '../support/monitoring-fixtures';
import { reserveMonitoringUpdate } from '../../workflows/order.messages';
import { Prisma } from '../../generated/prisma/client';
import { getCalendar, localDate } from '../../workflows/calendar';
import { uniqueId } from '../support/env';
import { apiClient, eventually, expectError, orderThrough, Parties, Reply, registerParties as registerPartiesOf, startTestStack, TestStack, draftFromRequest } from '../support/stack';

/**
 * The sandbox gateway, with a gate a test can close on the card ending in some digits: that card's
 * charge (made by the worker's activity, from the card's token) waits until the test opens it.
 */
class GatedSandbox extends SandboxCardGateway {
  readonly results: (ChargeResult & { last4: string })[] = [];
  gate?: { last4: string; reached: () => void; open: Promise<void> };

  override async charge(req: ChargeRequest): Promise<ChargeResult> {
    const last4 = /_(\d{4})_[0-9a-f]{16}$/.exec(req.paymentMethod)?.[1] ?? '';
    const gate = this.gate;
    if (gate && last4 === gate.last4) {
      gate.reached();
      await gate.open;
    }
    const result = await super.charge(req);
    this.results.push({ ...result, last4 });
    return result;
  }
}

const gateway = new GatedSandbox();
let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack({ payments: gateway });
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

const registerParties = (): Promise<Parties> => registerPartiesOf(stack, { assurance: false });

async function draftOrder(p: Parties, shipInDays: number): Promise<string> {
  const res = await draftFromRequest(stack.apiUrl, p, {
    buyerId: p.buyerId,
    currency: 'USD',
    items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1250 }],
    depositAmount: 210_000,
    shippingDate: new Date(Date.now() + shipInDays * 86_400_000).toISOString().slice(0, 10),
    shippingMarks: 'ACME / C/No. 1-50',
    packaging: '10 units per export carton',
  });
  expect(res.status).toBe(201);
  return res.body.orderId;
}



async function upload(key: string, route: string, contentType: string, bytes: Buffer): Promise<Reply> {
  const res = await fetch(`${stack.apiUrl}${route}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body: bytes });
  return { status: res.status, body: await res.json() };
}

/** An order both parties confirmed, shipping in 30 days, and a task its buyer booked from the order's details. */
async function bookedOnConfirmedOrder(): Promise<{ p: Parties; orderId: string; id: string }> {
  const p = await registerParties();
  const orderId = await draftOrder(p, 30);
  expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {})).status).toBe(200);
  expect((await call(p.supplierKey, 'POST', `/orders/${orderId}/confirm-by-supplier`, {})).status).toBe(200);
  const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
  expect(booked.status).toBe(201);
  return { p, orderId, id: booked.body.monitoringId };
}

const card = (number: string) => ({ card: { number, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' } });

describe('production monitoring through the API', () => {
  it("answers an action with the task as its workflow holds it after the action, read from the task's row, or from the workflow when the row is not current", async () => {
    const { p, id } = await bookedOnConfirmedOrder();
    const queries = jest.spyOn(stack.client.workflowService, 'queryWorkflow');
    const queriesOfTask = () => queries.mock.calls.filter(([req]) => req.execution?.workflowId === `monitoring:${id}`).length;
    try {
      // A Visa card of its own (the gateway's charges are shared by this file's tests, which tell theirs by the last four digits).
      const paid = await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, card('4012888888881881'));
      expect(paid.status).toBe(200);
      expect(paid.body.monitoring).toMatchObject({ monitoringId: id, status: 'AWAITING_INSPECTOR', payment: { last4: '1881' } });
      // Answered from the row: no Query went to the task.
      expect(queriesOfTask()).toBe(0);
      // Nothing happened since: the answer is what the workflow's Query says now, field for field.
      const live = (await call(p.buyerKey, 'GET', `/monitoring/${id}`)).body.monitoring;
      expect(paid.body.monitoring).toEqual(live);
      const row = await stack.db.monitoringTask.findUniqueOrThrow({ where: { id }, select: { revision: true, view: true } });
      expect(row).toEqual({ revision: live.revision, view: live });

      const taskAfterAction = createTaskAfterAction(stack.client, stack.db);
      // A row at the action's revision answers by itself, whatever the workflow would say.
      await stack.db.monitoringTask.update({ where: { id }, data: { view: { ...live, closedReason: 'held in the row' } } });
      expect(await taskAfterAction(id, live.revision)).toMatchObject({ closedReason: 'held in the row' });
      // A row without the task in it (written by earlier code), or behind the action's revision: the workflow answers.
      await stack.db.monitoringTask.update({ where: { id }, data: { view: Prisma.DbNull } });
      expect(await taskAfterAction(id, live.revision)).toEqual(live);
      await stack.db.monitoringTask.update({ where: { id }, data: { view: { ...live, revision: live.revision - 1, status: 'AWAITING_PAYMENT' }, revision: live.revision - 1 } });
      expect(await taskAfterAction(id, live.revision)).toEqual(live);

      // The next action writes the row and its view again, and answers from it.
      const before = queriesOfTask();
      const checkDate = localDate(getCalendar('CN'), Date.now());
      const assigned = await call(stack.opsKey, 'POST', `/monitoring/${id}/assign-inspector`, { inspector: 'Li Wei', checkDate });
      expect(assigned.status).toBe(200);
      expect(assigned.body.monitoring).toMatchObject({ status: 'INSPECTION_SCHEDULED', revision: live.revision + 1, inspector: { name: 'Li Wei', checkDate } });
      expect(queriesOfTask()).toBe(before);
      expect(assigned.body.monitoring).toEqual((await call(p.buyerKey, 'GET', `/monitoring/${id}`)).body.monitoring);
      expect(await stack.db.monitoringTask.findUniqueOrThrow({ where: { id }, select: { revision: true } })).toEqual({ revision: live.revision + 1 });
    } finally {
      queries.mockRestore();
    }
  });

  it('closes with its order: a cancelled order cancels its tasks, a paid fee refunded by policy; a task still unpaid closes too', async () => {
    const { p, orderId, id } = await bookedOnConfirmedOrder();
    // A second task on the same order, never paid.
    const unpaid = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expect(unpaid.status).toBe(201);
    const paid = await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, card('4000056655665556'));
    expect(paid.status).toBe(200);
    expect(paid.body.monitoring).toMatchObject({ status: 'AWAITING_INSPECTOR', fee: { paid: 29_900, refunded: 0 } });
    await eventually(() => call(p.buyerKey, 'GET', `/orders/${orderId}`), (r) => (r.body?.order?.monitoringIds ?? []).length === 2, 'the order to record both tasks');

    expect((await call(p.supplierKey, 'POST', `/orders/${orderId}/cancel`, { reason: 'factory closed' })).status).toBe(200);
    const closed = await eventually(() => call(p.buyerKey, 'GET', `/monitoring/${id}`), (r) => r.body?.monitoring?.status === 'CANCELLED', 'the paid task to close with its order');
    expect(closed.body.monitoring).toMatchObject({ fee: { paid: 29_900, refunded: 29_900 }, closedReason: `its order ${orderId} was cancelled: factory closed (by the supplier)` });
    expect(gateway.refundedAmount(paid.body.monitoring.payment.paymentId)).toBe(29_900);
    const other = await eventually(() => call(p.buyerKey, 'GET', `/monitoring/${unpaid.body.monitoringId}`), (r) => r.body?.monitoring?.status === 'CANCELLED', 'the unpaid task to close with its order');
    expect(other.body.monitoring.fee).toMatchObject({ paid: 0, refunded: 0 });
    // The timeline (the read model) records it once the change is written.
    const timeline = await eventually(() => call(p.buyerKey, 'GET', `/monitoring/${id}/timeline`), (r) => r.body?.events?.at(-1)?.type === 'CANCELLED', 'the timeline to record the cancellation');
    expect(timeline.body.events.at(-1).summary).toBe(
      `Service cancelled: its order ${orderId} was cancelled: factory closed (by the supplier); cancelled before an inspector is assigned: 100% of the fee is refunded: 299.00 USD refunded`,
    );
  });

  it("books at most the order's limit of monitoring tasks, however many bookings arrive at once, and starts nothing for a refused one", async () => {
    const { p, orderId, id: first } = await bookedOnConfirmedOrder();
    const book = () => call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    const replies = await Promise.all(Array.from({ length: 8 }, book));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 409, 409, 409, 409]);
    for (const refused of replies.filter((r) => r.status === 409)) {
      expect(refused.body.error).toMatchObject({
        code: 'action_refused',
        message: `cannot book production monitoring: order ${orderId} already has 5 monitoring tasks, the most allowed (limit maxMonitoringTasks = 5)`,
      });
    }
    const booked = [first, ...replies.filter((r) => r.status === 201).map((r) => r.body.monitoringId as string)].sort();
    // Each task links itself to the order once it starts.
    const order = await eventually(() => call(p.buyerKey, 'GET', `/orders/${orderId}`), (r) => (r.body?.order?.monitoringIds ?? []).length === 5, 'the five tasks to link themselves');
    expect([...order.body.order.monitoringIds].sort()).toEqual(booked);
    expect([...order.body.order.monitoringReservations].sort()).toEqual(booked);
    // Only the five booked tasks run: a refused booking started no workflow.
    // (The search attributes are visible once each task's first workflow task ran.)
    const count = () => stack.client.workflow.count(`WorkflowType = 'productionMonitoringWorkflow' AND TradeGuardBuyer = '${p.buyerId}'`);
    expect((await eventually(count, (c) => c.count >= 5, 'the booked tasks to be visible')).count).toBe(5);
    expectError(await book(), 409, 'action_refused');
  });

  it("holds the order's limit when its places are asked for at once, straight to the workflow (the API sends one order's Updates in turn)", async () => {
    const { orderId } = await bookedOnConfirmedOrder();
    const handle = stack.client.workflow.getHandle(`order:${orderId}`);
    const asks = Array.from({ length: 8 }, (_, i) =>
      handle.executeUpdate(reserveMonitoringUpdate, { args: [{ actor: { role: 'ops' }, monitoringId: `${orderId}-at-once-${i}` }] }).then(
        () => 'taken',
        (err: unknown) => (err instanceof WorkflowUpdateFailedError ? (err.cause as Error).message : String(err)),
      ),
    );
    const answers = await Promise.all(asks);
    expect(answers.filter((a) => a === 'taken')).toHaveLength(4);
    expect(answers.filter((a) => a !== 'taken')).toEqual(Array(4).fill(`cannot book production monitoring: order ${orderId} already has 5 monitoring tasks, the most allowed (limit maxMonitoringTasks = 5)`));
    const order = (await call(stack.opsKey, 'GET', `/orders/${orderId}`)).body.order;
    expect(order.monitoringReservations).toHaveLength(5);
  });

  it("keeps a task out of another order's reach: booking its id on another order takes no link, and that order's cancellation leaves it alone", async () => {
    const { p, id: victim } = await bookedOnConfirmedOrder();
    const paid = await call(p.buyerKey, 'POST', `/monitoring/${victim}/pay`, card('4000056655665556'));
    expect(paid.status).toBe(200);
    // Another order, of other parties: its buyer books naming the first task's id.
    const other = await bookedOnConfirmedOrder();
    const taken = await call(other.p.buyerKey, 'POST', '/monitoring', { monitoringId: victim, orderId: other.orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expectError(taken, 409, 'conflict');
    expect((await call(other.p.buyerKey, 'POST', `/orders/${other.orderId}/cancel`, { reason: 'changed my mind' })).status).toBe(200);
    // The other order's own task closes with it; the first order's task does not.
    await eventually(() => call(other.p.buyerKey, 'GET', `/monitoring/${other.id}`), (r) => r.body?.monitoring?.status === 'CANCELLED', "the other order's task to close");
    const cancelledOrder = (await call(other.p.buyerKey, 'GET', `/orders/${other.orderId}`)).body.order;
    expect(cancelledOrder.monitoringIds).toEqual([other.id]);
    expect(cancelledOrder.monitoringReservations).toContain(victim);
    // And a signal from another order is not taken, even sent straight to the task.
    await stack.client.workflow.getHandle(`monitoring:${victim}`).signal(orderCancelledSignal, { orderId: other.orderId, reason: 'not yours' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await call(p.buyerKey, 'GET', `/monitoring/${victim}`)).body.monitoring).toMatchObject({ status: 'AWAITING_INSPECTOR', fee: { paid: 29_900, refunded: 0 } });
  });

  it('closes a task whose order ended cancelled before the task could link to it (booked just before the cancellation)', async () => {
    const p = await registerParties();
    const orderId = await draftOrder(p, 40);
    for (const [key, action] of [[p.buyerKey, 'confirm-by-buyer'], [p.supplierKey, 'confirm-by-supplier']] as const) {
      expect((await call(key, 'POST', `/orders/${orderId}/${action}`, {})).status).toBe(200);
    }
    const shipmentDate = (await call(p.buyerKey, 'GET', `/orders/${orderId}`)).body.order.shippingDate.slice(0, 10);
    expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/cancel`, { reason: 'ordered the wrong model' })).status).toBe(200);
    await eventually(() => stack.client.workflow.getHandle(`order:${orderId}`).describe(), (d) => d.status.name !== 'RUNNING', "the order's workflow to end");
    // The booking passed the API's check while the order was open; its task starts after the order ended.
    const task = sampleMonitoringInput(uniqueId('PM'), shipmentDate, { orderId, buyerId: p.buyerId, supplierId: p.supplierId, createdBy: { role: 'buyer', partyId: p.buyerId } });
    const h = await stack.client.workflow.start(MONITORING_WORKFLOW_TYPE, { taskQueue: stack.taskQueue, workflowId: monitoringWorkflowId(task.monitoringId), args: [task] });
    const closed = await eventually(() => h.query(getMonitoringQuery), (s) => s.status === 'CANCELLED', 'the task to close with its ended order');
    expect(closed).toMatchObject({ closedReason: `its order ${orderId} was cancelled before the task could link to it`, fee: { paid: 0, refunded: 0 }, deadlines: [] });
  });

  it("follows its order: the order's shipping extension moves the task's booking cutoff", async () => {
    const { p, orderId, id } = await bookedOnConfirmedOrder();
    await eventually(() => call(p.buyerKey, 'GET', `/orders/${orderId}`), (r) => (r.body?.order?.monitoringIds ?? []).includes(id), 'the order to record its task');
    const before = (await call(p.buyerKey, 'GET', `/monitoring/${id}`)).body.monitoring;
    const later = new Date(Date.parse(`${before.shipmentDate}T00:00:00Z`) + 14 * 86_400_000).toISOString().slice(0, 10);
    expect((await call(p.buyerKey, 'POST', `/orders/${orderId}/extend-shipping`, { shippingDate: later })).status).toBe(200);
    const moved = await eventually(() => call(p.buyerKey, 'GET', `/monitoring/${id}`), (r) => r.body?.monitoring?.shipmentDate === later, 'the task to follow the new date');
    expect(Date.parse(moved.body.monitoring.bookingCutoffAt)).toBeGreaterThan(Date.parse(before.bookingCutoffAt));
    const timeline = await eventually(() => call(p.buyerKey, 'GET', `/monitoring/${id}/timeline`), (r) => r.body?.events?.some((e: { type: string }) => e.type === 'SHIPMENT_DATE_CHANGED'), 'the change in the timeline');
    expect(timeline.body.events.find((e: { type: string }) => e.type === 'SHIPMENT_DATE_CHANGED')).toMatchObject({ actor: { role: 'system' } });
  });

  it('charges one card at a time: a second card waits for the first and is refused uncharged; the paying card again charges nothing', async () => {
    const p = await registerParties();
    const orderId = await draftOrder(p, 30);
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expect(booked.status).toBe(201);
    const id: string = booked.body.monitoringId;
    const pay = (number: string) => call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, card(number));

    // The MasterCard charge waits at the gateway while the Visa payment arrives.
    let reached!: () => void;
    let open!: () => void;
    const atGate = new Promise<void>((r) => (reached = r));
    gateway.gate = { last4: '4444', reached, open: new Promise<void>((r) => (open = r)) };
    const first = pay('5555555555554444');
    await atGate;
    const second = pay('4242424242424242');
    await new Promise((r) => setTimeout(r, 500));
    open();
    const [paid, refused] = await Promise.all([first, second]);
    gateway.gate = undefined;
    expect(paid.status).toBe(200);
    expectError(refused, 409, 'action_refused');
    expect(refused.body.error.message).toMatch(/the fee is already paid by MasterCard ending 4444/);
    const mine = () => gateway.results.filter((r) => r.paymentId === paid.body.monitoring.payment.paymentId || r.last4 === '4242');
    expect(mine().map((r) => [r.last4, r.status])).toEqual([['4444', 'succeeded']]);
    expect(gateway.refundedAmount(paid.body.monitoring.payment.paymentId)).toBe(0);
    const task = (await call(p.buyerKey, 'GET', `/monitoring/${id}`)).body.monitoring;
    expect(task).toMatchObject({ status: 'AWAITING_INSPECTOR', payment: { last4: '4444', paymentId: paid.body.monitoring.payment.paymentId }, fee: { paid: 29_900, refunded: 0 } });

    // Paid: another card is refused before the gateway is asked; the paying card's retry is the same payment.
    const charges = gateway.results.length;
    const third = await pay('5105105105105100');
    expectError(third, 409, 'action_refused');
    expect(third.body.error.message).toMatch(/already paid by MasterCard ending 4444/);
    const retry = await pay('5555555555554444');
    expect(retry.status).toBe(200);
    expect(retry.body.monitoring.payment.paymentId).toBe(paid.body.monitoring.payment.paymentId);
    expect(gateway.results.length).toBe(charges);
  });

  it('answers a card processor that keeps failing with 503 after the workflow retried it, and charges nothing', async () => {
    const p = await registerParties();
    const orderId = await draftOrder(p, 30);
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    const id: string = booked.body.monitoringId;
    const before = gateway.results.length;
    const failed = await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, card('4000000000000119'));
    expectError(failed, 503, 'unavailable');
    expect(failed.body.error.message).toMatch(/nothing was charged, retry shortly/);
    const attempts = gateway.results.slice(before).filter((r) => r.last4 === '0119');
    expect(attempts.length).toBe(4);
    expect(attempts.every((r) => r.status === 'error')).toBe(true);
    expect((await call(p.buyerKey, 'GET', `/monitoring/${id}`)).body.monitoring).toMatchObject({ status: 'AWAITING_PAYMENT', fee: { paid: 0 } });
    expect((await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, card('4242424242424242'))).status).toBe(200);
  });

  it('charges once when the processor took a charge but its answers were lost: 503 "not confirmed", then paying again with another card settles that same charge', async () => {
    const p = await registerParties();
    const orderId = await draftOrder(p, 30);
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    const id: string = booked.body.monitoringId;
    const before = gateway.results.length;
    const lost = await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, card(SandboxCardGateway.TEST_CARDS.answerLost));
    expectError(lost, 503, 'unavailable');
    expect(lost.body.error.message).toBe(
      'payment not confirmed: the card processor did not answer, so the charge of 299.00 USD to Visa ending 0341 may have been taken; pay again to settle it: that same charge is asked again first, never a second one',
    );
    expect((await call(p.buyerKey, 'GET', `/monitoring/${id}`)).body.monitoring).toMatchObject({ status: 'AWAITING_PAYMENT', fee: { paid: 0 }, uncertainCharge: { amount: 29_900, card: { brand: 'visa', last4: '0341' } } });
    // The unconfirmed card is the buyer's business: the supplier does not see it.
    const seenBySupplier = (await call(p.supplierKey, 'GET', `/monitoring/${id}`)).body.monitoring;
    expect(seenBySupplier.status).toBe('AWAITING_PAYMENT');
    expect('uncertainCharge' in seenBySupplier).toBe(false);
    // The buyer pays again with another card: the charge asked first is asked again, answers that it was taken, and the Visa ending 4242 is never charged.
    const again = await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, card('4242424242424242'));
    expect(again.status).toBe(200);
    expect(again.body.monitoring).toMatchObject({ status: 'AWAITING_INSPECTOR', fee: { paid: 29_900 }, payment: { brand: 'visa', last4: '0341' } });
    const asked = gateway.results.slice(before);
    expect(asked.map((r) => [r.last4, r.status])).toEqual([...Array(4).fill(['0341', 'unknown']), ['0341', 'succeeded']]);
    expect(asked.filter((r) => r.last4 === '4242')).toEqual([]);
  });

  it('books, pays by Visa, takes a sample picture, inspects, delivers the report for download, and emails each step', async () => {
    const p = await registerParties();
    const orderId = await draftOrder(p, 30);
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE', innerCartonMarkings: 'BT-SPK-200 x10' });
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ orderId, status: 'AWAITING_PAYMENT', fee: { amount: 29_900, currency: 'USD' } });
    const id: string = booked.body.monitoringId;
    const act = (key: string, action: string, body: unknown = {}) => call(key, 'POST', `/monitoring/${id}/${action}`, body);

    // Amex is refused before anything is charged; nothing changes.
    const amex = await act(p.buyerKey, 'pay', card('378282246310005'));
    expectError(amex, 400, 'invalid_input');
    expect(amex.body.error.fields).toEqual([
      { field: 'card.number', reason: 'American Express cards are not accepted: the monitoring service is paid by Visa or MasterCard only' },
    ]);
    const declined = await act(p.buyerKey, 'pay', card('4000000000000002'));
    expectError(declined, 402, 'payment_declined');
    expect((await call(p.buyerKey, 'GET', `/monitoring/${id}`)).body.monitoring.status).toBe('AWAITING_PAYMENT');

    const paid = await act(p.buyerKey, 'pay', card('4242 4242 4242 4242'));
    expect(paid.status).toBe(200);
    expect(paid.body.monitoring).toMatchObject({ status: 'AWAITING_INSPECTOR', payment: { brand: 'visa', last4: '4242' }, fee: { paid: 29_900 } });
    expect(JSON.stringify(paid.body)).not.toContain('4242424242424242');
    const history = await stack.client.workflow.getHandle(`monitoring:${id}`).fetchHistory();
    expect(JSON.stringify(history)).not.toMatch(/4242424242424242|4242 4242 4242 4242/);

    // A sample picture: wrong type refused, a PNG stored and referenced.
    expectError(await upload(p.buyerKey, `/monitoring/${id}/product-pictures?name=sample.gif`, 'image/gif', Buffer.from('GIF89a')), 400, 'invalid_input');
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(uniqueId('png'))]);
    const picture = await upload(p.buyerKey, `/monitoring/${id}/product-pictures?name=sample.png`, 'image/png', png);
    expect(picture.status).toBe(201);
    expect(picture.body.monitoring.productInfo.pictures).toEqual([expect.objectContaining({ name: 'sample.png', size: png.length, uploadedBy: 'buyer' })]);
    expect((await act(p.buyerKey, 'product-info', { description: 'matte black, logo printed on top' })).status).toBe(200);

    const deadlines = await call(p.buyerKey, 'GET', `/monitoring/${id}/deadlines`);
    expect(deadlines.body.deadlines.map((d: { kind: string }) => d.kind)).toEqual(['inspector-assignment']);
    expect(deadlines.body.deadlines[0]).toMatchObject({ policyVersion: '2026-12', onExpiry: expect.any(String), rule: expect.stringMatching(/2 working days/) });

    // Production follow-up with a photo: the progress record keeps the photo, which can be downloaded.
    const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(uniqueId('jpeg'))]);
    const progress = await upload(stack.opsKey, `/monitoring/${id}/progress-photos?name=line.jpg&percentComplete=60&note=${encodeURIComponent('assembly line 2')}`, 'image/jpeg', photo);
    expect(progress.status).toBe(201);
    expect(progress.body.monitoring.progress.at(-1)).toMatchObject({ percentComplete: 60, note: 'assembly line 2', atRisk: false });
    expect(progress.body.monitoring.progress.at(-1).photos).toEqual([expect.objectContaining({ name: 'line.jpg', size: photo.length })]);
    const photoBack = await fetch(`${stack.apiUrl}/monitoring/${id}/files/${progress.body.file.fileId}`, { headers: { authorization: `Bearer ${p.buyerKey}` } });
    expect(photoBack.status).toBe(200);
    expect(Buffer.from(await photoBack.arrayBuffer()).equals(photo)).toBe(true);
    const noNote = await upload(stack.opsKey, `/monitoring/${id}/progress-photos?name=x.jpg&percentComplete=70`, 'image/jpeg', photo);
    expectError(noNote, 400, 'invalid_input');
    expect(noNote.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['note']);

    const checkDate = localDate(getCalendar('CN'), Date.now());
    expectError(await act(p.buyerKey, 'assign-inspector', { inspector: 'Li Wei', checkDate }), 403, 'forbidden');
    expect((await act(stack.opsKey, 'assign-inspector', { inspector: 'Li Wei', checkDate })).status).toBe(200);
    const checked = await act(stack.opsKey, 'check', {
      observed: { productName: 'Bluetooth speaker', quantity: 500, shippingMarks: 'ACME / C/No. 1-50', packaging: '10 units per export carton', innerCartonMarkings: 'BT-SPK-200 x10' },
      lotSize: 500,
      sampleInspected: 50,
      defects: { critical: 0, major: 1, minor: 1 },
    });
    expect(checked.status).toBe(200);
    expect(checked.body.monitoring.checks[0]).toMatchObject({ result: 'PASS', aql: { codeLetter: 'H' } });
    const lateDeselect = await act(p.buyerKey, 'deselect', { reason: 'too late' });
    expectError(lateDeselect, 409, 'action_refused');
    expect(lateDeselect.body.error.message).toMatch(/only before the on-site check/);

    const pdf = Buffer.from(`%PDF-1.4\n% inspection report ${uniqueId('r')}\n%%EOF\n`);
    const uploaded = await upload(stack.opsKey, `/monitoring/${id}/report?name=report.pdf`, 'application/pdf', pdf);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.monitoring.status).toBe('REPORT_READY');

    const download = await fetch(`${stack.apiUrl}/monitoring/${id}/report`, { headers: { authorization: `Bearer ${p.buyerKey}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toMatch(/report\.pdf/);
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);
    const stranger = await registerParties();
    expectError(await call(stranger.buyerKey, 'GET', `/monitoring/${id}/report`), 404, 'not_found');

    expect((await act(p.buyerKey, 'review', { rating: 5, comment: 'clear report' })).status).toBe(200);

    const timeline = await eventually(
      () => call(p.buyerKey, 'GET', `/monitoring/${id}/timeline`),
      (r) => r.body?.events?.at(-1)?.type === 'REVIEWED',
      'the full timeline',
    );
    expect(timeline.body.events.map((e: { type: string }) => e.type)).toEqual([
      'BOOKED', 'PAID', 'PRODUCT_INFO_ADDED', 'PRODUCT_INFO_ADDED', 'PROGRESS_RECORDED', 'INSPECTOR_ASSIGNED', 'CHECK_RECORDED', 'REPORT_UPLOADED', 'REVIEWED',
    ]);
    const row = await stack.db.monitoringTask.findUniqueOrThrow({ where: { id } });
    expect({ status: row.status, paid: row.paidAmount, result: row.result, orderId: row.orderId, addedVia: row.addedVia }).toEqual({
      status: 'COMPLETED', paid: 29_900n, result: 'PASS', orderId, addedVia: 'ORDER_DETAILS_SEPARATE',
    });

    const mails = await eventually(
      async () => stack.mail.filter((m) => m.subject.includes(`monitoring ${id}`)),
      // The relay sends them a moment after the workflow wrote them; the report's is the buyer's last.
      (ms) => ms.some((m) => m.to.includes(p.buyerEmail) && /inspection report ready/.test(m.subject)),
      'the buyer emails',
    );
    const toBuyer = mails.filter((m) => m.to.includes(p.buyerEmail)).map((m) => m.subject);
    expect(toBuyer).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/production monitoring booked: payment due$/),
        expect.stringMatching(/production monitoring task received$/),
        expect.stringMatching(/inspection report ready: PASS$/),
      ]),
    );
    expect(mails.find((m) => /task received/.test(m.subject))?.text).toMatch(/Visa ending 4242/);
    expect(mails.some((m) => m.to.includes('ops@tradeguard.test') && /new monitoring task/.test(m.subject))).toBe(true);
    expect(mails.every((m) => !m.text.includes('4242424242424242'))).toBe(true);
  });

  it('refuses a booking after the cutoff with the date it passed, and checks the input', async () => {
    const p = await registerParties();
    const orderId = await draftOrder(p, 3);
    const late = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expectError(late, 409, 'action_refused');
    expect(late.body.error.message).toMatch(
      /^cannot book: the booking cutoff passed at \d{4}-\d{2}-\d{2}T16:00:00\.000Z; the last instant to book and pay was \d{4}-\d{2}-\d{2}T15:59:59\.999Z \(booked and paid by the end of \d{4}-\d{2}-\d{2} in Asia\/Shanghai/,
    );
    const bad = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'BY_FAX' });
    expectError(bad, 400, 'invalid_input');
    expect(bad.body.error.fields[0].field).toBe('addedVia');
    expectError(await call(p.supplierKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' }), 403, 'forbidden');
    expectError(await call(p.buyerKey, 'POST', '/monitoring', { orderId: 'PO-NOPE', addedVia: 'ORDER_DETAILS_SEPARATE' }), 404, 'not_found');
    expect(await stack.db.monitoringTask.count({ where: { orderId } })).toBe(0);
  });

  it("counts the cutoff in the calendar of the supplier's profile, which the caller cannot choose", async () => {
    const p = await registerParties();
    expect((await call(stack.opsKey, 'PUT', `/suppliers/${p.supplierId}/assurance`, { qualification: 'verified', currency: 'USD', calendar: 'US' })).body.assurance).toMatchObject({ calendar: 'US' });
    const orderId = await draftOrder(p, 30);
    const chosen = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE', supplierCalendar: 'CN' });
    expectError(chosen, 400, 'invalid_input');
    expect(chosen.body.error.fields[0]).toMatchObject({ field: '(body)', reason: expect.stringContaining('supplierCalendar') });
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expect(booked.status).toBe(201);
    const us = getCalendar('US', '2026-11');
    const last = Date.parse(booked.body.bookingLastInstantAt);
    expect(Date.parse(booked.body.bookingCutoffAt)).toBe(last + 1);
    // The last instant is 23:59:59.999 in New York on the cutoff day; the next instant is another day there.
    expect(localDate(us, last)).not.toBe(localDate(us, last + 1));
    expect(booked.body.bookingCutoffRule).toContain(`in America/New_York, the last instant being ${booked.body.bookingLastInstantAt}`);
    const task = (await call(p.buyerKey, 'GET', `/monitoring/${booked.body.monitoringId}`)).body.monitoring;
    expect(task).toMatchObject({ supplierCalendar: 'US', calendarVersion: '2026-11', bookingCutoffAt: booked.body.bookingCutoffAt });
  });

  it('refuses a booking for an order that has shipped or is cancelled, and starts nothing', async () => {
    const p = await registerParties();
    const cancelledOrder = await draftOrder(p, 30);
    expect((await call(p.buyerKey, 'POST', `/orders/${cancelledOrder}/cancel`, { reason: 'found another supplier' })).status).toBe(200);
    const onCancelled = await call(p.buyerKey, 'POST', '/monitoring', { orderId: cancelledOrder, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expectError(onCancelled, 409, 'action_refused');
    expect(onCancelled.body.error.message).toBe('cannot book: the order is closed (it is CANCELLED); the service is added to an open order before it ships');
    const shippedOrder = await orderThrough(stack, p, 'delivered');
    const onShipped = await call(p.buyerKey, 'POST', '/monitoring', { orderId: shippedOrder, addedVia: 'ORDER_DETAILS_SEPARATE' });
    expectError(onShipped, 409, 'action_refused');
    expect(onShipped.body.error.message).toBe('cannot book: the order has shipped (it is DELIVERED); production monitoring and the on-site check happen before shipment');
    expect(await stack.db.monitoringTask.count({ where: { orderId: { in: [cancelledOrder, shippedOrder] } } })).toBe(0);
  });

  it('cancels a paid task before an inspector is assigned with a full refund through the gateway', async () => {
    const p = await registerParties();
    const orderId = await draftOrder(p, 30);
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    const id: string = booked.body.monitoringId;
    expect((await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, card('5555555555554444'))).body.monitoring.payment).toMatchObject({ brand: 'mastercard', last4: '4444' });
    const cancelled = await call(p.buyerKey, 'POST', `/monitoring/${id}/cancel`, { reason: 'supplier self-inspects' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.monitoring).toMatchObject({ status: 'CANCELLED', fee: { paid: 29_900, refunded: 29_900 } });
    const row = await eventually(
      () => stack.db.monitoringTask.findUnique({ where: { id } }),
      (r) => r?.status === 'CANCELLED',
      'the cancelled row',
    );
    expect(row?.refundedAmount).toBe(29_900n);
    // The gateway saw the refund: a second full refund of the same payment would exceed the charge.
    const paymentId: string = cancelled.body.monitoring.payment.paymentId;
    expect(await stack.payments.refund({ idempotencyKey: 'probe', paymentId, amount: 1 })).toMatchObject({ status: 'failed' });
    expectError(await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, card('4242424242424242')), 409, 'action_refused');
  });
});
