/**
 * Each role's view of a monitoring task, on the real stack: the card payment (payment id, brand,
 * last four digits) reaches the buyer who paid, ops and support, and neither the supplier nor the
 * inspector, on any route that shows the task (its state, the list, the timeline, the overview, the
 * answer to an action or an upload); the inspector's view carries no fee, booking or review either.
 */
import { createApiKey } from '../../api/keys';
import { uniqueId } from '../support/env';
import { apiClient, eventually, orderThrough, registerParties, startTestStack, TestStack } from '../support/stack';
import { png } from '../support/uploads';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

describe("a monitoring task as each role sees it", () => {
  it("shows the card payment to the buyer, ops and support only, and the inspector only what the inspection needs", async () => {
    const p = await registerParties(stack);
    const inspectorId = uniqueId('inspector');
    expect((await call(stack.opsKey, 'POST', '/parties', { id: inspectorId, kind: 'inspector', name: 'Li Wei', email: `${inspectorId}@example.com` })).status).toBe(201);
    const inspectorKey = (await createApiKey(stack.db, { name: inspectorId, role: 'inspector', partyId: inspectorId })).key;
    const supportKey = (await createApiKey(stack.db, { name: uniqueId('support'), role: 'support' })).key;

    const orderId = await orderThrough(stack, p, 'paid');
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    const id = booked.body.monitoringId as string;
    const card = { number: '5555 5555 5555 4444', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' };
    const paid = await call(p.buyerKey, 'POST', `/monitoring/${id}/pay`, { card });
    expect(paid.status).toBe(200);
    const paymentId: string = paid.body.monitoring.payment.paymentId;
    expect(paid.body.monitoring.payment).toMatchObject({ brand: 'mastercard', last4: '4444' });
    const checkDate = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    expect((await call(stack.opsKey, 'POST', `/monitoring/${id}/assign-inspector`, { inspector: 'Li Wei', inspectorId, checkDate })).status).toBe(200);
    await eventually(() => call(inspectorKey, 'GET', `/monitoring/${id}/timeline`), (r) => r.status === 200 && r.body.events.some((e: { type: string }) => e.type === 'INSPECTOR_ASSIGNED'), 'the timeline');

    // Everything each role can read of the task, and the answers to what it can do.
    const seenBy = async (key: string) => [
      await call(key, 'GET', `/monitoring/${id}`),
      await call(key, 'GET', '/monitoring'),
      await call(key, 'GET', `/monitoring/${id}/timeline`),
      await call(key, 'GET', `/monitoring/${id}/overview`),
    ];
    const cardDetails = [paymentId, '4444', 'mastercard', 'Mastercard', 'MasterCard'];
    const leaks = (answers: { status: number; body: unknown }[]) => answers.flatMap((a) => cardDetails.filter((d) => JSON.stringify(a.body).includes(d)));

    const inspector = await seenBy(inspectorKey);
    expect(inspector.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const progress = await call(inspectorKey, 'POST', `/monitoring/${id}/progress`, { percentComplete: 30, note: 'moulding under way' });
    expect(progress.status).toBe(200);
    const photo = await fetch(`${stack.apiUrl}/monitoring/${id}/progress-photos?name=line.png&percentComplete=40&note=line`, {
      method: 'POST', headers: { authorization: `Bearer ${inspectorKey}`, 'content-type': 'image/png' }, body: png(uniqueId('line')),
    });
    const photoAnswer = { status: photo.status, body: (await photo.json()) as { monitoring: Record<string, unknown> } };
    expect(photoAnswer.status).toBe(201);
    expect(leaks([...inspector, progress, photoAnswer])).toEqual([]);
    // The inspector's task: the inspection, not the booking, the money or the buyer.
    for (const task of [inspector[0].body.monitoring, inspector[3].body.state, progress.body.monitoring, photoAnswer.body.monitoring]) {
      for (const hidden of ['payment', 'fee', 'review', 'buyerId', 'addedVia', 'bookingCutoffAt']) expect({ hidden, present: hidden in task }).toEqual({ hidden, present: false });
      expect(task).toMatchObject({ monitoringId: id, supplierId: p.supplierId, inspector: { inspectorId, checkDate }, proforma: expect.any(Object) });
    }
    expect(inspector[1].body.tasks).toEqual([expect.not.objectContaining({ fee: expect.anything() })]);
    expect(Object.keys(inspector[1].body.tasks[0])).not.toEqual(expect.arrayContaining(['paid']));
    const paidEvent = inspector[2].body.events.find((e: { type: string }) => e.type === 'PAID');
    expect(paidEvent).toMatchObject({ summary: 'Fee paid', data: {} });

    const supplier = await seenBy(p.supplierKey);
    expect(supplier.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(leaks(supplier)).toEqual([]);
    expect(supplier[0].body.monitoring).toMatchObject({ monitoringId: id, fee: { paid: 29_900 } });
    expect('payment' in supplier[0].body.monitoring).toBe(false);

    // The payer and those who answer for the payment see it.
    for (const key of [p.buyerKey, stack.opsKey, supportKey]) {
      const [task, , timeline, overview] = await seenBy(key);
      expect(task.body.monitoring.payment).toMatchObject({ paymentId, brand: 'mastercard', last4: '4444' });
      expect(overview.body.state.payment).toMatchObject({ paymentId });
      expect(timeline.body.events.find((e: { type: string }) => e.type === 'PAID')).toMatchObject({ data: { paymentId, last4: '4444' } });
    }
  });
});
