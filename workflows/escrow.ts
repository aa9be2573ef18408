/**
 * An order's escrow account, and every question about its money. Every path that moves an order's
 * money (payment, claim refunds, after-service refunds, release, cancellation) asks this module
 * what is still allowed and applies the movement through it. Pure and deterministic: imported by
 * the workflows, and by activities that refund against the ledger after an order closed.
 *
 * Invariants, checked by test/unit/escrow.test.ts and the model-based tests:
 *   I1  held = paid − refundedFromEscrow − released, and held ≥ 0
 *   I2  refunds decided on claims ≤ min(covered, paid), across all of the order's claims
 *   I3  all refunds (claims and after-service) ≤ paid
 *   I4  held funds are never released while a claim is open
 *   I5  recovered from the supplier ≤ released to the supplier
 */
import { formatMoney } from './money';

export interface EscrowAccount {
  currency: string;
  /** Paid by the buyer into escrow. */
  paid: number;
  /** Still held in escrow. */
  held: number;
  /** Trade Assurance coverage reserved for the order. */
  covered: number;
  /** Every refund to the buyer: claims and after-service, from escrow or recovered from the supplier. */
  refunded: number;
  /** The part of `refunded` decided on claims. */
  claimRefunded: number;
  /** Released to the supplier. */
  released: number;
  /** The part of `refunded` taken back from the supplier's payable (funds already released). */
  recovered: number;
}

export function openEscrow(currency: string): EscrowAccount {
  return { currency, paid: 0, held: 0, covered: 0, refunded: 0, claimRefunded: 0, released: 0, recovered: 0 };
}

/** How a refund is paid: first from escrow, the rest recovered from what the supplier was paid. */
export interface RefundPlan {
  amount: number;
  fromEscrow: number;
  fromSupplier: number;
}

export type RefundKind = 'claim' | 'after-service';

/** The most a claim may refund now, and the rule that binds it (for a person to read). */
export function claimRefundCeiling(a: EscrowAccount): { limit: number; binding: string } {
  const money = (n: number) => formatMoney(n, a.currency);
  const claimsLeft = Math.min(a.covered, a.paid) - a.claimRefunded;
  const paidLeft = a.paid - a.refunded;
  if (paidLeft < claimsLeft) {
    return { limit: Math.max(0, paidLeft), binding: `what is still refundable of the amount paid (${money(Math.max(0, paidLeft))} of ${money(a.paid)})` };
  }
  const base = a.covered <= a.paid ? `the covered amount ${money(a.covered)}` : `the amount paid ${money(a.paid)}`;
  return {
    limit: Math.max(0, claimsLeft),
    binding: a.claimRefunded > 0 ? `${base} less ${money(a.claimRefunded)} already refunded on claims (${money(Math.max(0, claimsLeft))} left)` : base,
  };
}

/** The most an after-service case may still refund: what was paid less every refund so far. */
export function afterServiceRefundable(a: Pick<EscrowAccount, 'paid' | 'refunded'>): number {
  return Math.max(0, a.paid - a.refunded);
}

/** The ceiling for a refund of the given kind. */
export function refundCeiling(a: EscrowAccount, kind: RefundKind): number {
  return kind === 'claim' ? claimRefundCeiling(a).limit : afterServiceRefundable(a);
}

/**
 * Plans a refund of at most `asked`, capped at the kind's ceiling; undefined when `asked` is not a
 * positive whole number of minor units. The plan's amount may be less than asked (even zero).
 */
export function planRefund(a: EscrowAccount, kind: RefundKind, asked: number): RefundPlan | undefined {
  if (!Number.isSafeInteger(asked) || asked <= 0) return undefined;
  const amount = Math.min(asked, refundCeiling(a, kind));
  const fromEscrow = Math.min(amount, a.held);
  return { amount, fromEscrow, fromSupplier: amount - fromEscrow };
}

/** The account after a refund planned by planRefund. */
export function applyRefund(a: EscrowAccount, kind: RefundKind, plan: RefundPlan): EscrowAccount {
  return {
    ...a,
    held: a.held - plan.fromEscrow,
    refunded: a.refunded + plan.amount,
    claimRefunded: a.claimRefunded + (kind === 'claim' ? plan.amount : 0),
    recovered: a.recovered + plan.fromSupplier,
  };
}

/** The account after a payment into escrow. */
export function applyPayment(a: EscrowAccount, amount: number): EscrowAccount {
  return { ...a, paid: a.paid + amount, held: a.held + amount };
}

/** Whether held funds may go to the supplier now: never while a claim is open (I4). */
export function mayRelease(openClaims: number): boolean {
  return openClaims === 0;
}

/** The account after every held amount is released to the supplier; refuses while a claim is open. */
export function applyRelease(a: EscrowAccount, openClaims: number): { account: EscrowAccount; released: number } {
  if (!mayRelease(openClaims)) throw new Error(`escrow of ${formatMoney(a.held, a.currency)} cannot be released while ${openClaims} claim(s) are open`);
  return { account: { ...a, held: 0, released: a.released + a.held }, released: a.held };
}

/** The account after every held amount is refunded to the buyer (cancellation), and the amount refunded. */
export function applyRefundAllHeld(a: EscrowAccount): { account: EscrowAccount; refunded: number } {
  return { account: { ...a, held: 0, refunded: a.refunded + a.held }, refunded: a.held };
}

/** Order stages in escrow's terms: whether the goods have been delivered and funds are still held. */
export type EscrowStage = 'before-delivery' | 'delivered' | 'released';

/**
 * Whether a claim's refund settles the order (the rest of the held funds go to the supplier once no
 * claim is open): after delivery, or when it leaves nothing held. A partial refund before delivery
 * does not end the order: the supplier still ships and is paid the rest on receipt.
 */
export function refundSettles(after: EscrowAccount, stage: EscrowStage): boolean {
  if (stage === 'released') return false;
  return stage === 'delivered' || after.held === 0;
}

/** The invariants I1–I5, as the problems they find (empty when the account is sound). */
export function escrowProblems(a: EscrowAccount): string[] {
  const problems: string[] = [];
  const refundedFromEscrow = a.refunded - a.recovered;
  if (a.held < 0) problems.push(`held ${a.held} is negative`);
  if (a.held !== a.paid - refundedFromEscrow - a.released) problems.push(`held ${a.held} ≠ paid ${a.paid} − refunded from escrow ${refundedFromEscrow} − released ${a.released}`);
  if (a.claimRefunded > Math.min(a.covered, a.paid)) problems.push(`claims refunded ${a.claimRefunded} > min(covered ${a.covered}, paid ${a.paid})`);
  if (a.refunded > a.paid) problems.push(`refunded ${a.refunded} > paid ${a.paid}`);
  if (a.recovered > a.released) problems.push(`recovered ${a.recovered} > released ${a.released}`);
  if (a.claimRefunded > a.refunded) problems.push(`claims refunded ${a.claimRefunded} > all refunds ${a.refunded}`);
  return problems;
}
