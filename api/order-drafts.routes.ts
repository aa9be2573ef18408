/**
 * Changes to a purchase order before both parties confirm it: either party asks for changes with a
 * message, and the supplier revises the draft. Each route authorizes and validates, previews the draft
 * rules of the pure policy module (so bad terms are a 400 naming the field), then sends the order's
 * Update; whether the order allows it now is the workflow's answer.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../infra/db';
import { getOrderQuery, orderWorkflowId, requestChangesUpdate, reviseDraftUpdate } from '../workflows/order.messages';
import { checkDraft, orderPolicy } from '../workflows/order.policy';
import { badRequest } from './errors';
import { updateIdOf } from './idempotency';
import { createOrderAfterAction } from './after-action';
import { actorOf, assertOwnsOrder, principal, temporalCallFor, updateInTurn } from './http';
import type { RouteRegistry } from './routes';
import { orderParamsSchema, requestChangesSchema, reviseDraftSchema } from './schemas';

export interface OrderDraftRouteDeps {
  client: Client;
  db: Db;
}

export function registerOrderDraftRoutes(routes: RouteRegistry, deps: OrderDraftRouteDeps): void {
  const { client, db } = deps;
  const call = <T>(orderId: string, fn: () => Promise<T>) => temporalCallFor(client, orderWorkflowId(orderId), `order ${orderId}`, fn);
  const handle = (orderId: string) => client.workflow.getHandle(orderWorkflowId(orderId));

  /**
   * The order's parties and pinned policy, from its read-model row (a Query per request is refused
   * while a burst of actions keeps the order busy); a draft started a moment ago may have no row yet,
   * and is read live. Another party's order answers as a missing one, before anything is sent to it.
   */
  async function reachableOrder(req: Parameters<typeof principal>[0], orderId: string): Promise<{ policyVersion: string }> {
    const row = await db.order.findUnique({ where: { id: orderId }, select: { buyerId: true, supplierId: true, policyVersion: true } });
    const order = row ?? (await call(orderId, () => handle(orderId).query(getOrderQuery)));
    assertOwnsOrder(principal(req), order, `order ${orderId}`);
    return order;
  }
  const orderAfterAction = createOrderAfterAction(client, db);
  const errors = {
    409: "action_refused: the order does not allow this now (e.g. both parties confirmed it); the message says why (the workflow's answer)",
    503: 'unavailable: the workflow service did not answer; the action may still complete',
  };
  const ownership = 'buyers and suppliers: their own orders only';

  routes.add({
    method: 'post', path: '/orders/:orderId/request-changes', tag: 'orders', summary: 'Ask for changes to the draft before both parties confirm it',
    description: "Either party, with a message. The buyer's confirmation, if given, no longer counts; nobody can confirm until the supplier revises the draft.",
    roles: ['ops', 'buyer', 'supplier'], ownership, params: orderParamsSchema, body: requestChangesSchema,
    responses: { 200: 'the order after the action: { order }' }, errors,
  }, async (req, res, { params: { orderId }, body }) => {
    await reachableOrder(req, orderId);
    const ack = await call(orderId, () =>
      updateInTurn(client, orderWorkflowId(orderId), () =>
        handle(orderId).executeUpdate(requestChangesUpdate, { args: [{ message: body.message, actor: actorOf(principal(req)) }], updateId: updateIdOf(req) }),
      ),
    );
    res.json({ order: await orderAfterAction(orderId, ack.revision) });
  });

  routes.add({
    method: 'post', path: '/orders/:orderId/revise', tag: 'orders', summary: 'Revise the draft with new terms',
    description: 'The supplier (or ops) gives the whole new terms: a new draft revision, recorded in the timeline; earlier confirmations no longer count and both parties confirm again. The currency stays the order\'s.',
    roles: ['ops', 'supplier'], ownership, params: orderParamsSchema, body: reviseDraftSchema,
    responses: { 200: 'the order after the revision: { order }, with draftRevision' }, errors,
  }, async (req, res, { params: { orderId }, body }) => {
    const { message, ...terms } = body;
    const order = await reachableOrder(req, orderId);
    const problems = checkDraft(terms, orderPolicy(order.policyVersion), new Date().toISOString().slice(0, 10), { shippingPeriod: true });
    if (problems.length > 0) throw badRequest(problems);
    const ack = await call(orderId, () =>
      updateInTurn(client, orderWorkflowId(orderId), () =>
        handle(orderId).executeUpdate(reviseDraftUpdate, { args: [{ terms, ...(message ? { message } : {}), actor: actorOf(principal(req)) }], updateId: updateIdOf(req) }),
      ),
    );
    res.json({ order: await orderAfterAction(orderId, ack.revision) });
  });
}
