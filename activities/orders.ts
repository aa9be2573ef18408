import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../infra/db';
import { ChangeNotices, OpsAddresses, createOutbox } from './email';
import { TERMINAL_STATUSES, type OrderState } from '../workflows/order.messages';
import { orderRowOf, type OrderReadModel, type TimelineEntry } from '../workflows/read-model';

export { orderRowOf, type OrderReadModel } from '../workflows/read-model';
import { stopRetryingDataErrors } from './failures';
import { writeChange } from './record-change';
import { Prisma } from '../generated/prisma/client';

/** Orders whose parcel the weekly self-check follows: shipped, not yet delivered, not closed early. */
const IN_FLIGHT_STATUSES = ['SHIPPED'];

export interface OrderChange {
  /**
   * The order at this revision, as the workflow holds it: its row is derived from it, and it is kept
   * whole so that an action's answer can be read from the row. Earlier workflow code sends `order`.
   */
  view?: OrderState;
  /** The row itself, as earlier workflow code (and the first version's orders) send it. */
  order?: OrderReadModel;
  event: TimelineEntry;
  /** The change's emails, written to the outbox in the same transaction (orders from ORDER_NOTICES_PATCH on). */
  notices?: ChangeNotices;
}

/**
 * The order's parcel in the self-check's list (the self-check's own columns are left alone). Only a
 * newer order revision moves it, like the order row.
 */
function shipmentRow(order: OrderReadModel, shipment: NonNullable<OrderReadModel['shipment']>): Prisma.Sql {
  const inFlight = IN_FLIGHT_STATUSES.includes(order.status) && !order.deliveredAt;
  return Prisma.sql`
    INSERT INTO "Shipment" ("id", "source", "orderId", "buyerId", "supplierId", "carrier", "trackingNumber", "shippedAt",
      "deliveredAt", "inFlight", "updatedAt")
    VALUES (${`order:${order.id}`}, 'order', ${order.id}, ${order.buyerId}, ${order.supplierId}, ${shipment.carrier},
      ${shipment.trackingNumber}, ${new Date(shipment.shippedAt)}, ${order.deliveredAt ? new Date(order.deliveredAt) : null},
      ${inFlight}, ${new Date(order.updatedAt)})
    ON CONFLICT ("id") DO UPDATE SET
      "carrier" = EXCLUDED."carrier", "trackingNumber" = EXCLUDED."trackingNumber", "shippedAt" = EXCLUDED."shippedAt",
      "deliveredAt" = EXCLUDED."deliveredAt", "inFlight" = EXCLUDED."inFlight", "updatedAt" = EXCLUDED."updatedAt"
    WHERE "Shipment"."updatedAt" <= EXCLUDED."updatedAt"`;
}

export function createOrderActivities({ db, opsAddresses, temporal }: { db: Db; opsAddresses: OpsAddresses; temporal: { taskQueue: string } }) {
  const outbox = createOutbox({ opsAddresses, queue: temporal.taskQueue });
  return stopRetryingDataErrors({
    /**
     * Writes one state change: upserts the order row (a newer revision only; replays and late retries
     * leave a fresher row alone) and appends the timeline entry (its (order, seq) key makes a retry a no-op),
     * with the change's email notices as outbox rows in the same transaction.
     */
    async recordOrderChange({ view, order: sent, event, notices }: OrderChange): Promise<void> {
      const order = sent ?? (view && orderRowOf(view));
      if (!order) throw ApplicationFailure.create({ type: 'InvalidChange', message: 'recordOrderChange: the change carries neither the order nor its row', nonRetryable: true });
      await writeChange(db, {
        row: Prisma.sql`
          INSERT INTO "Order" ("id", "status", "buyerId", "supplierId", "currency", "totalAmount", "depositAmount",
            "paidAmount", "heldAmount", "releasedAmount", "shippingDate", "policyVersion", "revision", "createdAt", "updatedAt",
            "coveredAmount", "refundedAmount", "nextDeadlineAt", "completedAt", "paidAt", "shippedAt", "deliveredAt", "view")
          VALUES (${order.id}, ${order.status}, ${order.buyerId}, ${order.supplierId}, ${order.currency},
            ${BigInt(order.totalAmount)}, ${BigInt(order.depositAmount)}, ${BigInt(order.paidAmount)},
            ${BigInt(order.heldAmount)}, ${BigInt(order.releasedAmount)}, ${new Date(order.shippingDate)},
            ${order.policyVersion}, ${order.revision}, ${new Date(order.createdAt)}, ${new Date(order.updatedAt)},
            ${BigInt(order.coveredAmount ?? 0)}, ${BigInt(order.refundedAmount ?? 0)},
            ${order.nextDeadlineAt ? new Date(order.nextDeadlineAt) : null}, ${order.completedAt ? new Date(order.completedAt) : null},
            ${order.paidAt ? new Date(order.paidAt) : null}, ${order.shipment ? new Date(order.shipment.shippedAt) : null},
            ${order.deliveredAt ? new Date(order.deliveredAt) : null}, ${view ? Prisma.sql`${JSON.stringify(view)}::jsonb` : null})
          ON CONFLICT ("id") DO UPDATE SET
            "status" = EXCLUDED."status", "totalAmount" = EXCLUDED."totalAmount", "depositAmount" = EXCLUDED."depositAmount",
            "paidAmount" = EXCLUDED."paidAmount", "heldAmount" = EXCLUDED."heldAmount",
            "releasedAmount" = EXCLUDED."releasedAmount", "shippingDate" = EXCLUDED."shippingDate",
            "revision" = EXCLUDED."revision", "updatedAt" = EXCLUDED."updatedAt",
            "coveredAmount" = EXCLUDED."coveredAmount", "refundedAmount" = EXCLUDED."refundedAmount",
            "nextDeadlineAt" = EXCLUDED."nextDeadlineAt", "completedAt" = EXCLUDED."completedAt",
            "paidAt" = EXCLUDED."paidAt", "shippedAt" = EXCLUDED."shippedAt", "deliveredAt" = EXCLUDED."deliveredAt",
            "view" = EXCLUDED."view"
          WHERE "Order"."revision" < EXCLUDED."revision"`,
        also: order.shipment ? [shipmentRow(order, order.shipment)] : [],
        after: {
          resource: 'order',
          resourceId: order.id,
          status: order.status,
          terminal: (TERMINAL_STATUSES as readonly string[]).includes(order.status),
          shipped: Boolean(order.shipment),
        },
        revision: order.revision,
        parties: { buyerId: order.buyerId, supplierId: order.supplierId },
        deadlines: order.deadlines,
        event,
        // The change and its emails commit together: both or neither.
        mail: outbox.rows(notices),
        queue: outbox.queue,
      });
    },
  });
}
