/**
 * A manual order's life: ops enter it paid, record its shipment and its delivery, and a change/cancel
 * case may cancel it while it is still waiting for shipment. Pure: the routes, the case activities
 * and the actions a key may take all ask this table.
 *
 * A manual order has no workflow: it has no deadline of its own (its after-service windows belong to
 * its cases) and three transitions, each one conditional update of its row on the status it leaves
 * (activities/manual-orders.ts), which is atomic against a case's cancellation arriving at once.
 */
export type ManualOrderStatus = 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
export type ManualOrderAction = 'ship' | 'deliver' | 'cancel';

export const MANUAL_ORDER_TRANSITIONS: Record<ManualOrderAction, { from: ManualOrderStatus; to: ManualOrderStatus; refusal: string }> = {
  ship: { from: 'PAID', to: 'SHIPPED', refusal: 'cannot ship' },
  deliver: { from: 'SHIPPED', to: 'DELIVERED', refusal: 'cannot record delivery' },
  cancel: { from: 'PAID', to: 'CANCELLED', refusal: 'cannot cancel' },
};

/** Why a manual order does not allow the action now, or undefined when it does. */
export function manualOrderRefusal(action: string, row: { id: string; status: string }): string | undefined {
  const rule = MANUAL_ORDER_TRANSITIONS[action as ManualOrderAction];
  return rule && row.status !== rule.from ? `${rule.refusal}: manual order ${row.id} is ${row.status.toLowerCase()}` : undefined;
}
