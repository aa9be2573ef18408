/**
 * After-service refunds outside an order workflow, against the suite's PostgreSQL: several cases on
 * one closed order, or on one manual order, together never refund more than was paid, whether they
 * come one after another or at once; a retry of a refund is the same refund; a manual order's
 * cancellation refunds only what earlier cases left.
 *
 * The closed order has no workflow in the suite's Temporal (the activity finds it not running), and
 * its escrow is written to the ledger as the order workflow would have.
 */
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCaseActivities, type CaseRefund, type Outcome } from '../../activities/cases';
import { createLedgerActivities } from '../../activities/ledger';
import { Db, createDb } from '../../infra/db';
import type { CaseOrderRef } from '../../workflows/case.messages';
import { testDatabaseUrl, testTemporalAddress, uniqueId } from '../support/env';
import { createPaidManualOrder } from '../support/manual-order-fixtures';

const OPS = { ops: 'ops@tradeguard.test', opsLeads: 'ops-leads@tradeguard.test' };

let db: Db;
let connection: Connection;
let cases: ReturnType<typeof createCaseActivities>;
let ledger: ReturnType<typeof createLedgerActivities>;
let buyerId: string;
let supplierId: string;

/** Runs each activity inside an activity context, as a worker does. */
function inContext<T extends Record<string, unknown>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, (...args: unknown[]) => new MockActivityEnvironment().run(fn as (...a: unknown[]) => Promise<unknown>, ...args)]),
  ) as T;
}

beforeAll(async () => {
  db = createDb(testDatabaseUrl());
  connection = await Connection.connect({ address: testTemporalAddress() });
  const client = new Client({ connection });
  cases = inContext(createCaseActivities({ db, opsAddresses: OPS, temporal: { client, taskQueue: uniqueId('case-refunds') } }));
  ledger = inContext(createLedgerActivities({ db }));
  buyerId = uniqueId('buyer');
  supplierId = uniqueId('supplier');
});

afterAll(async () => {
  await connection?.close();
  await db?.$disconnect();
});

const PAID = 700_000;

/** A closed order of 7,000.00 USD: deposit and balance held in escrow, then released to the supplier. */
async function closedOrder(): Promise<CaseOrderRef> {
  const orderId = uniqueId('PO');
  const movement = (step: string, amount: number) => ({ id: `order:${orderId}:${step}`, orderId, partyId: buyerId, amount, currency: 'USD' });
  await ledger.holdPaymentInEscrow(movement('payment:deposit', 210_000));
  await ledger.holdPaymentInEscrow(movement('payment:balance', 490_000));
  await ledger.releaseEscrowToSupplier({ ...movement('release', PAID), partyId: supplierId });
  return { source: 'order', orderId, buyerId, supplierId, currency: 'USD', paidAmount: PAID };
}

const MANUAL_PAID = 5_000;

async function manualOrder(): Promise<CaseOrderRef> {
  const id = await createPaidManualOrder(db, MANUAL_PAID);
  return { source: 'manual', orderId: id, customerEmail: `${id.toLowerCase()}@customer.example`, currency: 'USD', paidAmount: MANUAL_PAID };
}

/** The workflow id of the order's case `letter` (unique across the suite's ledger). */
const caseOf = (order: CaseOrderRef, letter: string) => `case:CS-${letter}-${order.orderId}`;

/** Case `letter`'s refund of `amount` on `order`, keyed as the case workflow keys it. */
const refund = (order: CaseOrderRef, letter: string, amount: number, step = 'refund:2'): CaseRefund => ({
  idempotencyKey: `${caseOf(order, letter)}:${step}`,
  caseId: caseOf(order, letter).slice('case:'.length),
  order,
  amount,
  reason: 'cracked grilles',
  actor: { role: 'ops' },
});

/** Every refund to the buyer the ledger holds for the order, by transaction. */
async function buyerRefunds(orderId: string): Promise<{ id: string; kind: string; amount: number }[]> {
  const rows = await db.ledgerTransaction.findMany({
    where: { orderId, kind: { in: ['escrow_refund', 'supplier_refund', 'after_service_refund'] } },
    include: { entries: true },
    orderBy: { id: 'asc' },
  });
  return rows.map((t) => ({ id: t.id, kind: t.kind, amount: Number(t.entries.find((e) => e.amount > 0n)?.amount ?? 0n) }));
}

const total = (refunds: { amount: number }[]) => refunds.reduce((s, r) => s + r.amount, 0);
const okCount = (outcomes: Outcome[]) => outcomes.filter((o) => o.ok).length;

describe('refundForCase on a closed order (recovered from the supplier)', () => {
  it('refuses a second case refunding the paid amount in full, naming what is left; the first is recovered from the payable', async () => {
    const order = await closedOrder();
    expect(await cases.refundForCase(refund(order, 'A', PAID))).toEqual({ ok: true });
    expect(await cases.refundForCase(refund(order, 'B', PAID))).toEqual({
      ok: false,
      reason: `order ${order.orderId} is closed and 0.00 USD of the 7,000.00 USD paid is still refundable (7,000.00 USD was refunded already)`,
    });
    const refunds = await buyerRefunds(order.orderId);
    expect(refunds).toEqual([{ id: `${caseOf(order, 'A')}:refund:2`, kind: 'supplier_refund', amount: PAID }]);
    const entries = await db.ledgerEntry.findMany({ where: { transactionId: `${caseOf(order, 'A')}:refund:2` }, orderBy: { amount: 'asc' } });
    expect(entries.map((e) => [e.account, Number(e.amount)])).toEqual([
      [`supplier:${supplierId}:payable`, -PAID],
      [`buyer:${buyerId}:funding`, PAID],
    ]);
  });

  it('counts every earlier refund to the buyer: a claim refunded from escrow before release, and other cases', async () => {
    const orderId = uniqueId('PO');
    const movement = (step: string, amount: number, partyId = buyerId) => ({ id: `order:${orderId}:${step}`, orderId, partyId, amount, currency: 'USD' });
    await ledger.holdPaymentInEscrow(movement('payment:deposit', PAID));
    await ledger.refundEscrowToBuyer(movement('claim:C1:refund', 100_000));
    await ledger.releaseEscrowToSupplier(movement('release', 600_000, supplierId));
    const order: CaseOrderRef = { source: 'order', orderId, buyerId, supplierId, currency: 'USD', paidAmount: PAID };

    // Each case knows only its own refunds: 6,500.00 would be within this case's snapshot of 7,000.00 paid.
    expect(await cases.refundForCase(refund(order, 'A', 650_000))).toEqual({
      ok: false,
      reason: `order ${orderId} is closed and 6,000.00 USD of the 7,000.00 USD paid is still refundable (1,000.00 USD was refunded already)`,
    });
    expect(await cases.refundForCase(refund(order, 'A', 400_000))).toEqual({ ok: true });
    expect(await cases.refundForCase(refund(order, 'B', 200_001))).toMatchObject({ ok: false, reason: expect.stringContaining('2,000.00 USD of the 7,000.00 USD paid is still refundable (5,000.00 USD') });
    expect(await cases.refundForCase(refund(order, 'B', 200_000))).toEqual({ ok: true });
    expect(total(await buyerRefunds(orderId))).toBe(PAID);
  });

  it('two cases refunding the paid amount at once: exactly one passes; five cases of 3,000.00 at once: exactly two', async () => {
    const order = await closedOrder();
    const both = await Promise.all([cases.refundForCase(refund(order, 'A', PAID)), cases.refundForCase(refund(order, 'B', PAID))]);
    expect(okCount(both)).toBe(1);
    expect(both.find((o) => !o.ok)).toMatchObject({ ok: false, reason: expect.stringContaining('0.00 USD of the 7,000.00 USD paid is still refundable') });
    expect(total(await buyerRefunds(order.orderId))).toBe(PAID);

    const other = await closedOrder();
    const five = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((c) => cases.refundForCase(refund(other, c, 300_000))));
    expect(okCount(five)).toBe(2);
    const refunds = await buyerRefunds(other.orderId);
    expect(refunds.map((r) => r.amount)).toEqual([300_000, 300_000]);
    expect(total(refunds)).toBeLessThanOrEqual(PAID);
  });

  it('a retry of a refund (the same key) answers ok and posts nothing more, also at once and once nothing is left; a new key is refused', async () => {
    const order = await closedOrder();
    const same = refund(order, 'A', PAID);
    expect(await Promise.all([cases.refundForCase(same), cases.refundForCase(same)])).toEqual([{ ok: true }, { ok: true }]);
    expect(await cases.refundForCase(same)).toEqual({ ok: true });
    expect(await cases.refundForCase(refund(order, 'B', 1))).toMatchObject({ ok: false });
    expect(await buyerRefunds(order.orderId)).toEqual([{ id: same.idempotencyKey, kind: 'supplier_refund', amount: PAID }]);
  });
});

describe('refundForCase and cancelOrderForCase on a manual order (the after-service budget)', () => {
  const row = (order: CaseOrderRef) => db.manualOrder.findUniqueOrThrow({ where: { id: order.orderId } });
  /** Case `letter`'s recall of the order (a cancellation request). */
  const cancel = (order: CaseOrderRef, letter: string) =>
    cases.cancelOrderForCase({ key: `${caseOf(order, letter)}:recall`, caseId: caseOf(order, letter).slice('case:'.length), order, actor: { role: 'ops' }, reason: 'ordered the wrong model' });

  it('a partial refund, then a second case over the rest refused with the amounts, then a cancellation refunds only what is left', async () => {
    const order = await manualOrder();
    expect(await cases.refundForCase(refund(order, 'A', 2_000))).toEqual({ ok: true });
    expect(Number((await row(order)).refundedAmount)).toBe(2_000);

    // The second case's own snapshot (5,000 paid, nothing refunded by it) would allow 4,000.00.
    expect(await cases.refundForCase(refund(order, 'B', 4_000))).toEqual({
      ok: false,
      reason: `30.00 USD of the 50.00 USD paid for manual order ${order.orderId} is still refundable (20.00 USD was refunded already)`,
    });
    expect(Number((await row(order)).refundedAmount)).toBe(2_000);
    expect(await buyerRefunds(order.orderId)).toEqual([{ id: `${caseOf(order, 'A')}:refund:2`, kind: 'after_service_refund', amount: 2_000 }]);

    expect(await cancel(order, 'C')).toEqual({ ok: true });
    // A retried cancellation: the same refund, nothing more.
    expect(await cancel(order, 'C')).toEqual({ ok: true });
    expect(await row(order)).toMatchObject({ status: 'CANCELLED', refundedAmount: 5_000n });
    const refunds = await buyerRefunds(order.orderId);
    expect(refunds).toEqual([
      { id: `${caseOf(order, 'A')}:refund:2`, kind: 'after_service_refund', amount: 2_000 },
      { id: `${caseOf(order, 'C')}:recall:refund`, kind: 'after_service_refund', amount: 3_000 },
    ]);
    const entries = await db.ledgerEntry.findMany({ where: { transactionId: `${caseOf(order, 'C')}:recall:refund` }, orderBy: { amount: 'asc' } });
    expect(entries.map((e) => [e.account, Number(e.amount)])).toEqual([
      ['platform:after-service', -3_000],
      [`customer:manual:${order.orderId}`, 3_000],
    ]);

    // A second cancellation case finds the order cancelled and nothing left to refund.
    expect(await cancel(order, 'D')).toEqual({ ok: true });
    expect(total(await buyerRefunds(order.orderId))).toBe(MANUAL_PAID);
    expect(await cases.refundForCase(refund(order, 'E', 1))).toMatchObject({ ok: false, reason: expect.stringContaining('0.00 USD of the 50.00 USD paid') });
  });

  it('refunds at once: three cases of 20.00 USD, exactly two pass; a refund and a cancellation at once never exceed what was paid', async () => {
    const order = await manualOrder();
    const three = await Promise.all(['A', 'B', 'C'].map((c) => cases.refundForCase(refund(order, c, 2_000))));
    expect(okCount(three)).toBe(2);
    expect(Number((await row(order)).refundedAmount)).toBe(4_000);
    expect(total(await buyerRefunds(order.orderId))).toBe(4_000);

    const other = await manualOrder();
    const [refunded, cancelled] = await Promise.all([cases.refundForCase(refund(other, 'A', 4_000)), cancel(other, 'B')]);
    expect(cancelled).toEqual({ ok: true });
    const refunds = await buyerRefunds(other.orderId);
    // Whichever came first, the customer got 50.00 USD back in all, and the row agrees with the ledger.
    expect(total(refunds)).toBe(MANUAL_PAID);
    expect(refunds).toHaveLength(refunded.ok ? 2 : 1);
    expect(await row(other)).toMatchObject({ status: 'CANCELLED', refundedAmount: BigInt(MANUAL_PAID) });
  });

  it('a retry of a refund (the same key, also at once) raises the total once and posts once', async () => {
    const order = await manualOrder();
    const same = refund(order, 'A', 3_000);
    expect(await Promise.all([cases.refundForCase(same), cases.refundForCase(same)])).toEqual([{ ok: true }, { ok: true }]);
    expect(await cases.refundForCase(same)).toEqual({ ok: true });
    expect(Number((await row(order)).refundedAmount)).toBe(3_000);
    expect(await buyerRefunds(order.orderId)).toEqual([{ id: same.idempotencyKey, kind: 'after_service_refund', amount: 3_000 }]);
  });
});
