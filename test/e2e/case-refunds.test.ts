/**
 * End to end: several after-service cases refunding one order that has no workflow to keep the total
 * (a closed order, a manual order), through the API on the real stack (dev server, worker,
 * PostgreSQL). Each case knows only its own refunds; together they never refund more than was paid,
 * and the case that would is refused (409 action_refused) with what is still refundable.
 */
import { orderWorkflowId } from '../../workflows/order.messages';
import { uniqueId } from '../support/env';
import { apiClient, eventually, expectError, orderThrough, registerParties, Reply, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

function expectStatus(res: Reply, status: number): Reply {
  expect({ status: res.status, error: res.body?.error }).toEqual({ status, error: undefined });
  return res;
}

/** Opens a case and answers its id. */
async function openCase(key: string, body: Record<string, unknown>): Promise<string> {
  return expectStatus(await call(key, 'POST', '/cases', body), 201).body.caseId;
}

const resolve = (caseId: string, body: Record<string, unknown>) => call(stack.opsKey, 'POST', `/cases/${caseId}/resolve`, { reason: 'cracked grilles', ...body });

/** Every refund to the buyer the ledger holds for the order: [kind, amount]. */
async function buyerRefunds(orderId: string): Promise<[string, number][]> {
  const rows = await stack.db.ledgerTransaction.findMany({
    where: { orderId, kind: { in: ['escrow_refund', 'supplier_refund', 'after_service_refund'] } },
    include: { entries: true },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((t) => [t.kind, Number(t.entries.find((e) => e.amount > 0n)?.amount ?? 0n)]);
}

describe('after-service refunds on a closed order', () => {
  it('cases together refund at most what was paid: the one over is refused with what is left, also when two resolve at once', async () => {
    const p = await registerParties(stack);
    const orderId = await orderThrough(stack, p, 'delivered');
    expectStatus(await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-receipt`, {}), 200);
    const cases: string[] = [];
    for (let i = 0; i < 4; i++) cases.push(await openCase(p.buyerKey, { orderId, type: 'QUALITY', description: `carton ${i + 1} arrived crushed` }));
    // A completed order's workflow ends when its 60-day feedback window closes; a real dev server
    // cannot skip that, so the workflow is ended here as it would be then. The funds are released.
    const handle = stack.client.workflow.getHandle(orderWorkflowId(orderId));
    await handle.terminate('the feedback window closed');
    expect((await handle.describe()).status.name).not.toBe('RUNNING');
    expect(await buyerRefunds(orderId)).toEqual([]);

    expectStatus(await resolve(cases[0], { kind: 'PARTIAL_REFUND', amount: 400_000 }), 200);
    // The second case's own view (7,000.00 paid, nothing refunded by it) would allow the full amount.
    const over = await resolve(cases[1], { kind: 'REFUND' });
    expectError(over, 409, 'action_refused');
    expect(over.body.error.message).toBe(
      `the refund of 7,000.00 USD was refused: order ${orderId} is closed and 3,000.00 USD of the 7,000.00 USD paid is still refundable (4,000.00 USD was refunded already)`,
    );
    expect((await call(stack.opsKey, 'GET', `/cases/${cases[1]}`)).body.case).toMatchObject({ refunded: 0 });

    const both = await Promise.all([resolve(cases[2], { kind: 'PARTIAL_REFUND', amount: 300_000 }), resolve(cases[3], { kind: 'PARTIAL_REFUND', amount: 300_000 })]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.body.error.message).toMatch(/0\.00 USD of the 7,000\.00 USD paid is still refundable \(7,000\.00 USD was refunded already\)$/);

    expect(await buyerRefunds(orderId)).toEqual([
      ['supplier_refund', 400_000],
      ['supplier_refund', 300_000],
    ]);
  });
});

describe('after-service refunds on a manual order', () => {
  async function manualOrder(status: 'PAID' | 'DELIVERED'): Promise<string> {
    const manualOrderId = uniqueId('MO');
    expectStatus(
      await call(stack.opsKey, 'POST', '/manual-orders', {
        manualOrderId,
        customerName: 'Ana Souza',
        customerEmail: `${manualOrderId.toLowerCase()}@customer.example`,
        address: { line1: 'Rua Augusta 100', city: 'São Paulo', postalCode: '01304-000', country: 'BR' },
        items: [{ sku: 'BT-SPK-200', quantity: 2 }],
        currency: 'USD',
        totalAmount: 5_000,
        paidAt: new Date(Date.now() - 3_600_000).toISOString(),
        reason: 'ordered by phone during the checkout outage',
      }),
      201,
    );
    if (status === 'DELIVERED') {
      expectStatus(await call(stack.opsKey, 'POST', `/manual-orders/${manualOrderId}/ship`, { carrier: 'Correios', trackingNumber: 'BR123456789' }), 200);
      expectStatus(await call(stack.opsKey, 'POST', `/manual-orders/${manualOrderId}/deliver`, {}), 200);
    }
    return manualOrderId;
  }

  const refunded = async (manualOrderId: string) => (await call(stack.opsKey, 'GET', `/manual-orders/${manualOrderId}`)).body.manualOrder.amount;

  it('a partial refund, then a second case over the rest refused with the amounts; the manual order shows what was refunded', async () => {
    const manualOrderId = await manualOrder('DELIVERED');
    const first = await openCase(stack.opsKey, { orderId: manualOrderId, orderSource: 'manual', type: 'QUALITY', description: 'one unit does not charge' });
    const second = await openCase(stack.opsKey, { orderId: manualOrderId, orderSource: 'manual', type: 'QUALITY', description: 'the other unit hums' });
    expectStatus(await resolve(first, { kind: 'PARTIAL_REFUND', amount: 2_000 }), 200);
    const over = await resolve(second, { kind: 'REFUND' });
    expectError(over, 409, 'action_refused');
    expect(over.body.error.message).toBe(
      `the refund of 50.00 USD was refused: 30.00 USD of the 50.00 USD paid for manual order ${manualOrderId} is still refundable (20.00 USD was refunded already)`,
    );
    expect(await refunded(manualOrderId)).toEqual({ total: 5_000, refunded: 2_000, currency: 'USD' });
    expect(await buyerRefunds(manualOrderId)).toEqual([['after_service_refund', 2_000]]);
  });

  it('two cancellation requests, one after the other, refund the customer once', async () => {
    const manualOrderId = await manualOrder('PAID');
    for (const description of ['ordered the wrong model', 'please cancel, as asked before']) {
      const caseId = await openCase(stack.opsKey, { orderId: manualOrderId, orderSource: 'manual', type: 'CHANGE_CANCEL', request: 'CANCEL', description });
      const accepted = await eventually(() => call(stack.opsKey, 'GET', `/cases/${caseId}`), (r) => r.body?.case?.status === 'AWAITING_CONFIRMATION', 'the automatic cancellation');
      expect(accepted.body.case.resolution).toMatchObject({ kind: 'ORDER_CANCELLED' });
    }
    expect((await call(stack.opsKey, 'GET', `/manual-orders/${manualOrderId}`)).body.manualOrder).toMatchObject({ status: 'CANCELLED', amount: { total: 5_000, refunded: 5_000 } });
    expect(await buyerRefunds(manualOrderId)).toEqual([['after_service_refund', 5_000]]);
  });
});
