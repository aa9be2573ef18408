import type { Client, QueryDefinition } from '@temporalio/client';
import type { Db } from '../infra/db';
import { getMonitoringQuery, monitoringWorkflowId, type MonitoringState } from '../workflows/monitoring.messages';
import { getOrderQuery, orderWorkflowId, type OrderState } from '../workflows/order.messages';
import { queryOnce, readAfterAction, temporalCallFor } from './http';

/**
 * A record after an action, given the revision its Update answered with. An Update answers once its
 * change is recorded, and the record's read-model row keeps the record as the workflow held it at the
 * row's revision, so the row answers without asking the workflow again. A row behind that revision
 * (a record that failed and waits on the ops queue) or without the record in it (written by earlier
 * code, or a record too long to send whole) is not current: then the workflow is asked.
 */
function afterAction<T>(
  readRow: (id: string) => Promise<{ revision: number; view: unknown } | null>,
  askWorkflow: (id: string) => Promise<T>,
): (id: string, revision: number) => Promise<T> {
  return async (id, revision) => {
    const row = await readRow(id);
    if (row?.view && row.revision >= revision) return row.view as T;
    return askWorkflow(id);
  };
}

/** The workflow's own answer after an action (readAfterAction), as the API's errors name the record. */
function askAfterAction<T>(client: Client, workflowId: string, label: string, query: QueryDefinition<T, []>): Promise<T> {
  return temporalCallFor(client, workflowId, label, () => readAfterAction(client, workflowId, () => queryOnce(client, workflowId, query)));
}

/** An order after an action: from its row, or from its workflow (see afterAction). */
export function createOrderAfterAction(client: Client, db: Db): (orderId: string, revision: number) => Promise<OrderState> {
  return afterAction(
    (orderId) => db.order.findUnique({ where: { id: orderId }, select: { revision: true, view: true } }),
    (orderId) => askAfterAction(client, orderWorkflowId(orderId), `order ${orderId}`, getOrderQuery),
  );
}

/** A monitoring task after an action: from its row, or from its workflow (see afterAction). */
export function createTaskAfterAction(client: Client, db: Db): (monitoringId: string, revision: number) => Promise<MonitoringState> {
  return afterAction(
    (monitoringId) => db.monitoringTask.findUnique({ where: { id: monitoringId }, select: { revision: true, view: true } }),
    (monitoringId) => askAfterAction(client, monitoringWorkflowId(monitoringId), `monitoring task ${monitoringId}`, getMonitoringQuery),
  );
}
