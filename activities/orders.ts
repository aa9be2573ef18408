import type { Db } from '../infra/db';

/** The order's row in the read model, as the workflow sees it at one revision. */
export interface OrderReadModel {
  id: string;
  status: string;
  buyerId: string;
  supplierId: string;
  currency: string;
  totalAmount: number;
  depositAmount: number;
  paidAmount: number;
  heldAmount: number;
  releasedAmount: number;
  shippingDate: string;
  policyVersion: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
  coveredAmount?: number;
  refundedAmount?: number;
  nextDeadlineAt?: string;
  completedAt?: string;
}

export interface TimelineEntry {
  seq: number;
  type: string;
  actorRole: string;
  actorId?: string;
  summary: string;
  data: Record<string, unknown>;
  occurredAt: string;
}

export interface OrderChange {
  order: OrderReadModel;
  event: TimelineEntry;
}

export function createOrderActivities({ db }: { db: Db }) {
  return {
    /**
     * Writes one state change: upserts the order row (a newer revision only; replays and late retries
     * leave a fresher row alone) and appends the timeline entry (its (order, seq) key makes a retry a no-op).
     */
    async recordOrderChange({ order, event }: OrderChange): Promise<void> {
      await db.$transaction([
        db.$executeRaw`
          INSERT INTO "Order" ("id", "status", "buyerId", "supplierId", "currency", "totalAmount", "depositAmount",
            "paidAmount", "heldAmount", "releasedAmount", "shippingDate", "policyVersion", "revision", "createdAt", "updatedAt",
            "coveredAmount", "refundedAmount", "nextDeadlineAt", "completedAt")
          VALUES (${order.id}, ${order.status}, ${order.buyerId}, ${order.supplierId}, ${order.currency},
            ${BigInt(order.totalAmount)}, ${BigInt(order.depositAmount)}, ${BigInt(order.paidAmount)},
            ${BigInt(order.heldAmount)}, ${BigInt(order.releasedAmount)}, ${new Date(order.shippingDate)},
            ${order.policyVersion}, ${order.revision}, ${new Date(order.createdAt)}, ${new Date(order.updatedAt)},
            ${BigInt(order.coveredAmount ?? 0)}, ${BigInt(order.refundedAmount ?? 0)},
            ${order.nextDeadlineAt ? new Date(order.nextDeadlineAt) : null}, ${order.completedAt ? new Date(order.completedAt) : null})
          ON CONFLICT ("id") DO UPDATE SET
            "status" = EXCLUDED."status", "paidAmount" = EXCLUDED."paidAmount", "heldAmount" = EXCLUDED."heldAmount",
            "releasedAmount" = EXCLUDED."releasedAmount", "shippingDate" = EXCLUDED."shippingDate",
            "revision" = EXCLUDED."revision", "updatedAt" = EXCLUDED."updatedAt",
            "coveredAmount" = EXCLUDED."coveredAmount", "refundedAmount" = EXCLUDED."refundedAmount",
            "nextDeadlineAt" = EXCLUDED."nextDeadlineAt", "completedAt" = EXCLUDED."completedAt"
          WHERE "Order"."revision" < EXCLUDED."revision"`,
        db.orderEvent.createMany({
          data: [
            {
              orderId: order.id,
              seq: event.seq,
              type: event.type,
              actorRole: event.actorRole,
              actorId: event.actorId ?? null,
              summary: event.summary,
              data: event.data as object,
              occurredAt: new Date(event.occurredAt),
            },
          ],
          skipDuplicates: true,
        }),
      ]);
    },
  };
}
