/**
 * A manual order's transitions as conditional updates of its row: each moves the order only from the
 * status the policy says it leaves, in one statement, so two actions at once (ops shipping while a
 * case cancels) cannot both succeed, and the loser learns the status that won.
 */
import type { Db } from '../infra/db';
import { MANUAL_ORDER_TRANSITIONS, ManualOrderAction, manualOrderRefusal } from '../workflows/manual-order.policy';

type ManualOrderRow = NonNullable<Awaited<ReturnType<Db['manualOrder']['findUnique']>>>;

export type ManualOrderMove = { moved: true; row: ManualOrderRow } | { moved: false; row?: ManualOrderRow; refusal: string };

/**
 * Moves the manual order by `action` when its status allows it, with the shipment row the move
 * keeps in step (the weekly self-check follows it). Idempotent per status: moving an order already
 * moved by the same action is refused with its status.
 */
export async function moveManualOrder(
  db: Db,
  id: string,
  action: ManualOrderAction,
  now: Date,
  shipment?: { carrier: string; trackingNumber: string },
): Promise<ManualOrderMove> {
  const rule = MANUAL_ORDER_TRANSITIONS[action];
  const stamp = action === 'ship' ? { shippedAt: now } : action === 'deliver' ? { deliveredAt: now } : {};
  const moved = await db.$transaction(async (tx) => {
    const updated = await tx.manualOrder.updateMany({ where: { id, status: rule.from }, data: { status: rule.to, ...stamp, updatedAt: now } });
    if (updated.count === 0) return false;
    const row = await tx.manualOrder.findUniqueOrThrow({ where: { id } });
    if (action === 'ship' && shipment) {
      await tx.shipment.createMany({
        data: [{ id: `manual:${id}`, source: 'manual', orderId: id, buyerId: row.buyerId, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber, shippedAt: now, inFlight: true, updatedAt: now }],
        skipDuplicates: true,
      });
    }
    if (action === 'deliver') await tx.shipment.updateMany({ where: { id: `manual:${id}` }, data: { deliveredAt: now, inFlight: false, updatedAt: now } });
    return true;
  });
  const row = await db.manualOrder.findUnique({ where: { id } });
  if (moved && row) return { moved: true, row };
  return { moved: false, ...(row ? { row } : {}), refusal: row ? (manualOrderRefusal(action, row) ?? `${rule.refusal}: manual order ${id} moved meanwhile`) : `no manual order ${id}` };
}
