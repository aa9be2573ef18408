/**
 * End to end: the escrow promises, each from a reproduction reported through the HTTP API, on the
 * real stack (dev server, worker, API over HTTP, PostgreSQL). Every reproduction must be answered:
 * refused or capped with a message a person can act on (409 action_refused), never a 5xx or a hang.
 *
 *   1. refunds never exceed what was paid, nor min(covered, paid) for claims (two accepted claims,
 *      two counter-offers accepted at once, coverage below the amount paid);
 *   2. nothing is released while a claim is open; a partial refund before shipment leaves the order
 *      running: it ships, completes and releases only the rest;
 *   4. confirm-by-supplier and cancel sent at once end in one valid order of the two: a cancelled
 *      order stays cancelled, closed, with no open deadline and no reserved coverage;
 *   5. a party's evidence on one claim is capped (maxEvidenceFilesPerParty), the history stays small;
 *   6. a lone UTF-16 surrogate is a 400 naming the field, and the order stays usable.
 *
 * Orders are 1,000.00 USD (one of 12,000.00) paid at once (deposit = total): a paid order takes four requests.
 */
import { orderWorkflowId } from '../../workflows/order.messages';
import { uniqueId } from '../support/env';
import { apiClient, eventually, expectError, Parties, registerParties, Reply, startTestStack, TestStack, draftFromRequest } from '../support/stack';
import { png, storedOf, sha, upload } from '../support/uploads';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;
/** Every order a test here created: their ledger transactions are checked after each test. */
const orders: string[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
});

afterEach(async () => {
  // Double entry: whatever a test did, every ledger transaction of its orders sums to zero.
  if (orders.length === 0) return;
  const unbalanced = await stack.db.$queryRaw<{ transactionId: string }[]>`
    SELECT e."transactionId" FROM "LedgerEntry" e JOIN "LedgerTransaction" t ON t."id" = e."transactionId"
    WHERE t."orderId" = ANY(${orders}) GROUP BY e."transactionId" HAVING SUM(e."amount") <> 0`;
  expect(unbalanced).toEqual([]);
});

afterAll(async () => {
  await stack?.stop();
});

const PAID = 100_000;

/** The reply has this status; on any other, the failure shows the API's error. */
function expectStatus(res: Reply, status: number): Reply {
  expect({ status: res.status, error: res.body?.error }).toEqual({ status, error: undefined });
  return res;
}

/** A 409 action_refused whose message is `message`. */
function expectRefused(res: Reply, message: string | RegExp): void {
  expectError(res, 409, 'action_refused');
  if (typeof message === 'string') expect(res.body.error.message).toBe(message);
  else expect(res.body.error.message).toMatch(message);
}

const act = (key: string, orderId: string, action: string, body: unknown = {}) => call(key, 'POST', `/orders/${orderId}/${action}`, body);

async function draft(p: Parties, total = PAID): Promise<string> {
  const res = expectStatus(
    await draftFromRequest(stack.apiUrl, p, {
      buyerId: p.buyerId,
      currency: 'USD',
      items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 1, unitPrice: total }],
      depositAmount: total,
      shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
    }),
    201,
  );
  orders.push(res.body.orderId);
  return res.body.orderId;
}

/** A draft confirmed by both parties and paid in full (one payment). */
async function paidOrder(p: Parties, total = PAID): Promise<string> {
  const orderId = await draft(p, total);
  expectStatus(await act(p.buyerKey, orderId, 'confirm-by-buyer'), 200);
  expectStatus(await act(p.supplierKey, orderId, 'confirm-by-supplier'), 200);
  const paid = expectStatus(await act(p.buyerKey, orderId, 'pay', { kind: 'deposit', amount: total, reference: 'WIRE-1' }), 200);
  expect(paid.body.order).toMatchObject({ status: 'PAID', amounts: { paid: total, held: total } });
  return orderId;
}

async function deliveredOrder(p: Parties): Promise<string> {
  const orderId = await paidOrder(p);
  expectStatus(await act(p.supplierKey, orderId, 'ship', { carrier: 'DHL', trackingNumber: `JD${Date.now().toString().slice(-8)}` }), 200);
  expectStatus(await act(stack.opsKey, orderId, 'mark-delivered'), 200);
  return orderId;
}

const openClaim = async (p: Parties, orderId: string, cause: string, refundAsked: number) =>
  expectStatus(await act(p.buyerKey, orderId, 'claims', { cause, refundAsked, description: `${cause.toLowerCase()}: see the photos` }), 201).body.order;

interface LedgerTransaction {
  id: string;
  kind: string;
  entries: { account: string; amount: number }[];
}

/**
 * What the buyer sees of the order's money (GET /orders/:id and GET /orders/:id/ledger), checked
 * against the escrow rules: every transaction sums to zero; refunds ≤ paid, claim refunds ≤
 * min(covered, paid); the ledger's refunds, releases and escrow balance are the order's.
 */
async function escrowOf(p: Parties, orderId: string) {
  const order = expectStatus(await call(p.buyerKey, 'GET', `/orders/${orderId}`), 200).body.order;
  const ledger = expectStatus(await call(p.buyerKey, 'GET', `/orders/${orderId}/ledger`), 200).body.transactions as LedgerTransaction[];
  const a = order.amounts as { paid: number; held: number; covered: number; refunded: number; claimRefunded: number; released: number; recovered: number };
  for (const t of ledger) expect({ id: t.id, sum: t.entries.reduce((s, e) => s + e.amount, 0) }).toEqual({ id: t.id, sum: 0 });
  const sumOf = (kinds: string[], account: string) =>
    ledger.filter((t) => kinds.includes(t.kind)).flatMap((t) => t.entries).filter((e) => e.account === account).reduce((s, e) => s + e.amount, 0);
  const buyerFunding = `buyer:${p.buyerId}:funding`;
  const escrow = `escrow:order:${orderId}`;
  const money = {
    paidIn: -sumOf(['escrow_hold'], buyerFunding),
    refundedToBuyer: sumOf(['escrow_refund', 'supplier_refund'], buyerFunding),
    released: sumOf(['escrow_release'], `supplier:${p.supplierId}:payable`),
    escrowBalance: ledger.flatMap((t) => t.entries).filter((e) => e.account === escrow).reduce((s, e) => s + e.amount, 0),
  };
  expect(money).toEqual({ paidIn: a.paid, refundedToBuyer: a.refunded, released: a.released, escrowBalance: a.held });
  expect(a.refunded).toBeLessThanOrEqual(a.paid);
  expect(a.claimRefunded).toBeLessThanOrEqual(Math.min(a.covered, a.paid));
  expect(a.held).toBeGreaterThanOrEqual(0);
  return { order, amounts: a, ledger, kinds: ledger.map((t) => t.kind) };
}

const timelineOf = async (key: string, orderId: string): Promise<string[]> =>
  (expectStatus(await call(key, 'GET', `/orders/${orderId}/timeline`), 200).body.events as { type: string }[]).map((e) => e.type);

describe('1. refunds never exceed what was paid, nor the coverage', () => {
  it('two full claims accepted one after the other: the second is refused, the order refunds 1,000.00 once and settles', async () => {
    const p = await registerParties(stack);
    const orderId = await paidOrder(p);
    await openClaim(p, orderId, 'QUALITY_MISMATCH', PAID);
    await openClaim(p, orderId, 'NOT_AS_DESCRIBED', PAID);

    expectStatus(await act(p.supplierKey, orderId, 'claims/C1/respond', { kind: 'accept', message: 'agreed' }), 200);
    expectRefused(
      await act(p.supplierKey, orderId, 'claims/C2/respond', { kind: 'accept', message: 'agreed' }),
      'cannot accept claim C2 in full: its refund 1,000.00 USD exceeds the covered amount 1,000.00 USD less 1,000.00 USD already refunded on claims (0.00 USD left); counter-offer at most what is left, or reject it',
    );
    let seen = await escrowOf(p, orderId);
    expect(seen.amounts).toMatchObject({ paid: PAID, refunded: PAID, claimRefunded: PAID, held: 0, released: 0 });
    expect(seen.order.status).toBe('PAID');
    expect(seen.order.claims.map((c: { status: string }) => c.status)).toEqual(['CLOSED', 'OPEN']);
    // Nothing more can come out of it while it waits for C2: no claim, no second acceptance.
    expectRefused(await act(p.buyerKey, orderId, 'claims', { cause: 'QUALITY_MISMATCH', refundAsked: 1, description: 'again' }), /^cannot open a claim: claim C1 was refunded/);

    // C2 is rejected and withdrawn: the order settles, with nothing left to release.
    expectStatus(await act(p.supplierKey, orderId, 'claims/C2/respond', { kind: 'reject', message: 'already refunded in full' }), 200);
    expectStatus(await act(p.buyerKey, orderId, 'claims/C2/withdraw'), 200);
    seen = await escrowOf(p, orderId);
    expect(seen.order.status).toBe('SETTLED');
    expect(seen.amounts).toMatchObject({ paid: PAID, refunded: PAID, held: 0, released: 0 });
    expect(seen.kinds).toEqual(['escrow_hold', 'escrow_refund']);
  });

  it('two counter-offers accepted at once: one is taken, the other refused with what is left', async () => {
    const p = await registerParties(stack);
    const orderId = await deliveredOrder(p);
    await openClaim(p, orderId, 'QUALITY_MISMATCH', 70_000);
    await openClaim(p, orderId, 'NOT_AS_DESCRIBED', 70_000);
    for (const claimId of ['C1', 'C2']) {
      expectStatus(await act(p.supplierKey, orderId, `claims/${claimId}/respond`, { kind: 'counter', counterAmount: 60_000, message: 'we refund part' }), 200);
    }

    const answers = await Promise.all(['C1', 'C2'].map((claimId) => act(p.buyerKey, orderId, `claims/${claimId}/accept-counter`)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const refused = answers.find((r) => r.status !== 200)!;
    expectRefused(
      refused,
      'cannot accept the counter-offer: its refund 600.00 USD exceeds the covered amount 1,000.00 USD less 600.00 USD already refunded on claims (400.00 USD left); escalate the claim to the platform instead',
    );
    let seen = await escrowOf(p, orderId);
    expect(seen.amounts).toMatchObject({ paid: PAID, refunded: 60_000, held: 40_000, released: 0 });
    expect(seen.order.status).toBe('DELIVERED');
    expect(seen.kinds).not.toContain('escrow_release');

    // The refused claim is still the buyer's to withdraw; then the order settles with the rest.
    const open = seen.order.claims.find((c: { status: string }) => c.status !== 'CLOSED');
    expect(open).toMatchObject({ status: 'RESPONDED' });
    expectStatus(await act(p.buyerKey, orderId, `claims/${open.id}/withdraw`), 200);
    seen = await escrowOf(p, orderId);
    expect(seen.order.status).toBe('SETTLED');
    expect(seen.amounts).toMatchObject({ refunded: 60_000, released: 40_000, held: 0 });
  });

  it('coverage below the amount paid caps the claims at the coverage (verified supplier: 10,000.00 on a 12,000.00 order)', async () => {
    const p = await registerParties(stack);
    const assurance = await call(stack.opsKey, 'PUT', `/suppliers/${p.supplierId}/assurance`, { qualification: 'verified', currency: 'USD' });
    expect(assurance.body.assurance).toMatchObject({ granted: 1_000_000, reserved: 0 });
    const paid = 1_200_000;
    const orderId = await paidOrder(p, paid);
    expect((await escrowOf(p, orderId)).amounts).toMatchObject({ paid, covered: 1_000_000 });

    expectRefused(
      await act(p.buyerKey, orderId, 'claims', { cause: 'QUALITY_MISMATCH', refundAsked: 1_000_001, description: 'all of it' }),
      'refund asked 10,000.01 USD exceeds the covered amount 10,000.00 USD',
    );
    await openClaim(p, orderId, 'QUALITY_MISMATCH', 600_000);
    await openClaim(p, orderId, 'NOT_AS_DESCRIBED', 600_000);
    expectStatus(await act(p.supplierKey, orderId, 'claims/C1/respond', { kind: 'accept', message: 'agreed' }), 200);
    expectRefused(
      await act(p.supplierKey, orderId, 'claims/C2/respond', { kind: 'accept', message: 'agreed' }),
      'cannot accept claim C2 in full: its refund 6,000.00 USD exceeds the covered amount 10,000.00 USD less 6,000.00 USD already refunded on claims (4,000.00 USD left); counter-offer at most what is left, or reject it',
    );
    expectRefused(
      await act(p.supplierKey, orderId, 'claims/C2/respond', { kind: 'counter', counterAmount: 400_001, message: 'most of it' }),
      /^the counter-offer 4,000.01 USD exceeds the covered amount 10,000.00 USD less 6,000.00 USD already refunded on claims \(4,000.00 USD left\)/,
    );
    expectStatus(await act(p.supplierKey, orderId, 'claims/C2/respond', { kind: 'counter', counterAmount: 400_000, message: 'what is left' }), 200);
    expectStatus(await act(p.buyerKey, orderId, 'claims/C2/accept-counter'), 200);

    // Claims refunded exactly the coverage; the uncovered 2,000.00 stays held for the supplier.
    const seen = await escrowOf(p, orderId);
    expect(seen.amounts).toMatchObject({ paid, covered: 1_000_000, refunded: 1_000_000, claimRefunded: 1_000_000, held: 200_000, released: 0 });
    expect(seen.order.status).toBe('PAID');
    expectRefused(await act(p.buyerKey, orderId, 'claims', { cause: 'QUALITY_MISMATCH', refundAsked: 1, description: 'one cent more' }), /\(0.00 USD left\)$/);
  });
});

describe('2. nothing is released while a claim is open', () => {
  it('a claim refunded while another is open keeps the rest in escrow; the order settles when the last one closes', async () => {
    const p = await registerParties(stack);
    const orderId = await deliveredOrder(p);
    await openClaim(p, orderId, 'QUALITY_MISMATCH', 10_000);
    await openClaim(p, orderId, 'NOT_AS_DESCRIBED', 20_000);
    expectStatus(await act(p.supplierKey, orderId, 'claims/C1/respond', { kind: 'accept', message: 'agreed' }), 200);

    let seen = await escrowOf(p, orderId);
    expect(seen.order.status).toBe('DELIVERED');
    expect(seen.amounts).toMatchObject({ refunded: 10_000, held: 90_000, released: 0 });
    expect(seen.kinds).toEqual(['escrow_hold', 'escrow_refund']);
    expectRefused(await act(p.buyerKey, orderId, 'confirm-receipt'), 'cannot confirm receipt while claim C2 is open: funds stay held until it is closed');

    expectStatus(await act(p.buyerKey, orderId, 'claims/C2/withdraw'), 200);
    seen = await escrowOf(p, orderId);
    expect(seen.order.status).toBe('SETTLED');
    expect(seen.amounts).toMatchObject({ refunded: 10_000, released: 90_000, held: 0 });
    expect(seen.ledger.map((t) => [t.id, t.kind])).toEqual([
      [`order:${orderId}:payment:deposit`, 'escrow_hold'],
      [`order:${orderId}:claim:C1:refund`, 'escrow_refund'],
      [`order:${orderId}:claim:C1:release`, 'escrow_release'],
    ]);
    // The refund's payment to the buyer (REFUND_PAID) is recorded when the payment adapter completes it.
    const timeline = await eventually(() => timelineOf(p.buyerKey, orderId), (t) => t.includes('ORDER_SETTLED') && t.includes('REFUND_PAID'), 'the settlement in the timeline');
    expect(timeline.filter((t) => ['CLAIM_REFUNDED', 'CLAIM_WITHDRAWN', 'ORDER_SETTLED', 'FUNDS_RELEASED'].includes(t))).toEqual([
      'CLAIM_REFUNDED', 'CLAIM_WITHDRAWN', 'ORDER_SETTLED',
    ]);
  });

  it('a partial refund accepted before shipment leaves the order running: it ships, completes and releases only the rest', async () => {
    const p = await registerParties(stack);
    const orderId = await paidOrder(p);
    await openClaim(p, orderId, 'QUALITY_MISMATCH', 20_000);
    expectStatus(await act(p.supplierKey, orderId, 'claims/C1/respond', { kind: 'accept', message: 'agreed: two cartons short' }), 200);
    let seen = await escrowOf(p, orderId);
    expect(seen.order.status).toBe('PAID');
    expect(seen.order.settlementPending).toBeUndefined();
    expect(seen.amounts).toMatchObject({ refunded: 20_000, held: 80_000, released: 0 });

    expectStatus(await act(p.supplierKey, orderId, 'ship', { carrier: 'DHL', trackingNumber: 'JD014600777' }), 200);
    expectStatus(await act(stack.opsKey, orderId, 'mark-delivered'), 200);
    expectStatus(await act(p.buyerKey, orderId, 'confirm-receipt'), 200);
    seen = await escrowOf(p, orderId);
    expect(seen.order.status).toBe('COMPLETED');
    expect(seen.amounts).toMatchObject({ paid: PAID, refunded: 20_000, released: 80_000, held: 0 });
    expect(seen.ledger.map((t) => [t.id, t.kind])).toEqual([
      [`order:${orderId}:payment:deposit`, 'escrow_hold'],
      [`order:${orderId}:claim:C1:refund`, 'escrow_refund'],
      [`order:${orderId}:release`, 'escrow_release'],
    ]);
  });
});

describe('4. confirm-by-supplier and cancel sent at once', () => {
  it('end in one valid order of the two, six times: a cancelled order stays cancelled and closed, with nothing open or reserved', async () => {
    const p = await registerParties(stack);
    const ids = await Promise.all(Array.from({ length: 6 }, () => draft(p)));
    for (const id of ids) expectStatus(await act(p.buyerKey, id, 'confirm-by-buyer'), 200);

    const outcomes: string[] = [];
    for (const orderId of ids) {
      const [confirmed, cancelled] = await Promise.all([
        act(p.supplierKey, orderId, 'confirm-by-supplier'),
        act(p.buyerKey, orderId, 'cancel', { reason: 'changed plans' }),
      ]);
      // Each answer is a 200 or a refusal in the error shape (a 5xx shows its body here).
      for (const r of [confirmed, cancelled]) {
        expect({ status: r.status, error: r.body?.error }).toEqual(
          r.status === 200 ? { status: 200, error: undefined } : { status: 409, error: expect.objectContaining({ code: 'action_refused' }) },
        );
      }
      outcomes.push(`${confirmed.status}/${cancelled.status}${[confirmed, cancelled].filter((r) => r.status !== 200).map((r) => ` (${r.body.error.message})`).join('')}`);
      const live = expectStatus(await call(p.buyerKey, 'GET', `/orders/${orderId}`), 200).body.order;
      const handle = stack.client.workflow.getHandle(orderWorkflowId(orderId));

      if (cancelled.status === 409) {
        // The cancellation came second and was refused: the confirmation stands.
        expectRefused(cancelled, /^cannot cancel/);
        expect(confirmed.status).toBe(200);
        expect(live.status).toBe('CONFIRMED');
        expect(live.deadlines.map((d: { kind: string }) => d.kind)).toContain('deposit-due');
        const reservation = await stack.db.coverageReservation.findUniqueOrThrow({ where: { orderId } });
        expect({ status: reservation.status, amount: Number(reservation.amount) }).toEqual({ status: 'reserved', amount: live.amounts.covered });
        expect((await handle.describe()).status.name).toBe('RUNNING');
        // Still usable: it cancels now, and lets its coverage go.
        expectStatus(await act(p.buyerKey, orderId, 'cancel', { reason: 'changed plans after all' }), 200);
      } else {
        expect(live.status).toBe('CANCELLED');
        // Refused by the order's validator, or (the cancel having closed the order first) by Temporal.
        if (confirmed.status === 409) expectRefused(confirmed, new RegExp(`^(cannot confirm as supplier|order ${orderId} is cancelled; it takes no further actions$)`));
      }

      // Cancelled in the end: CANCELLED last, the workflow closed as CANCELLED, the read model agrees,
      // no deadline listed anywhere, no coverage held for it.
      const description = await eventually(() => handle.describe(), (d) => d.status.name !== 'RUNNING', `workflow of ${orderId} to close`);
      expect(description.status.name).toBe('COMPLETED');
      expect((await handle.result()).status).toBe('CANCELLED');
      const final = expectStatus(await call(p.buyerKey, 'GET', `/orders/${orderId}`), 200).body.order;
      expect({ status: final.status, deadlines: final.deadlines }).toEqual({ status: 'CANCELLED', deadlines: [] });
      const timeline = await timelineOf(p.buyerKey, orderId);
      expect(timeline.at(-1)).toBe('CANCELLED');
      expect(timeline.filter((t) => t === 'CANCELLED')).toHaveLength(1);
      expect(timeline.includes('SUPPLIER_CONFIRMED')).toBe(confirmed.status === 200);
      const row = await stack.db.order.findUniqueOrThrow({ where: { id: orderId } });
      expect({ status: row.status, revision: row.revision }).toEqual({ status: final.status, revision: final.revision });
      expect(expectStatus(await call(p.buyerKey, 'GET', `/orders/${orderId}/deadlines`), 200).body.deadlines).toEqual([]);
      expect(await stack.db.openDeadline.count({ where: { resource: 'order', resourceId: orderId } })).toBe(0);
      const reservation = await stack.db.coverageReservation.findUnique({ where: { orderId } });
      expect(reservation === null || reservation.status === 'released').toBe(true);
      expect(await stack.db.ledgerTransaction.count({ where: { orderId } })).toBe(0);
    }

    const listed = expectStatus(await call(stack.opsKey, 'GET', `/deadlines?resource=order&party=${p.buyerId}&limit=200`), 200).body.deadlines as { resourceId: string }[];
    expect(listed.filter((d) => ids.includes(d.resourceId))).toEqual([]);
    const assurance = expectStatus(await call(stack.opsKey, 'GET', `/suppliers/${p.supplierId}/assurance`), 200).body.assurance;
    expect(assurance.reserved).toBe(0);
    // Which of the valid orders happened is the race's; printed so that a run can be read.
    console.info(`confirm/cancel answers:\n${outcomes.join('\n')}`);
  });
});

describe('5. evidence on one claim is capped per party', () => {
  it('the buyer is refused after 20 files, naming the limit; the supplier still adds its own; the history stays small', async () => {
    const p = await registerParties(stack);
    const orderId = await paidOrder(p);
    await openClaim(p, orderId, 'QUALITY_MISMATCH', 10_000);
    const route = `/orders/${orderId}/claims/C1/evidence`;

    const statuses: number[] = [];
    let refusal: Reply | undefined;
    for (let n = 0; n < 30 && !refusal; n++) {
      const sent = await upload(stack, p.buyerKey, `${route}?name=photo-${n}.png`, 'image/png', png(uniqueId(`buyer-${n}`)));
      statuses.push(sent.reply.status);
      if (sent.reply.status !== 201) refusal = sent.reply;
    }
    expect(statuses).toEqual([...Array(20).fill(201), 409]);
    expectRefused(refusal!, 'cannot add evidence: the buyer has added 20 files to claim C1, the most allowed (limit maxEvidenceFilesPerParty = 20)');
    const refusedBytes = png(uniqueId('buyer-refused'));
    const again = await upload(stack, p.buyerKey, `${route}?name=one-more.png`, 'image/png', refusedBytes);
    expectRefused(again.reply, /\(limit maxEvidenceFilesPerParty = 20\)$/);
    expect(storedOf(stack, new Set([sha(refusedBytes)]))).toEqual([]);

    const supplier = await upload(stack, p.supplierKey, `${route}?name=qc-report.png`, 'image/png', png(uniqueId('supplier')));
    expect(supplier.reply.status).toBe(201);

    const order = expectStatus(await call(p.buyerKey, 'GET', `/orders/${orderId}`), 200).body.order;
    const evidence = order.claims[0].evidence as { uploadedBy: string }[];
    expect({ buyer: evidence.filter((e) => e.uploadedBy === 'buyer').length, supplier: evidence.filter((e) => e.uploadedBy === 'supplier').length }).toEqual({ buyer: 20, supplier: 1 });
    const history = await stack.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
    expect(history.status.name).toBe('RUNNING');
    expect(history.historySize).toBeDefined();
    expect(history.historySize!).toBeLessThan(1024 * 1024);
    console.info(`order with 21 evidence files and 2 refusals: ${history.historyLength} events, ${history.historySize} bytes of history`);

    // Still answering: the claim is withdrawn and the order goes on.
    expectStatus(await act(p.buyerKey, orderId, 'claims/C1/withdraw'), 200);
    expect((await escrowOf(p, orderId)).order.status).toBe('PAID');
  });
});

describe('6. a lone UTF-16 surrogate', () => {
  /** The body as raw JSON text, so the \ud800 escape reaches the API as written (JSON.parse keeps it lone). */
  const raw = (key: string, route: string, json: string) => call(key, 'POST', route, undefined, json);

  it('in a cancel reason or a claim description is a 400 naming the field; the order is unchanged and still usable', async () => {
    const p = await registerParties(stack);
    const orderId = await paidOrder(p);
    const before = expectStatus(await call(p.buyerKey, 'GET', `/orders/${orderId}`), 200).body.order;

    const cancel = await raw(p.buyerKey, `/orders/${orderId}/cancel`, '{"reason": "lost \\ud800 x"}');
    expectError(cancel, 400, 'invalid_input');
    expect(cancel.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['reason']);
    expect(cancel.body.error.fields[0].reason).toMatch(/lone high surrogate \(U\+D800\)/);
    const claim = await raw(p.buyerKey, `/orders/${orderId}/claims`, '{"cause": "QUALITY_MISMATCH", "refundAsked": 100, "description": "cracked \\udc00"}');
    expectError(claim, 400, 'invalid_input');
    expect(claim.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['description']);

    const after = expectStatus(await call(p.buyerKey, 'GET', `/orders/${orderId}`), 200).body.order;
    expect({ status: after.status, revision: after.revision, claims: after.claims }).toEqual({ status: before.status, revision: before.revision, claims: [] });

    // Nothing jammed behind it: the buyer cancels within the window with a valid reason, refunded in full.
    expectStatus(await act(p.buyerKey, orderId, 'cancel', { reason: 'lost in transit 📦' }), 200);
    const seen = await escrowOf(p, orderId);
    expect(seen.order.status).toBe('CANCELLED');
    expect(seen.amounts).toMatchObject({ refunded: PAID, held: 0 });
    const timeline = await eventually(() => timelineOf(p.buyerKey, orderId), (t) => t.at(-1) === 'CANCELLED_IN_WINDOW', 'the cancellation in the timeline');
    expect(timeline).toHaveLength(before.revision + 1);
  });

  it('in POST /manual-orders is a 400 naming the field, not a 500, and stores nothing', async () => {
    const manualOrderId = uniqueId('MO');
    const body = {
      manualOrderId,
      customerName: 'Ana Souza',
      customerEmail: `${manualOrderId.toLowerCase()}@customer.example`,
      address: { line1: 'Rua Augusta 100', city: 'São Paulo', postalCode: '01304-000', country: 'BR' },
      items: [{ sku: 'BT-SPK-200', quantity: 2 }],
      currency: 'USD',
      totalAmount: 5_000,
      paidAt: new Date(Date.now() - 3_600_000).toISOString(),
      reason: 'REASON',
    };
    const json = JSON.stringify(body).replace('"REASON"', '"lost \\ud800 x"');
    const res = await raw(stack.opsKey, '/manual-orders', json);
    expectError(res, 400, 'invalid_input');
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['reason']);
    expect(await stack.db.manualOrder.count({ where: { id: manualOrderId } })).toBe(0);
    expectStatus(await call(stack.opsKey, 'POST', '/manual-orders', { ...body, reason: 'ordered by phone' }), 201);
  });
});
