/**
 * The ownership check of a buyer's or supplier's order action reads the order's parties from the
 * database once per API process and then remembers them for ORDER_PARTIES_TTL_MS (an order's buyer
 * and supplier never change), so the later actions of a lifecycle, minutes apart, do not read them
 * again; past that time they are read again. The API's clock is the test's.
 */
import { ORDER_PARTIES_TTL_MS } from '../../api/app';
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
