/**
 * The record*Change activities against the suite's PostgreSQL: one change writes the resource's row
 * (a newer revision only), its timeline entry, its open deadlines, its late tasks and its outbox rows,
 * and a retry or a late, stale retry writes nothing twice. Also the ledger's exactly-once posting.
 */
import { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCaseActivities, type CaseReadModel } from '../../activities/cases';
import { createLedgerActivities } from '../../activities/ledger';
import { createMonitoringActivities, type MonitoringReadModel } from '../../activities/monitoring';
import { createOrderActivities, type OrderReadModel } from '../../activities/orders';
import type { OpenDeadlineInput, TimelineEntry, TimelineEventType } from '../../workflows/read-model';
import type { OrderState } from '../../workflows/order.messages';
import { SandboxCardGateway } from '../../adapters/payments';
import { Db, createDb } from '../../infra/db';
import { testDatabaseUrl, uniqueId } from '../support/env';

const OPS = { ops: 'ops@tradeguard.test', opsLeads: 'ops-leads@tradeguard.test' };

let db: Db;
let client: Client;
let queue: string;
let orders: ReturnType<typeof createOrderActivities>;
let monitoring: ReturnType<typeof createMonitoringActivities>;
let cases: ReturnType<typeof createCaseActivities>;
let buyerId: string;
let supplierId: string;

/** Runs each activity inside an activity context, as a worker does (the activities log through it). */
function inContext<T extends Record<string, unknown>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, (...args: unknown[]) => new MockActivityEnvironment().run(fn as (...a: unknown[]) => Promise<unknown>, ...args)]),
  ) as T;
}

beforeAll(async () => {
  db = createDb(testDatabaseUrl());
  // Never used to connect: recording a change does not talk to Temporal.
  client = new Client();
  queue = uniqueId('record-change');
  orders = inContext(createOrderActivities({ db, opsAddresses: OPS, temporal: { taskQueue: queue } }));
  monitoring = inContext(createMonitoringActivities({ db, payments: new SandboxCardGateway(), opsAddresses: OPS, temporal: { client, taskQueue: queue } }));
  cases = inContext(createCaseActivities({ db, opsAddresses: OPS, temporal: { client, taskQueue: queue } }));
  buyerId = uniqueId('buyer');
  supplierId = uniqueId('supplier');
  await db.party.createMany({
    data: [
      { id: buyerId, kind: 'buyer', name: 'Buyer', email: `${buyerId}@example.test` },
      { id: supplierId, kind: 'supplier', name: 'Supplier', email: `${supplierId}@example.test` },
    ],
  });
});

afterAll(async () => {
  await client?.connection.close().catch(() => undefined);
  await db?.$disconnect();
});

const T0 = Date.parse('2026-11-22T08:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function order(id: string, revision: number, over: Partial<OrderReadModel> = {}): OrderReadModel {
  return {
    id,
    status: 'DRAFT',
    buyerId,
    supplierId,
    currency: 'USD',
    totalAmount: 700_000,
    depositAmount: 210_000,
    paidAmount: 0,
    heldAmount: 0,
    releasedAmount: 0,
    shippingDate: '2026-12-22',
    policyVersion: '2026-11',
    revision,
    createdAt: at(0),
    updatedAt: at(revision),
    deadlines: [],
    ...over,
  };
}

function event(seq: number, type: TimelineEventType, data: Record<string, unknown> = {}): TimelineEntry {
  return { seq, type, actorRole: 'system', summary: `${type} #${seq}`, data, occurredAt: at(seq) };
}

function deadline(id: string, kind: string, dueAt: string, claimId?: string): OpenDeadlineInput {
  return { id, kind, dueAt, rule: `${kind} rule`, policyVersion: '2026-11', onExpiry: `${kind} expires`, ...(claimId ? { claimId } : {}) };
}

const outboxRows = (prefix: string) => db.emailOutbox.findMany({ where: { key: { startsWith: prefix } }, orderBy: { seq: 'asc' } });
const deadlinesOf = (resource: string, resourceId: string) =>
  db.openDeadline.findMany({ where: { resource, resourceId }, orderBy: { deadlineId: 'asc' } });
const lateTasksOf = (resource: string, resourceId: string) => db.lateTask.findMany({ where: { resource, resourceId }, orderBy: { id: 'asc' } });

describe('recordOrderChange', () => {
  it('writes the row, the timeline entry, the deadlines and one outbox row per known recipient, in order; a retry adds nothing', async () => {
    const id = uniqueId('RC');
    const ghost = uniqueId('ghost');
    const change = {
      order: order(id, 1, { deadlines: [deadline('draft-expiry', 'draft-expiry', at(14 * 24 * 60))] }),
      event: event(1, 'DRAFTED', { total: 700_000 }),
      notices: {
        parties: { key: `order:${id}:1`, partyIds: [supplierId, ghost, buyerId], subject: 'new purchase order', text: 'please confirm' },
        ops: { key: `order:${id}:1`, audience: 'ops' as const, subject: 'ops copy', text: 'fyi' },
      },
    };
    await orders.recordOrderChange(change);
    await orders.recordOrderChange(change);

    const row = await db.order.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'DRAFT', revision: 1, totalAmount: 700_000n, buyerId, supplierId });
    const timeline = await db.orderEvent.findMany({ where: { orderId: id } });
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({ seq: 1, type: 'DRAFTED', summary: 'DRAFTED #1', data: { total: 700_000 }, actorId: null });
    expect(timeline[0].occurredAt.toISOString()).toBe(at(1));
    const deadlines = await deadlinesOf('order', id);
    expect(deadlines.map((d) => [d.deadlineId, d.kind, d.dueAt.toISOString(), d.buyerId, d.reminderSent, d.revision])).toEqual([
      ['draft-expiry', 'draft-expiry', at(14 * 24 * 60), buyerId, false, 1],
    ]);
    const mail = await outboxRows(`order:${id}:1`);
    // The unknown party gets nothing; the others in the notice's order, then ops.
    expect(mail.map((m) => [m.key, m.to, m.queue, m.status, m.subject, m.messageId])).toEqual([
      [`order:${id}:1:${supplierId}`, `${supplierId}@example.test`, queue, 'pending', 'new purchase order', `<order:${id}:1:${supplierId}@tradeguard>`],
      [`order:${id}:1:${buyerId}`, `${buyerId}@example.test`, queue, 'pending', 'new purchase order', `<order:${id}:1:${buyerId}@tradeguard>`],
      [`order:${id}:1:ops`, OPS.ops, queue, 'pending', 'ops copy', `<order:${id}:1:ops@tradeguard>`],
    ]);
  });

  it('derives the row from the order view the change carries and keeps the view whole; a stale view never replaces a newer one', async () => {
    const id = uniqueId('RC');
    const view = (revision: number, status: OrderState['status'], over: Partial<OrderState> = {}): OrderState => ({
      orderId: id,
      status,
      buyerId,
      supplierId,
      terms: { items: [{ sku: 'S-1', description: 'ceramic mug', quantity: 1000, unitPrice: 700 }], currency: 'USD', depositAmount: 210_000, shippingDate: '2026-12-22' } as OrderState['terms'],
      policyVersion: '2026-11',
      amounts: { currency: 'USD', total: 700_000, deposit: 210_000, balance: 490_000, paid: 210_000, held: 210_000, released: 0, covered: 650_000, refunded: 0 },
      shippingDate: '2026-12-29',
      claims: [],
      deadlines: [deadline('balance-due', 'balance-due', at(500)) as NonNullable<OrderState['deadlines']>[number]],
      nextStep: { by: 'buyer', description: 'pay the balance' } as OrderState['nextStep'],
      revision,
      createdAt: at(0),
      updatedAt: at(revision),
      paidAt: at(4),
      ...over,
    });
    const paid = view(4, 'DEPOSIT_PAID');
    await orders.recordOrderChange({ view: paid, event: event(4, 'DEPOSIT_PAID') });
    // A late retry of revision 3 arrives after 4.
    await orders.recordOrderChange({ view: view(3, 'CONFIRMED', { amounts: { ...paid.amounts, paid: 0, held: 0 } }), event: event(3, 'SUPPLIER_CONFIRMED') });

    const row = await db.order.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({
      status: 'DEPOSIT_PAID', revision: 4, totalAmount: 700_000n, depositAmount: 210_000n, paidAmount: 210_000n, heldAmount: 210_000n,
      coveredAmount: 650_000n, refundedAmount: 0n, buyerId, supplierId, currency: 'USD', policyVersion: '2026-11',
    });
    // The agreed date after extensions, not the drafted one.
    expect(row.shippingDate.toISOString().slice(0, 10)).toBe('2026-12-29');
    expect(row.nextDeadlineAt?.toISOString()).toBe(at(500));
    expect(row.paidAt?.toISOString()).toBe(at(4));
    expect(row.view).toEqual(JSON.parse(JSON.stringify(paid)));
    expect((await deadlinesOf('order', id)).map((d) => d.deadlineId)).toEqual(['balance-due']);

    // A change from earlier workflow code carries the row only: the row moves on, and the view it
    // no longer matches is cleared, so that no reader takes it for the order at this revision.
    await orders.recordOrderChange({ order: order(id, 5, { status: 'PAID', paidAmount: 700_000, heldAmount: 700_000 }), event: event(5, 'BALANCE_PAID') });
    const after = await db.order.findUniqueOrThrow({ where: { id } });
    expect(after).toMatchObject({ status: 'PAID', revision: 5, view: null });
  });

  it('refuses, for good, a change that carries neither the order nor its row', async () => {
    await expect(orders.recordOrderChange({ event: event(1, 'DRAFTED') })).rejects.toMatchObject({ type: 'InvalidChange', nonRetryable: true });
  });

  it('keeps a newer row and its deadlines when a stale revision arrives late, but still records its timeline entry', async () => {
    const id = uniqueId('RC');
    await orders.recordOrderChange({ order: order(id, 1, { deadlines: [deadline('draft-expiry', 'draft-expiry', at(100))] }), event: event(1, 'DRAFTED') });
    await orders.recordOrderChange({
      order: order(id, 3, { status: 'CONFIRMED', deadlines: [deadline('deposit-due', 'deposit-due', at(200))] }),
      event: event(3, 'SUPPLIER_CONFIRMED'),
    });
    // Revision 2 arrives after 3 (a late retry): its row and deadlines must not win.
    await orders.recordOrderChange({
      order: order(id, 2, { status: 'DRAFT', deadlines: [deadline('draft-expiry', 'draft-expiry', at(100))] }),
      event: event(2, 'BUYER_CONFIRMED'),
    });
    expect(await db.order.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'CONFIRMED', revision: 3 });
    expect((await deadlinesOf('order', id)).map((d) => [d.deadlineId, d.revision])).toEqual([['deposit-due', 3]]);
    expect((await db.orderEvent.findMany({ where: { orderId: id }, orderBy: { seq: 'asc' } })).map((e) => e.type)).toEqual([
      'DRAFTED',
      'BUYER_CONFIRMED',
      'SUPPLIER_CONFIRMED',
    ]);
  });

  it('keeps the shipment row for the self-check and marks it delivered', async () => {
    const id = uniqueId('RC');
    const shipment = { carrier: 'DHL', trackingNumber: `JD${id}`, shippedAt: at(5) };
    await orders.recordOrderChange({ order: order(id, 5, { status: 'SHIPPED', shipment }), event: event(5, 'SHIPPED') });
    expect(await db.shipment.findUniqueOrThrow({ where: { id: `order:${id}` } })).toMatchObject({ inFlight: true, deliveredAt: null, trackingNumber: `JD${id}` });
    await orders.recordOrderChange({ order: order(id, 6, { status: 'DELIVERED', shipment, deliveredAt: at(6), updatedAt: at(6) }), event: event(6, 'DELIVERED') });
    const row = await db.shipment.findUniqueOrThrow({ where: { id: `order:${id}` } });
    expect(row.inFlight).toBe(false);
    expect(row.deliveredAt?.toISOString()).toBe(at(6));
  });

  it('keeps whether a deadline rests on provisional calendar data, and updates it with the deadline', async () => {
    const id = uniqueId('RC');
    const refund = (provisional: boolean) => ({ ...deadline('refund-payment-C1', 'refund-payment', at(800), 'C1'), ...(provisional ? { provisional } : {}) });
    await orders.recordOrderChange({ order: order(id, 1, { deadlines: [refund(true), deadline('other', 'draft-expiry', at(900))] }), event: event(1, 'CLAIM_DECIDED') });
    const provisional = async () => Object.fromEntries((await deadlinesOf('order', id)).map((d) => [d.deadlineId, d.provisional]));
    expect(await provisional()).toEqual({ 'refund-payment-C1': true, other: false });
    await orders.recordOrderChange({ order: order(id, 2, { deadlines: [refund(false)] }), event: event(2, 'EDITED') });
    expect(await provisional()).toEqual({ 'refund-payment-C1': false });
  });

  it('sets reminderSent with the reminder and clears it when the due time moves', async () => {
    const id = uniqueId('RC');
    const ship = (due: string) => [deadline('shipping-date', 'shipping-date', due), deadline('other', 'draft-expiry', at(900))];
    await orders.recordOrderChange({ order: order(id, 1, { deadlines: ship(at(500)) }), event: event(1, 'PAID') });
    await orders.recordOrderChange({ order: order(id, 2, { deadlines: ship(at(500)) }), event: event(2, 'SHIPPING_REMINDER') });
    const sent = async () => Object.fromEntries((await deadlinesOf('order', id)).map((d) => [d.deadlineId, d.reminderSent]));
    expect(await sent()).toEqual({ 'shipping-date': true, other: false });
    await orders.recordOrderChange({ order: order(id, 3, { deadlines: ship(at(500)) }), event: event(3, 'SHIPPING_EXTENDED') });
    expect(await sent()).toEqual({ 'shipping-date': true, other: false });
    await orders.recordOrderChange({ order: order(id, 4, { deadlines: ship(at(700)) }), event: event(4, 'SHIPPING_EXTENDED') });
    expect(await sent()).toEqual({ 'shipping-date': false, other: false });
  });

  it('queues an escalation once and resolves it by itself when the order moves on', async () => {
    const id = uniqueId('RC');
    await orders.recordOrderChange({ order: order(id, 1, { status: 'PAID' }), event: event(1, 'PAID') });
    const late = { order: order(id, 2, { status: 'PAID' }), event: event(2, 'SHIPMENT_LATE') };
    await orders.recordOrderChange(late);
    await orders.recordOrderChange(late);
    expect((await lateTasksOf('order', id)).map((t) => [t.id, t.kind, t.mustAct, t.status, t.buyerId])).toEqual([
      [`LT-order-${id}-2`, 'SHIPMENT_LATE', 'supplier', 'open', buyerId],
    ]);
    // A change that does not ship leaves it open.
    await orders.recordOrderChange({ order: order(id, 3, { status: 'PAID' }), event: event(3, 'SHIPPING_EXTENDED') });
    expect((await lateTasksOf('order', id))[0].status).toBe('open');
    const shipment = { carrier: 'DHL', trackingNumber: `JD${id}`, shippedAt: at(4) };
    await orders.recordOrderChange({ order: order(id, 4, { status: 'SHIPPED', shipment }), event: event(4, 'SHIPPED') });
    const [task] = await lateTasksOf('order', id);
    expect(task).toMatchObject({ status: 'resolved', resolvedBy: 'system', resolution: 'resolved by itself: SHIPPED #4' });
    expect(task.resolvedAt?.toISOString()).toBe(at(4));
  });

  it("resolves a claim's late task only with that claim's answer, and every one when the order closes", async () => {
    const id = uniqueId('RC');
    await orders.recordOrderChange({ order: order(id, 1, { status: 'DELIVERED' }), event: event(1, 'DELIVERED') });
    await orders.recordOrderChange({ order: order(id, 2, { status: 'DELIVERED' }), event: event(2, 'CLAIM_SUPPLIER_SILENT', { claimId: 'C1' }) });
    await orders.recordOrderChange({ order: order(id, 3, { status: 'DELIVERED' }), event: event(3, 'CLAIM_SUPPLIER_SILENT', { claimId: 'C2' }) });
    await orders.recordOrderChange({ order: order(id, 4, { status: 'DELIVERED' }), event: event(4, 'CLAIM_COUNTER_OFFER', { claimId: 'C1' }) });
    const status = async () => (await lateTasksOf('order', id)).map((t) => [t.claimId, t.status]);
    expect(await status()).toEqual([
      ['C1', 'resolved'],
      ['C2', 'open'],
    ]);
    // A stale retry of a closing change resolves nothing.
    await orders.recordOrderChange({ order: order(id, 2, { status: 'SETTLED' }), event: event(2, 'CLAIM_SUPPLIER_SILENT', { claimId: 'C1' }) });
    expect(await status()).toEqual([
      ['C1', 'resolved'],
      ['C2', 'open'],
    ]);
    await orders.recordOrderChange({ order: order(id, 5, { status: 'SETTLED' }), event: event(5, 'ORDER_SETTLED') });
    expect(await status()).toEqual([
      ['C1', 'resolved'],
      ['C2', 'resolved'],
    ]);
  });
});

describe('late refunds', () => {
  it('queue a late refund for ops, keep it open when the order closes, and resolve it only when that refund is paid', async () => {
    const id = uniqueId('RC');
    await orders.recordOrderChange({ order: order(id, 1, { status: 'SETTLED' }), event: event(1, 'CLAIM_REFUNDED', { claimId: 'C1' }) });
    await orders.recordOrderChange({ order: order(id, 2, { status: 'SETTLED' }), event: event(2, 'REFUND_PAYMENT_LATE', { claimId: 'C1' }) });
    await orders.recordOrderChange({ order: order(id, 3, { status: 'SETTLED' }), event: event(3, 'REFUND_PAYMENT_FAILED', { claimId: 'C2' }) });
    expect((await lateTasksOf('order', id)).map((t) => [t.kind, t.claimId, t.mustAct, t.status])).toEqual([
      ['REFUND_PAYMENT_LATE', 'C1', 'ops', 'open'],
      ['REFUND_PAYMENT_FAILED', 'C2', 'ops', 'open'],
    ]);
    // Another change of the closed order, and another claim's payment, move neither on.
    await orders.recordOrderChange({ order: order(id, 4, { status: 'SETTLED' }), event: event(4, 'FEEDBACK_LEFT') });
    await orders.recordOrderChange({ order: order(id, 5, { status: 'SETTLED' }), event: event(5, 'REFUND_PAID', { claimId: 'C3' }) });
    expect((await lateTasksOf('order', id)).map((t) => t.status)).toEqual(['open', 'open']);
    await orders.recordOrderChange({ order: order(id, 6, { status: 'SETTLED' }), event: event(6, 'REFUND_PAID', { claimId: 'C1' }) });
    expect((await lateTasksOf('order', id)).map((t) => [t.kind, t.status, t.resolution])).toEqual([
      ['REFUND_PAYMENT_LATE', 'resolved', 'resolved by itself: REFUND_PAID #6'],
      // A refused payout stays with ops until they pay it by hand.
      ['REFUND_PAYMENT_FAILED', 'open', null],
    ]);
  });
});

describe('recordMonitoringChange and recordCaseChange', () => {
  it('record a monitoring task with its inspector on its deadlines, and resolve the late report when it arrives', async () => {
    const id = uniqueId('RM');
    const inspectorId = uniqueId('inspector');
    const task = (revision: number, status: string, deadlines: OpenDeadlineInput[]): MonitoringReadModel => ({
      id,
      orderId: uniqueId('order'),
      status,
      buyerId,
      supplierId,
      addedVia: 'ORDER_DETAILS_SEPARATE',
      currency: 'USD',
      feeAmount: 9_900,
      paidAmount: 9_900,
      refundedAmount: 0,
      shipmentDate: '2026-12-22',
      bookingCutoffAt: at(1000),
      late: false,
      policyVersion: '2026-11',
      revision,
      createdAt: at(0),
      updatedAt: at(revision),
      inspectorId,
      deadlines,
    });
    await monitoring.recordMonitoringChange({ task: task(1, 'AWAITING_REPORT', [deadline('report-late', 'report-late', at(300))]), event: event(1, 'INSPECTOR_ASSIGNED') });
    await monitoring.recordMonitoringChange({ task: task(2, 'AWAITING_REPORT', [deadline('report-late', 'report-late', at(300))]), event: event(2, 'REPORT_LATE') });
    expect((await deadlinesOf('monitoring', id)).map((d) => [d.kind, d.inspectorId])).toEqual([['report-late', inspectorId]]);
    expect((await lateTasksOf('monitoring', id)).map((t) => [t.kind, t.mustAct, t.status])).toEqual([['REPORT_LATE', 'inspector', 'open']]);
    await monitoring.recordMonitoringChange({ task: task(3, 'REPORT_UPLOADED', []), event: event(3, 'REPORT_UPLOADED') });
    expect(await deadlinesOf('monitoring', id)).toEqual([]);
    expect((await lateTasksOf('monitoring', id)).map((t) => t.status)).toEqual(['resolved']);
    expect(await db.monitoringTask.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'REPORT_UPLOADED', revision: 3, inspectorId });
    expect(await db.monitoringEvent.count({ where: { monitoringId: id } })).toBe(3);
  });

  it("email a case's customer at the buyer party's address, or at the manual order's address", async () => {
    const kase = (id: string, over: Partial<CaseReadModel>): CaseReadModel => ({
      id,
      orderId: uniqueId('order'),
      orderSource: 'order',
      type: 'AFTER_SALES',
      category: 'QUALITY',
      status: 'OPEN',
      proactive: false,
      currency: 'USD',
      refundedAmount: 0,
      late: false,
      firstReplyDueAt: at(60),
      policyVersion: '2026-11',
      revision: 1,
      openedAt: at(0),
      updatedAt: at(1),
      deadlines: [deadline('first-reply', 'first-reply', at(60))],
      ...over,
    });
    const notice = (key: string, customerEmail?: string, buyer?: string) => ({
      customer: { key, order: { buyerId: buyer, customerEmail }, subject: 'case opened', text: 'we are on it' },
    });
    const a = uniqueId('CS');
    await cases.recordCaseChange({ case: kase(a, { buyerId, supplierId }), event: event(1, 'OPENED'), notices: notice(`case:${a}:1`, 'fallback@example.test', buyerId) });
    const b = uniqueId('CS');
    await cases.recordCaseChange({ case: kase(b, { orderSource: 'manual' }), event: event(1, 'OPENED'), notices: notice(`case:${b}:1`, 'walk-in@example.test') });
    const c = uniqueId('CS');
    await cases.recordCaseChange({ case: kase(c, { orderSource: 'manual' }), event: event(1, 'OPENED'), notices: notice(`case:${c}:1`) });
    expect((await outboxRows(`case:${a}:1`)).map((m) => [m.key, m.to])).toEqual([[`case:${a}:1:customer`, `${buyerId}@example.test`]]);
    expect((await outboxRows(`case:${b}:1`)).map((m) => [m.key, m.to])).toEqual([[`case:${b}:1:customer`, 'walk-in@example.test']]);
    // No address at all: nothing to send, and the change itself is still recorded.
    expect(await outboxRows(`case:${c}:1`)).toEqual([]);
    expect(await db.afterServiceCase.findUniqueOrThrow({ where: { id: c } })).toMatchObject({ status: 'OPEN', revision: 1 });
    expect((await deadlinesOf('case', c)).map((d) => d.kind)).toEqual(['first-reply']);
  });
});

describe('postLedgerTransaction', () => {
  const ledger = () => inContext(createLedgerActivities({ db }));

  it('posts a balanced transaction once: a retry posts nothing', async () => {
    const id = uniqueId('order');
    const movement = { id: `${id}:payment:deposit`, orderId: id, partyId: buyerId, amount: 210_000, currency: 'USD' };
    expect(await ledger().holdPaymentInEscrow(movement)).toEqual({ posted: true });
    expect(await ledger().holdPaymentInEscrow(movement)).toEqual({ posted: false });
    const entries = await db.ledgerEntry.findMany({ where: { transactionId: movement.id }, orderBy: { amount: 'asc' } });
    expect(entries.map((e) => [e.account, e.amount, e.currency])).toEqual([
      [`buyer:${buyerId}:funding`, -210_000n, 'USD'],
      [`escrow:order:${id}`, 210_000n, 'USD'],
    ]);
    expect(await db.ledgerTransaction.findUniqueOrThrow({ where: { id: movement.id } })).toMatchObject({ orderId: id, kind: 'escrow_hold', currency: 'USD' });
  });

  it('refuses an unbalanced transaction and writes nothing', async () => {
    const id = uniqueId('txn');
    await expect(
      ledger().postLedgerTransaction({ id, kind: 'escrow_hold', currency: 'USD', entries: [{ account: 'a', amount: 5 }, { account: 'b', amount: -4 }] }),
    ).rejects.toThrow(`ledger transaction ${id} is not balanced (entries sum to 1)`);
    expect(await db.ledgerTransaction.count({ where: { id } })).toBe(0);
  });
});
