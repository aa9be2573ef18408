import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../infra/db';
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

export function createLedgerActivities({ db }: { db: Db }) {
  /** Posts a balanced transaction exactly once: a retry with the same id changes nothing. */
  async function postLedgerTransaction(posting: LedgerPosting): Promise<{ posted: boolean }> {
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
      const [result] = await db.$queryRaw<{ posted: number }[]>`
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

  return stopRetryingDataErrors({
    postLedgerTransaction,
    /** A buyer's payment arrives and is held in the order's escrow account. */
    holdPaymentInEscrow(m: EscrowMovement) {
      return postLedgerTransaction({
        id: m.id,
        orderId: m.orderId,
        kind: 'escrow_hold',
        currency: m.currency,
        entries: [
          { account: ledgerAccount.escrow(m.orderId), amount: m.amount },
          { account: ledgerAccount.buyerFunding(m.partyId), amount: -m.amount },
        ],
      });
    },
    /** Held funds go back to the buyer (cancellation, or a claim's refund). */
    refundEscrowToBuyer(m: EscrowMovement) {
      return postLedgerTransaction({
        id: m.id,
        orderId: m.orderId,
        kind: 'escrow_refund',
        currency: m.currency,
        entries: [
          { account: ledgerAccount.buyerFunding(m.partyId), amount: m.amount },
          { account: ledgerAccount.escrow(m.orderId), amount: -m.amount },
        ],
      });
    },
    /** A refund decided after the funds were released: recovered from the supplier's payable. */
    refundFromSupplierPayable(m: EscrowMovement & { supplierId: string }) {
      return postLedgerTransaction({
        id: m.id,
        orderId: m.orderId,
        kind: 'supplier_refund',
        currency: m.currency,
        entries: [
          { account: ledgerAccount.buyerFunding(m.partyId), amount: m.amount },
          { account: ledgerAccount.supplierPayable(m.supplierId), amount: -m.amount },
        ],
      });
    },
    /** Held funds go to the supplier. */
    releaseEscrowToSupplier(m: EscrowMovement) {
      return postLedgerTransaction({
        id: m.id,
        orderId: m.orderId,
        kind: 'escrow_release',
        currency: m.currency,
        entries: [
          { account: ledgerAccount.supplierPayable(m.partyId), amount: m.amount },
          { account: ledgerAccount.escrow(m.orderId), amount: -m.amount },
        ],
      });
    },
  });
}
