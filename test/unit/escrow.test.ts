import fc from 'fast-check';
import {
  EscrowAccount,
  afterServiceRefundable,
  applyPayment,
  applyRefund,
  applyRefundAllHeld,
  applyRelease,
  claimRefundCeiling,
  escrowProblems,
  mayRelease,
  openEscrow,
  planRefund,
  refundSettles,
} from '../../workflows/escrow';

const paid = (amount: number, covered = amount): EscrowAccount => ({ ...applyPayment(openEscrow('USD'), amount), covered });

describe('claim refund ceiling', () => {
  it('is min(covered, paid) before any refund, naming the binding rule', () => {
    expect(claimRefundCeiling(paid(100_000))).toEqual({ limit: 100_000, binding: 'the covered amount 1,000.00 USD' });
    expect(claimRefundCeiling(paid(100_000, 40_000))).toEqual({ limit: 40_000, binding: 'the covered amount 400.00 USD' });
    expect(claimRefundCeiling({ ...paid(30_000), covered: 100_000 })).toEqual({ limit: 30_000, binding: 'the amount paid 300.00 USD' });
  });

  it('shrinks by what claims already refunded, across claims', () => {
    const a = paid(100_000);
    const first = planRefund(a, 'claim', 100_000)!;
    expect(first).toEqual({ amount: 100_000, fromEscrow: 100_000, fromSupplier: 0 });
    const after = applyRefund(a, 'claim', first);
    expect(claimRefundCeiling(after).limit).toBe(0);
    expect(claimRefundCeiling(after).binding).toMatch(/already refunded on claims/);
    // A second claim asking the same is capped at nothing: the reported bug refunded 2,000.00 of 1,000.00 paid.
    expect(planRefund(after, 'claim', 100_000)).toEqual({ amount: 0, fromEscrow: 0, fromSupplier: 0 });
  });

  it('caps two refunds at the coverage when coverage is below what was paid', () => {
    let a = paid(100_000, 50_000);
    a = applyRefund(a, 'claim', planRefund(a, 'claim', 50_000)!);
    const second = planRefund(a, 'claim', 50_000)!;
    expect(second.amount).toBe(0);
    expect(a.claimRefunded).toBe(50_000);
  });

  it('counts after-service refunds against what was paid', () => {
    let a = paid(100_000);
    a = applyRefund(a, 'after-service', planRefund(a, 'after-service', 70_000)!);
    expect(afterServiceRefundable(a)).toBe(30_000);
    expect(claimRefundCeiling(a)).toMatchObject({ limit: 30_000 });
    expect(claimRefundCeiling(a).binding).toMatch(/still refundable of the amount paid/);
  });
});

describe('refund plans', () => {
  it('pays from escrow first, then recovers the rest from what the supplier was released', () => {
    let a = paid(100_000);
    a = applyRefund(a, 'after-service', planRefund(a, 'after-service', 20_000)!);
    const { account } = applyRelease(a, 0);
    expect(account).toMatchObject({ held: 0, released: 80_000 });
    const plan = planRefund(account, 'claim', 50_000)!;
    expect(plan).toEqual({ amount: 50_000, fromEscrow: 0, fromSupplier: 50_000 });
    const after = applyRefund(account, 'claim', plan);
    expect(after).toMatchObject({ recovered: 50_000, refunded: 70_000, claimRefunded: 50_000 });
    expect(escrowProblems(after)).toEqual([]);
  });

  it('refuses amounts that are not positive whole minor units', () => {
    const a = paid(100_000);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) expect(planRefund(a, 'claim', bad)).toBeUndefined();
  });
});

describe('release and settlement', () => {
  it('never releases while a claim is open', () => {
    expect(mayRelease(1)).toBe(false);
    expect(() => applyRelease(paid(10_000), 2)).toThrow(/cannot be released while 2 claim\(s\) are open/);
    expect(applyRelease(paid(10_000), 0)).toMatchObject({ released: 10_000, account: { held: 0, released: 10_000 } });
  });

  it('settles after delivery, or when nothing is left held; a partial refund before delivery does not', () => {
    const a = paid(100_000);
    const partial = applyRefund(a, 'claim', planRefund(a, 'claim', 30_000)!);
    expect(refundSettles(partial, 'before-delivery')).toBe(false);
    expect(refundSettles(partial, 'delivered')).toBe(true);
    const full = applyRefund(a, 'claim', planRefund(a, 'claim', 100_000)!);
    expect(refundSettles(full, 'before-delivery')).toBe(true);
    expect(refundSettles(full, 'released')).toBe(false);
  });

  it('refunds everything held on cancellation', () => {
    const { account, refunded } = applyRefundAllHeld(paid(42_000));
    expect(refunded).toBe(42_000);
    expect(account).toMatchObject({ held: 0, refunded: 42_000 });
    expect(escrowProblems(account)).toEqual([]);
  });
});

describe('escrowProblems finds each broken invariant', () => {
  it.each([
    [{ held: -1, paid: -1 }, /held -1 is negative/],
    [{ held: 5 }, /held 5 ≠ paid/],
    [{ claimRefunded: 200, refunded: 200, held: -100 }, /claims refunded 200 > min\(covered/],
    [{ refunded: 150, recovered: 50, held: 0 }, /refunded 150 > paid 100/],
    [{ recovered: 10, refunded: 10 }, /recovered 10 > released 0/],
  ])('%o', (broken, message) => {
    const base: EscrowAccount = { ...openEscrow('USD'), paid: 100, held: 100, covered: 100 };
    expect(escrowProblems({ ...base, ...broken }).join('; ')).toMatch(message);
  });
});

describe('any sequence of movements keeps the invariants', () => {
  type Step =
    | { kind: 'pay'; amount: number }
    | { kind: 'refund'; refund: 'claim' | 'after-service'; amount: number }
    | { kind: 'release'; openClaims: number }
    | { kind: 'cancel' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('pay' as const), amount: fc.integer({ min: 1, max: 1_000_000 }) }),
    fc.record({ kind: fc.constant('refund' as const), refund: fc.constantFrom('claim' as const, 'after-service' as const), amount: fc.integer({ min: -5, max: 2_000_000 }) }),
    fc.record({ kind: fc.constant('release' as const), openClaims: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ kind: fc.constant('cancel' as const) }),
  );

  it('holds I1–I5 after every step, with refunds within their ceilings', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), fc.array(step, { maxLength: 30 }), (covered, steps) => {
        let a: EscrowAccount = { ...openEscrow('USD'), covered };
        for (const s of steps) {
          if (s.kind === 'pay') a = applyPayment(a, s.amount);
          if (s.kind === 'refund') {
            const ceiling = s.refund === 'claim' ? claimRefundCeiling(a).limit : afterServiceRefundable(a);
            const plan = planRefund(a, s.refund, s.amount);
            if (!plan) continue;
            expect(plan.amount).toBeLessThanOrEqual(ceiling);
            expect(plan.fromSupplier).toBeLessThanOrEqual(a.released - a.recovered);
            a = applyRefund(a, s.refund, plan);
          }
          if (s.kind === 'release') {
            if (!mayRelease(s.openClaims)) {
              expect(() => applyRelease(a, s.openClaims)).toThrow();
              continue;
            }
            a = applyRelease(a, s.openClaims).account;
          }
          if (s.kind === 'cancel') a = applyRefundAllHeld(a).account;
          expect(escrowProblems(a)).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });
});
