import { ApplicationFailure } from '@temporalio/activity';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import type { PaymentGateway } from '../adapters/payments';
import type { Db } from '../infra/db';
import { ChangeNotices, OpsAddresses, createOutbox } from './email';
import { MONITORING_TERMINAL, type MonitoringState } from '../workflows/monitoring.messages';
import { PAYMENT_OUTCOME_UNKNOWN } from '../workflows/common';
import { linkMonitoringSignal, orderWorkflowId } from '../workflows/order.messages';
import type { OpenDeadlineInput } from '../workflows/read-model';
import { stopRetryingDataErrors } from './failures';
import { writeChange } from './record-change';
import { Prisma } from '../generated/prisma/client';
import type { TimelineEntry } from '../workflows/read-model';

/** The monitoring task's row in the read model, as the workflow sees it at one revision. */
export interface MonitoringReadModel {
  id: string;
  orderId: string;
  status: string;
  buyerId: string;
  supplierId: string;
  addedVia: string;
  currency: string;
  feeAmount: number;
  paidAmount: number;
  refundedAmount: number;
  shipmentDate: string;
  bookingCutoffAt: string;
  result?: string;
  late: boolean;
  nextDeadlineAt?: string;
  policyVersion: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
  /** The inspector party assigned to the current round, when ops named one. */
  inspectorId?: string;
  /** Every open deadline at this revision (absent from tasks started before they were sent). */
  deadlines?: OpenDeadlineInput[];
}

export interface MonitoringChange {
  task: MonitoringReadModel;
  /**
   * The task at this revision, as the workflow holds it, kept whole in its row so that an action's
   * answer can be read from there. Absent from earlier workflow code, and from a task too long to send.
   */
  view?: MonitoringState;
  event: TimelineEntry;
  /** The change's emails, written to the outbox in the same transaction (tasks from MONITORING_NOTICES_PATCH on). */
  notices?: ChangeNotices;
}

export interface FeeRefund {
  /** Derived from the workflow id and step (e.g. monitoring:PM-1:cancel:refund), never random. */
  idempotencyKey: string;
  paymentId: string;
  amount: number;
  currency: string;
}

export interface FeeCharge {
  /** Derived from the workflow id and the card's token (e.g. monitoring:PM-1:fee:pm_…), never random. */
  idempotencyKey: string;
  /** The gateway's token for the card; the card itself never reaches a workflow. */
  paymentMethod: string;
  amount: number;
  currency: string;
  description: string;
}

/** A charge the gateway took or refused; a processing error is not an answer (the activity retries it). */
export type FeeChargeResult = { status: 'succeeded'; paymentId: string } | { status: 'declined'; reason: string };

/** What linking a task to its order found: linked, or not, and then whether the order had closed without it. */
export interface MonitoringLink {
  linked: boolean;
  /** The order's workflow ended before the task could link: cancelled, or its draft expired. */
  orderClosed?: 'CANCELLED' | 'EXPIRED';
}

export function createMonitoringActivities({
  db,
  payments,
  opsAddresses,
  temporal,
}: {
  db: Db;
  payments: PaymentGateway;
  opsAddresses: OpsAddresses;
  temporal: { client: Client; taskQueue: string };
}) {
  const outbox = createOutbox({ opsAddresses, queue: temporal.taskQueue });
  return stopRetryingDataErrors({
    /**
     * Links a monitoring task to its order: the order records the task and, from then on, tells it
     * when the shipping date moves. A signal is delivered once per call; the order ignores a task it
     * already knows. An order that is not there (or closed) is reported, not retried: one whose
     * workflow ended cancelled or expired (the task was booked just before) is named as such, from
     * its row, so that the task closes with it.
     */
    async linkMonitoringToOrder(link: { orderId: string; monitoringId: string; shipmentDate: string }): Promise<MonitoringLink> {
      try {
        await temporal.client.workflow.getHandle(orderWorkflowId(link.orderId)).signal(linkMonitoringSignal, { monitoringId: link.monitoringId, shipmentDate: link.shipmentDate });
        return { linked: true };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        const order = await db.order.findUnique({ where: { id: link.orderId }, select: { status: true } });
        const status = order?.status;
        return status === 'CANCELLED' || status === 'EXPIRED' ? { linked: false, orderClosed: status } : { linked: false };
      }
    },
    /**
     * Writes one state change of a monitoring task: upserts its row (a newer revision only) and
     * appends the timeline entry ((task, seq) is unique, so a retry is a no-op).
     */
    async recordMonitoringChange({ task, view, event, notices }: MonitoringChange): Promise<void> {
      await writeChange(db, {
        row: Prisma.sql`
          INSERT INTO "MonitoringTask" ("id", "orderId", "status", "buyerId", "supplierId", "addedVia", "currency", "feeAmount",
            "paidAmount", "refundedAmount", "shipmentDate", "bookingCutoffAt", "result", "late", "nextDeadlineAt",
            "policyVersion", "revision", "createdAt", "updatedAt", "inspectorId", "view")
          VALUES (${task.id}, ${task.orderId}, ${task.status}, ${task.buyerId}, ${task.supplierId}, ${task.addedVia}, ${task.currency},
            ${BigInt(task.feeAmount)}, ${BigInt(task.paidAmount)}, ${BigInt(task.refundedAmount)}, ${new Date(task.shipmentDate)},
            ${new Date(task.bookingCutoffAt)}, ${task.result ?? null}, ${task.late},
            ${task.nextDeadlineAt ? new Date(task.nextDeadlineAt) : null}, ${task.policyVersion}, ${task.revision},
            ${new Date(task.createdAt)}, ${new Date(task.updatedAt)}, ${task.inspectorId ?? null},
            ${view ? Prisma.sql`${JSON.stringify(view)}::jsonb` : null})
          ON CONFLICT ("id") DO UPDATE SET
            "status" = EXCLUDED."status", "paidAmount" = EXCLUDED."paidAmount", "refundedAmount" = EXCLUDED."refundedAmount",
            "shipmentDate" = EXCLUDED."shipmentDate", "bookingCutoffAt" = EXCLUDED."bookingCutoffAt", "result" = EXCLUDED."result",
            "late" = EXCLUDED."late", "nextDeadlineAt" = EXCLUDED."nextDeadlineAt", "revision" = EXCLUDED."revision",
            "updatedAt" = EXCLUDED."updatedAt", "inspectorId" = EXCLUDED."inspectorId", "view" = EXCLUDED."view"
          WHERE "MonitoringTask"."revision" < EXCLUDED."revision"`,
        after: {
          resource: 'monitoring',
          resourceId: task.id,
          status: task.status,
          terminal: (MONITORING_TERMINAL as readonly string[]).includes(task.status),
        },
        revision: task.revision,
        parties: { buyerId: task.buyerId, supplierId: task.supplierId, inspectorId: task.inspectorId },
        deadlines: task.deadlines,
        event,
        // The change and its emails commit together: both or neither.
        mail: outbox.rows(notices),
        queue: outbox.queue,
      });
    },

    /**
     * Charges the service fee to a card token. The key makes a retry the same charge at the gateway;
     * a processing error fails the attempt, so Temporal retries it with the same key.
     */
    async chargeMonitoringFee(c: FeeCharge): Promise<FeeChargeResult> {
      const result = await payments.charge({ idempotencyKey: c.idempotencyKey, paymentMethod: c.paymentMethod, amount: c.amount, currency: c.currency, description: c.description });
      if (result.status === 'succeeded') return { status: 'succeeded', paymentId: result.paymentId };
      if (result.status === 'declined') return { status: 'declined', reason: result.reason ?? 'the card was declined' };
      // Both are tried again with the same key; after the last try an unanswered charge is not "nothing charged".
      if (result.status === 'unknown') throw ApplicationFailure.create({ type: PAYMENT_OUTCOME_UNKNOWN, message: result.reason ?? 'the card processor did not answer' });
      throw ApplicationFailure.create({ type: 'PaymentProcessorError', message: result.reason ?? 'the card processor had an error' });
    },

    /** Refunds (part of) the service fee to the card it was paid with; the key makes a retry a no-op at the gateway. */
    async refundMonitoringFee(r: FeeRefund): Promise<{ refundId: string }> {
      const result = await payments.refund({ idempotencyKey: r.idempotencyKey, paymentId: r.paymentId, amount: r.amount });
      if (result.status === 'failed') {
        throw ApplicationFailure.create({ type: 'RefundFailed', message: `refund of ${r.paymentId} failed: ${result.reason ?? 'unknown'}` });
      }
      return { refundId: result.refundId };
    },
  });
}
