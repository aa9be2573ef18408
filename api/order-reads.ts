import type { Client } from '@temporalio/client';
import type { Db } from '../infra/db';
import { getOrderQuery, orderWorkflowId, type OrderState } from '../workflows/order.messages';
import { queryOnce, readAfterAction, temporalCallFor } from './http';

/**
 * The order after an action, given the revision its Update answered with. An Update answers once its
 * change is recorded, and the order's read-model row keeps the order as the workflow held it at the
 * row's revision, so the row answers without asking the workflow again. A row behind that revision
 * (a record that failed and waits on the ops queue) or without the order in it (written by earlier
 * code) is not current: then the workflow is asked (readAfterAction).
 */
export function createOrderAfterAction(client: Client, db: Db) {
  return async function orderAfterAction(orderId: string, revision: number): Promise<OrderState> {
    const row = await db.order.findUnique({ where: { id: orderId }, select: { revision: true, view: true } });
    if (row?.view && row.revision >= revision) return row.view as unknown as OrderState;
    const workflowId = orderWorkflowId(orderId);
    return temporalCallFor(client, workflowId, `order ${orderId}`, () => readAfterAction(client, workflowId, () => queryOnce(client, workflowId, getOrderQuery)));
  };
}
