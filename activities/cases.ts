/**
 * What an after-service case does outside its workflow: its read model and timeline, refunds and
 * cancellations asked of the order workflow (keyed by update id, so a retry is the same request),
 * ledger refunds for manual orders and closed orders, and the resend's parcel in the self-check list.
 *
 * Several cases can refund one order, each knowing only its own refunds. A closed or manual order has
 * no workflow to keep the total, so each refund checks what is left against the database in the
 * transaction that posts it: a closed order's under a per-order advisory lock, from the ledger; a
 * manual order's by a conditional update of its running total.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure as Failure } from '@temporalio/common';
import type { Db } from '../infra/db';
import { moveManualOrder } from './manual-orders';
import { ChangeNotices, OpsAddresses, createOutbox } from './email';
import { ACTION_REFUSED, Actor, ACTOR_NOT_ALLOWED } from '../workflows/common';
import type { CaseOrderRef } from '../workflows/case.messages';
import { afterServiceRefundUpdate, cancelOrderUpdate, orderWorkflowId } from '../workflows/order.messages';
import { escrowTotalsFromLedger, isPosted, ledgerPosting, postLedgerTransactionWith } from './ledger';
import type { OpenDeadlineInput } from '../workflows/read-model';
import { stopRetryingDataErrors } from './failures';
import { writeChange } from './record-change';
import { Prisma } from '../generated/prisma/client';
import type { TimelineEntry } from '../workflows/read-model';
import { afterServiceRefundable } from '../workflows/escrow';
import { formatMoney } from '../workflows/money';

/** The case's row in the read model, as the workflow sees it at one revision. */
export interface CaseReadModel {
  id: string;
  orderId: string;
  orderSource: 'order' | 'manual';
  type: string;
  category: string;
  status: string;
  buyerId?: string;
  supplierId?: string;
  proactive: boolean;
  problem?: string;
  resolution?: string;
  currency: string;
  refundedAmount: number;
  late: boolean;
  firstReplyDueAt: string;
  firstRepliedAt?: string;
  nextDeadlineAt?: string;
  policyVersion: string;
  revision: number;
  openedAt: string;
  closedAt?: string;
  updatedAt: string;
  /** The customer's description when the case opened. */
  description?: string;
  /** Every open deadline at this revision (absent from cases started before they were sent). */
  deadlines?: OpenDeadlineInput[];
}

export interface CaseChange {
  case: CaseReadModel;
  event: TimelineEntry;
  /** The change's emails, written to the outbox in the same transaction (cases from CASE_NOTICES_PATCH on). */
  notices?: ChangeNotices;
}

export interface CaseRefund {
  /** Derived from the case's workflow id and step: the same refund every retry. */
  idempotencyKey: string;
  caseId: string;
  order: CaseOrderRef;
  amount: number;
  reason: string;
  actor?: Actor;
}

export type Outcome = { ok: true } | { ok: false; reason: string };

const date = (v?: string) => (v ? new Date(v) : null);

/** A refund the database refused inside its transaction: thrown to roll the posting back, answered as a refusal. */
class RefundRefused extends Error {}

/** Holds a transaction's refunds of one order in turn (until it commits): two cases cannot both pass the check. */
const lockOrderRefunds = (tx: Prisma.TransactionClient, orderId: string) =>
  tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`refund:order:${orderId}`}, 0))`;

/** A refusal from the order workflow (its message is for people), or undefined for anything else. */
function refusalOf(err: unknown): string | undefined {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof Failure && [ACTION_REFUSED, ACTOR_NOT_ALLOWED].includes(err.cause.type ?? '')) {
    return err.cause.message;
  }
  return undefined;
}

export function createCaseActivities({ db, opsAddresses, temporal }: { db: Db; opsAddresses: OpsAddresses; temporal: { client: Client; taskQueue: string } }) {
  const outbox = createOutbox({ opsAddresses, queue: temporal.taskQueue });

  async function orderRunning(orderId: string): Promise<boolean> {
    try {
      const d = await temporal.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
      return d.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * A closed order's refund, recovered from the supplier's payable: at most what the ledger says was
   * paid into the order's escrow less every refund to the buyer so far. Posted once per key (a retry
   * answers ok), and checked and posted under the order's lock in one transaction.
   */
  async function refundClosedOrder(r: CaseRefund, buyerId: string, supplierId: string): Promise<Outcome> {
    const { order } = r;
    const money = (n: number) => formatMoney(n, order.currency);
    return db.$transaction(async (tx) => {
      await lockOrderRefunds(tx, order.orderId);
      if (await isPosted(tx, r.idempotencyKey)) return { ok: true };
      const { paid, refunded } = await escrowTotalsFromLedger(tx, order.orderId);
      const refundable = afterServiceRefundable({ paid, refunded });
      if (r.amount > refundable) {
        return {
          ok: false,
          reason: `order ${order.orderId} is closed and ${money(refundable)} of the ${money(paid)} paid is still refundable (${money(refunded)} was refunded already)`,
        };
      }
      await postLedgerTransactionWith(tx, ledgerPosting.supplierRefund({ id: r.idempotencyKey, orderId: order.orderId, partyId: buyerId, supplierId, amount: r.amount, currency: order.currency }));
      return { ok: true };
    });
  }

  /**
   * A manual order is paid outside escrow: the after-service budget pays the customer back, `asked`
   * or (a cancellation) everything still refundable. The posting and the raise of the order's
   * refunded total commit together or not at all; the raise is conditional on staying within what
   * was paid, and happens only when the posting is new, so a retry of the same key adds nothing.
   */
  async function refundManualOrder(id: string, order: CaseOrderRef, asked: number | 'rest'): Promise<Outcome> {
    const money = (n: number) => formatMoney(n, order.currency);
    const missing = () => ApplicationFailure.create({ type: 'InvalidCaseOrder', message: `manual order ${order.orderId} does not exist`, nonRetryable: true });
    try {
      return await db.$transaction(async (tx): Promise<Outcome> => {
        let amount: number;
        if (asked === 'rest') {
          // The row's lock keeps what is left fixed until this refund commits; a retry finds nothing left.
          const [row] = await tx.$queryRaw<{ paid: bigint; refunded: bigint }[]>`
            SELECT "totalAmount" AS "paid", "refundedAmount" AS "refunded" FROM "ManualOrder" WHERE "id" = ${order.orderId} FOR UPDATE`;
          if (!row) throw missing();
          amount = afterServiceRefundable({ paid: Number(row.paid), refunded: Number(row.refunded) });
          if (amount === 0) return { ok: true };
        } else {
          amount = asked;
        }
        const { posted } = await postLedgerTransactionWith(tx, ledgerPosting.manualRefund({ id, orderId: order.orderId, amount, currency: order.currency }));
        if (!posted) return { ok: true };
        const raised = await tx.$executeRaw`
          UPDATE "ManualOrder" SET "refundedAmount" = "refundedAmount" + ${BigInt(amount)}, "updatedAt" = ${new Date()}
          WHERE "id" = ${order.orderId} AND "refundedAmount" + ${BigInt(amount)} <= "totalAmount"`;
        if (raised === 1) return { ok: true };
        const row = await tx.manualOrder.findUnique({ where: { id: order.orderId } });
        if (!row) throw missing();
        const paid = Number(row.totalAmount);
        const refunded = Number(row.refundedAmount);
        throw new RefundRefused(`${money(afterServiceRefundable({ paid, refunded }))} of the ${money(paid)} paid for manual order ${order.orderId} is still refundable (${money(refunded)} was refunded already)`);
      });
    } catch (err) {
      if (err instanceof RefundRefused) return { ok: false, reason: err.message };
      throw err;
    }
  }

  return stopRetryingDataErrors({
    /** Upserts the case row (a newer revision only) and appends the timeline entry (idempotent by (case, seq)). */
    async recordCaseChange({ case: c, event, notices }: CaseChange): Promise<void> {
      await writeChange(db, {
        row: Prisma.sql`
          INSERT INTO "AfterServiceCase" ("id", "orderId", "orderSource", "type", "category", "status", "buyerId", "supplierId",
            "proactive", "problem", "resolution", "currency", "refundedAmount", "late", "firstReplyDueAt", "firstRepliedAt",
            "nextDeadlineAt", "policyVersion", "revision", "openedAt", "closedAt", "updatedAt", "description")
          VALUES (${c.id}, ${c.orderId}, ${c.orderSource}, ${c.type}, ${c.category}, ${c.status}, ${c.buyerId ?? null},
            ${c.supplierId ?? null}, ${c.proactive}, ${c.problem ?? null}, ${c.resolution ?? null}, ${c.currency},
            ${BigInt(c.refundedAmount)}, ${c.late}, ${new Date(c.firstReplyDueAt)}, ${date(c.firstRepliedAt)},
            ${date(c.nextDeadlineAt)}, ${c.policyVersion}, ${c.revision}, ${new Date(c.openedAt)}, ${date(c.closedAt)},
            ${new Date(c.updatedAt)}, ${c.description ?? null})
          ON CONFLICT ("id") DO UPDATE SET
            "status" = EXCLUDED."status", "resolution" = EXCLUDED."resolution", "refundedAmount" = EXCLUDED."refundedAmount",
            "late" = EXCLUDED."late", "firstRepliedAt" = EXCLUDED."firstRepliedAt", "nextDeadlineAt" = EXCLUDED."nextDeadlineAt",
            "revision" = EXCLUDED."revision", "closedAt" = EXCLUDED."closedAt", "updatedAt" = EXCLUDED."updatedAt",
            "description" = COALESCE(EXCLUDED."description", "AfterServiceCase"."description")
          WHERE "AfterServiceCase"."revision" < EXCLUDED."revision"`,
        after: { resource: 'case', resourceId: c.id, status: c.status, terminal: c.status === 'CLOSED', firstReplied: Boolean(c.firstRepliedAt) },
        revision: c.revision,
        parties: { buyerId: c.buyerId, supplierId: c.supplierId },
        deadlines: c.deadlines,
        event,
        // The change and its emails commit together: both or neither.
        mail: outbox.rows(notices),
        queue: outbox.queue,
      });
    },

    /**
     * Refunds the customer. A running order refunds through its own workflow (escrow first, then the
     * supplier's payable); a closed order's refund is recovered from the supplier's payable; a manual
     * order's comes from the after-service budget. Each is posted once per idempotency key.
     */
    async refundForCase(r: CaseRefund): Promise<Outcome> {
      const { order } = r;
      if (!Number.isSafeInteger(r.amount) || r.amount <= 0) return { ok: false, reason: 'the refund amount must be a positive whole number of minor units' };
      if (order.source === 'manual') return refundManualOrder(r.idempotencyKey, order, r.amount);
      if (await orderRunning(order.orderId)) {
        try {
          await temporal.client.workflow.getHandle(orderWorkflowId(order.orderId)).executeUpdate(afterServiceRefundUpdate, {
            updateId: r.idempotencyKey,
            args: [{ actor: r.actor?.role === 'ops' ? r.actor : { role: 'ops' }, caseId: r.caseId, amount: r.amount, reason: r.reason }],
          });
          return { ok: true };
        } catch (err) {
          const refusal = refusalOf(err);
          if (refusal) return { ok: false, reason: refusal };
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          // The order closed meanwhile: fall through to the supplier's payable.
        }
      }
      if (!order.buyerId || !order.supplierId) {
        throw ApplicationFailure.create({ type: 'InvalidCaseOrder', message: `order ${order.orderId} has no buyer or supplier to refund between`, nonRetryable: true });
      }
      return refundClosedOrder(r, order.buyerId, order.supplierId);
    },

    /**
     * Cancels the order for a change/cancel case (automatically inside the window, or ops' recall). A
     * manual order's cancellation refunds what is still refundable of what its customer paid.
     */
    async cancelOrderForCase(c: { key: string; caseId: string; order: CaseOrderRef; actor: Actor; reason: string }): Promise<Outcome> {
      const { order } = c;
      if (order.source === 'manual') {
        const move = await moveManualOrder(db, order.orderId, 'cancel', new Date());
        // A retry finds the order it cancelled already: the refund below is idempotent by its key.
        if (!move.moved && move.row?.status !== 'CANCELLED') {
          return { ok: false, reason: `the manual order is ${move.row ? move.row.status.toLowerCase() : 'missing'} and can no longer be recalled` };
        }
        // Only what earlier cases left: their refunds already went back to the customer.
        return refundManualOrder(`${c.key}:refund`, order, 'rest');
      }
      try {
        await temporal.client.workflow.getHandle(orderWorkflowId(order.orderId)).executeUpdate(cancelOrderUpdate, {
          updateId: c.key,
          args: [{ actor: c.actor, reason: c.reason }],
        });
        return { ok: true };
      } catch (err) {
        const refusal = refusalOf(err);
        if (refusal) return { ok: false, reason: refusal };
        if (err instanceof WorkflowNotFoundError) return { ok: false, reason: `order ${order.orderId} is closed` };
        throw err;
      }
    },

    /** The resent parcel joins the shipments the weekly self-check follows. */
    async recordResend(r: { caseId: string; order: CaseOrderRef; carrier: string; trackingNumber: string; shippedAt: string; shippingPaidBy: 'buyer' | 'supplier' }): Promise<void> {
      const id = `resend:${r.caseId}`;
      await db.shipment.createMany({
        data: [
          {
            id,
            source: r.order.source,
            orderId: r.order.orderId,
            buyerId: r.order.buyerId ?? null,
            supplierId: r.order.supplierId ?? null,
            carrier: r.carrier,
            trackingNumber: r.trackingNumber,
            shippedAt: new Date(r.shippedAt),
            inFlight: true,
            updatedAt: new Date(r.shippedAt),
          },
        ],
        skipDuplicates: true,
      });
    },
  });
}
