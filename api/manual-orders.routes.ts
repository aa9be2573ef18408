/**
 * Manual orders (`/manual-orders`): an order ops enters by hand (SKUs, quantities, address) when it
 * cannot go through the normal flow. It has no workflow of its own; its shipment joins the weekly
 * self-check's list and it gets the same after-service windows and cases as any order.
 */
import type { Db } from '../infra/db';
import { CURRENT_AFTER_SERVICE_POLICY_VERSION } from '../workflows/after-service.policy';
import { createManualOrderSchema, emptySchema, listManualOrdersSchema, manualOrderParamsSchema, shipManualOrderSchema } from './cases.schemas';
import { badRequest, conflict, notFound } from './errors';
import { assertOwnsOrder, principal } from './http';
import { isDerivedRecordId, newRecordId } from './idempotency';
import type { RouteRegistry } from './routes';
import { recordActions } from './actions';
import { moveManualOrder } from '../activities/manual-orders';
import { manualOrderRefusal } from '../workflows/manual-order.policy';

const ACTION_PATHS = { ship: '/manual-orders/:manualOrderId/ship', deliver: '/manual-orders/:manualOrderId/deliver' };

type ManualOrderRow = NonNullable<Awaited<ReturnType<Db['manualOrder']['findUnique']>>>;

function view(r: ManualOrderRow) {
  return {
    manualOrderId: r.id,
    status: r.status,
    customerName: r.customerName,
    customerEmail: r.customerEmail,
    buyerId: r.buyerId ?? undefined,
    address: r.address,
    items: r.items,
    amount: { total: Number(r.totalAmount), refunded: Number(r.refundedAmount), currency: r.currency },
    reason: r.reason,
    policyVersion: r.policyVersion,
    paidAt: r.paidAt.toISOString(),
    shippedAt: r.shippedAt?.toISOString(),
    deliveredAt: r.deliveredAt?.toISOString(),
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
  };
}

export function registerManualOrderRoutes(routes: RouteRegistry, deps: { db: Db }): void {
  const { db } = deps;
  const tag = 'manual orders';

  async function find(id: string): Promise<ManualOrderRow> {
    const row = await db.manualOrder.findUnique({ where: { id } });
    if (!row) throw notFound(`no manual order ${id}`);
    return row;
  }

  routes.add({
    method: 'post', path: '/manual-orders', tag, summary: 'Enter a manual order', roles: ['ops'],
    description: 'For an order that cannot go through the normal flow: SKUs, quantities, address, amount paid and when. It gets the same after-service windows and cases as any order.',
    body: createManualOrderSchema,
    responses: { 201: { description: 'the manual order: { manualOrder }', headers: { Location: 'the new manual order' } } },
    errors: { 409: 'conflict: a manual order with this id exists' },
  }, async (req, res, { body }) => {
    const p = principal(req);
    const now = new Date();
    if (Date.parse(body.paidAt) > now.getTime()) throw badRequest([{ field: 'paidAt', reason: 'must not be in the future' }]);
    if (body.buyerId) {
      const party = await db.party.findUnique({ where: { id: body.buyerId } });
      if (!party || party.kind !== 'buyer') throw badRequest([{ field: 'buyerId', reason: `no buyer with id ${body.buyerId}` }]);
    }
    const id = body.manualOrderId ?? newRecordId(req, 'MO');
    const created = await db.manualOrder.createMany({
      data: [{
        id,
        status: 'PAID',
        customerName: body.customerName,
        customerEmail: body.customerEmail,
        buyerId: body.buyerId ?? null,
        address: body.address,
        items: body.items,
        currency: body.currency,
        totalAmount: BigInt(body.totalAmount),
        reason: body.reason,
        policyVersion: CURRENT_AFTER_SERVICE_POLICY_VERSION,
        paidAt: new Date(body.paidAt),
        createdBy: p.keyId,
        createdAt: now,
        updatedAt: now,
      }],
      skipDuplicates: true,
    });
    // The id derived from this request's idempotency key: an earlier run of this very request entered it.
    if (created.count === 0 && !(!body.manualOrderId && isDerivedRecordId(req, 'MO', id))) throw conflict(`manual order ${id} already exists`);
    res.status(201).location(`/manual-orders/${id}`).json({ manualOrder: view(await find(id)) });
  });

  routes.add({
    method: 'get', path: '/manual-orders', tag, summary: 'List manual orders', roles: ['ops', 'support', 'buyer'], ownership: 'buyers: their own only',
    query: listManualOrdersSchema, responses: { 200: 'newest first: { manualOrders }' },
  }, async (req, res, { query }) => {
    const p = principal(req);
    const rows = await db.manualOrder.findMany({
      where: { ...(query.status ? { status: query.status } : {}), ...(p.role === 'buyer' ? { buyerId: p.partyId } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: query.limit ?? 50,
    });
    res.json({ manualOrders: rows.map(view) });
  });

  routes.add({
    method: 'get', path: '/manual-orders/:manualOrderId', tag, summary: 'Read a manual order', roles: ['ops', 'support', 'buyer'], ownership: 'buyers: their own only',
    params: manualOrderParamsSchema,
    responses: { 200: "{ manualOrder, actions }: actions names what the caller's key may do now (ship, deliver), by the rule the action's route applies" },
  }, async (req, res, { params }) => {
    const p = principal(req);
    const row = await find(params.manualOrderId);
    assertOwnsOrder(p, { buyerId: row.buyerId, supplierId: null }, `manual order ${row.id}`);
    res.json({ manualOrder: view(row), actions: recordActions(routes.operations(), p, row, ACTION_PATHS, manualOrderRefusal) });
  });

  routes.add({
    method: 'post', path: '/manual-orders/:manualOrderId/ship', tag, summary: 'Record the shipment of a manual order', roles: ['ops'],
    params: manualOrderParamsSchema, body: shipManualOrderSchema, responses: { 200: '{ manualOrder }' },
    errors: { 409: 'action_refused: the order is not waiting for shipment' },
  }, async (_req, res, { params, body }) => {
    const move = await moveManualOrder(db, params.manualOrderId, 'ship', new Date(), body);
    if (!move.row) throw notFound(`no manual order ${params.manualOrderId}`);
    if (!move.moved) throw conflict(move.refusal, 'action_refused');
    const row = move.row;
    res.json({ manualOrder: view(row) });
  });

  routes.add({
    method: 'post', path: '/manual-orders/:manualOrderId/deliver', tag, summary: 'Record the delivery of a manual order', roles: ['ops'],
    params: manualOrderParamsSchema, body: emptySchema, responses: { 200: '{ manualOrder }' },
    errors: { 409: 'action_refused: the order has not shipped, or is already delivered' },
  }, async (_req, res, { params }) => {
    const move = await moveManualOrder(db, params.manualOrderId, 'deliver', new Date());
    if (!move.row) throw notFound(`no manual order ${params.manualOrderId}`);
    if (!move.moved) throw conflict(move.refusal, 'action_refused');
    const row = move.row;
    res.json({ manualOrder: view(row) });
  });
}
