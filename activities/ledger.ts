import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../infra/db';
import { Prisma } from '../generated/prisma/client';
import { stopRetryingDataErrors } from './failures';

export interface LedgerPosting {
  /** Idempotency key of the movement, derived from the business ID and step (e.g. order:42:release). */
  id: string;
  orderId?: string;
  kind: string;
  currency: string;
  /** Signed minor units: positive debits, negative credits. They must sum to zero. */
  entries: { account: string; amount: number }[];
}

/** Ledger account names, in one place. */
export const ledgerAccount = {
  buyerFunding: (buyerId: string) => `buyer:${buyerId}:funding`,
  escrow: (orderId: string) => `escrow:order:${orderId}`,
  supplierPayable: (supplierId: string) => `supplier:${supplierId}:payable`,
  /** The customer of a manual order (paid outside escrow). */
  manualCustomer: (manualOrderId: string) => `customer:manual:${manualOrderId}`,
  /** What TradeGuard pays out for after-service on manual orders. */
  afterServiceBudget: 'platform:after-service',
};

export interface EscrowMovement {
  /** Idempotency key of the movement (business ID and step). */
  id: string;
  orderId: string;
  partyId: string;
  amount: number;
  currency: string;
}

/** Where a posting is written: the client itself, or a transaction it opened. */
export type LedgerWriter = Pick<Prisma.TransactionClient, '$queryRaw'>;

/** Transaction kinds that pay the buyer back: from escrow, from the supplier's payable, from the after-service budget. */
export const BUYER_REFUND_KINDS = ['escrow_refund', 'supplier_refund', 'after_service_refund'] as const;

/** The postings of the ledger's movements, in one place: each activity and each transaction posts these. */
export const ledgerPosting = {
  /** A buyer's payment arrives and is held in the order's escrow account. */
  escrowHold: (m: EscrowMovement): LedgerPosting => ({
    id: m.id,
    orderId: m.orderId,
    kind: 'escrow_hold',
    currency: m.currency,
    entries: [
      { account: ledgerAccount.escrow(m.orderId), amount: m.amount },
      { account: ledgerAccount.buyerFunding(m.partyId), amount: -m.amount },
    ],
  }),
  /** Held funds go back to the buyer (cancellation, or a claim's refund). */
  escrowRefund: (m: EscrowMovement): LedgerPosting => ({
    id: m.id,
    orderId: m.orderId,
    kind: 'escrow_refund',
    currency: m.currency,
    entries: [
      { account: ledgerAccount.buyerFunding(m.partyId), amount: m.amount },
      { account: ledgerAccount.escrow(m.orderId), amount: -m.amount },
    ],
  }),
  /** A refund decided after the funds were released: recovered from the supplier's payable. */
  supplierRefund: (m: EscrowMovement & { supplierId: string }): LedgerPosting => ({
    id: m.id,
    orderId: m.orderId,
    kind: 'supplier_refund',
    currency: m.currency,
    entries: [
      { account: ledgerAccount.buyerFunding(m.partyId), amount: m.amount },
      { account: ledgerAccount.supplierPayable(m.supplierId), amount: -m.amount },
    ],
  }),
  /** Held funds go to the supplier. */
  escrowRelease: (m: EscrowMovement): LedgerPosting => ({
    id: m.id,
    orderId: m.orderId,
    kind: 'escrow_release',
    currency: m.currency,
    entries: [
      { account: ledgerAccount.supplierPayable(m.partyId), amount: m.amount },
      { account: ledgerAccount.escrow(m.orderId), amount: -m.amount },
    ],
  }),
  /** A manual order was paid outside escrow: the after-service budget pays its customer back. */
  manualRefund: (m: Omit<EscrowMovement, 'partyId'>): LedgerPosting => ({
    id: m.id,
    orderId: m.orderId,
    kind: 'after_service_refund',
    currency: m.currency,
    entries: [
      { account: ledgerAccount.manualCustomer(m.orderId), amount: m.amount },
      { account: ledgerAccount.afterServiceBudget, amount: -m.amount },
    ],
  }),
};

/**
 * Posts a balanced transaction exactly once through `writer` (the client, or a transaction the caller
 * opened so that the posting commits with its own checks): a retry with the same id changes nothing.
 */
export async function postLedgerTransactionWith(writer: LedgerWriter, posting: LedgerPosting): Promise<{ posted: boolean }> {
  const sum = posting.entries.reduce((s, e) => s + e.amount, 0);
  if (posting.entries.length < 2 || sum !== 0 || posting.entries.some((e) => !Number.isSafeInteger(e.amount))) {
    throw ApplicationFailure.create({
      type: 'UnbalancedLedgerTransaction',
      message: `ledger transaction ${posting.id} is not balanced (entries sum to ${sum})`,
      nonRetryable: true,
    });
  }
  // One statement: the transaction row, then its entries only if the row is new (a retry posts nothing).
  const entries = posting.entries.map((e) => ({ account: e.account, amount: String(e.amount) }));
  const [result] = await writer.$queryRaw<{ posted: number }[]>`
    WITH "txn" AS (
      INSERT INTO "LedgerTransaction" ("id", "orderId", "kind", "currency")
      VALUES (${posting.id}, ${posting.orderId ?? null}, ${posting.kind}, ${posting.currency})
      ON CONFLICT ("id") DO NOTHING
      RETURNING "id"
    ), "entries" AS (
      INSERT INTO "LedgerEntry" ("transactionId", "account", "amount", "currency")
      SELECT t."id", e."account", e."amount"::bigint, ${posting.currency}
      FROM "txn" AS t CROSS JOIN jsonb_to_recordset(${JSON.stringify(entries)}::jsonb) AS e("account" text, "amount" text)
    )
    SELECT count(*)::int AS "posted" FROM "txn"`;
  return { posted: (result?.posted ?? 0) > 0 };
}

/** Whether a transaction with this idempotency key is already in the ledger. */
export async function isPosted(reader: LedgerWriter, id: string): Promise<boolean> {
  const rows = await reader.$queryRaw<{ one: number }[]>`SELECT 1 AS "one" FROM "LedgerTransaction" WHERE "id" = ${id}`;
  return rows.length > 0;
}

/**
 * What the ledger says of an order's escrow: paid into its escrow account, and refunded to the buyer
 * by every path (from escrow, recovered from the supplier's payable, after-service), in minor units.
 */
export async function escrowTotalsFromLedger(reader: LedgerWriter, orderId: string): Promise<{ paid: number; refunded: number }> {
  const [row] = await reader.$queryRaw<{ paid: bigint | null; refunded: bigint | null }[]>`
    SELECT
      SUM(e."amount") FILTER (WHERE t."kind" = 'escrow_hold' AND e."account" = ${ledgerAccount.escrow(orderId)}) AS "paid",
      -- A refund's one debit is the side that receives the money.
      SUM(e."amount") FILTER (WHERE t."kind" IN (${Prisma.join(BUYER_REFUND_KINDS)}) AND e."amount" > 0) AS "refunded"
    FROM "LedgerTransaction" AS t JOIN "LedgerEntry" AS e ON e."transactionId" = t."id"
    WHERE t."orderId" = ${orderId}`;
  return { paid: Number(row?.paid ?? 0n), refunded: Number(row?.refunded ?? 0n) };
}

export function createLedgerActivities({ db }: { db: Db }) {
  /** Posts a balanced transaction exactly once: a retry with the same id changes nothing. */
  const postLedgerTransaction = (posting: LedgerPosting) => postLedgerTransactionWith(db, posting);

  return stopRetryingDataErrors({
    postLedgerTransaction,
    /** A buyer's payment arrives and is held in the order's escrow account. */
    holdPaymentInEscrow: (m: EscrowMovement) => postLedgerTransaction(ledgerPosting.escrowHold(m)),
    /** Held funds go back to the buyer (cancellation, or a claim's refund). */
    refundEscrowToBuyer: (m: EscrowMovement) => postLedgerTransaction(ledgerPosting.escrowRefund(m)),
    /** A refund decided after the funds were released: recovered from the supplier's payable. */
    refundFromSupplierPayable: (m: EscrowMovement & { supplierId: string }) => postLedgerTransaction(ledgerPosting.supplierRefund(m)),
    /** Held funds go to the supplier. */
    releaseEscrowToSupplier: (m: EscrowMovement) => postLedgerTransaction(ledgerPosting.escrowRelease(m)),
  });
}
