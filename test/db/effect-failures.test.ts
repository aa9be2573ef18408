/**
 * Against the suite's PostgreSQL: a change PostgreSQL refuses for its data (a lone surrogate in the
 * timeline entry's jsonb, 22P02) fails its activity at once with a non-retryable DataError and writes
 * nothing, where it used to fail the same way on every retry; an unreachable database stays a
 * retryable failure. Then raiseEffectFailure: one late task per key however often it is raised, and
 * safe text whatever the failure said.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEffectFailureActivities, effectFailureTaskId } from '../../activities/effect-failures';
import { DATA_ERROR, dataErrorOf, sqlStateOf } from '../../activities/failures';
import { createLedgerActivities } from '../../activities/ledger';
import { createOrderActivities, type OrderReadModel } from '../../activities/orders';
import type { TimelineEntry } from '../../workflows/read-model';
import { isDatabaseUnreachable } from '../../api/errors';
import { Db, createDb } from '../../infra/db';
import { unsafeTextReason } from '../../infra/text';
import { testDatabaseUrl, uniqueId } from '../support/env';

const OPS = { ops: 'ops@tradeguard.test', opsLeads: 'ops-leads@tradeguard.test' };

let db: Db;
let unreachable: Db;
let orders: ReturnType<typeof createOrderActivities>;
let ledger: ReturnType<typeof createLedgerActivities>;
let effects: ReturnType<typeof createEffectFailureActivities>;
let buyerId: string;
let supplierId: string;

/** Runs each activity inside an activity context, as a worker does. */
function inContext<T extends Record<string, unknown>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, (...args: unknown[]) => new MockActivityEnvironment().run(fn as (...a: unknown[]) => Promise<unknown>, ...args)]),
  ) as T;
}

beforeAll(async () => {
  db = createDb(testDatabaseUrl());
  // Port 1: nothing listens there, so every statement meets a refused connection.
  unreachable = createDb('postgresql://tradeguard:tradeguard@127.0.0.1:1/tradeguard');
  const queue = uniqueId('effect-failures');
  orders = inContext(createOrderActivities({ db, opsAddresses: OPS, temporal: { taskQueue: queue } }));
  ledger = inContext(createLedgerActivities({ db }));
  effects = inContext(createEffectFailureActivities({ db }));
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
  await db?.$disconnect();
  await unreachable?.$disconnect();
});

const T0 = Date.parse('2026-11-22T08:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function order(id: string, revision: number, over: Partial<OrderReadModel> = {}): OrderReadModel {
  return {
    id, status: 'PAID', buyerId, supplierId, currency: 'USD', totalAmount: 700_000, depositAmount: 210_000, paidAmount: 700_000,
    heldAmount: 700_000, releasedAmount: 0, shippingDate: '2026-12-22', policyVersion: '2026-11', revision, createdAt: at(0),
    updatedAt: at(revision), deadlines: [], ...over,
  };
}

function cancelled(seq: number, reason: string): TimelineEntry {
  return { seq, type: 'CANCELLED', actorRole: 'buyer', actorId: buyerId, summary: `Cancelled: ${reason}`, data: { reason }, occurredAt: at(seq) };
}

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected the activity to fail');
}

describe('an activity stops retrying what the database refuses for its data', () => {
  it('recordOrderChange with a lone surrogate in the cancel reason fails with a non-retryable DataError and writes nothing', async () => {
    const id = uniqueId('EF');
    await orders.recordOrderChange({ order: order(id, 1), event: { ...cancelled(1, 'x'), type: 'PAID', summary: 'paid', data: {} } });
    const err = await failureOf(() =>
      orders.recordOrderChange({
        order: order(id, 2, { status: 'CANCELLED' }),
        event: cancelled(2, 'lost \ud800 x'),
        notices: { parties: { key: `order:${id}:2`, partyIds: [buyerId, supplierId], subject: 'Order cancelled', text: 'lost \ud800 x' } },
      }),
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: DATA_ERROR, nonRetryable: true });
    expect((err as ApplicationFailure).message).toMatch(/^recordOrderChange: the database refused the data \(SQLSTATE 22P02: invalid input syntax for type json\)/);
    expect(unsafeTextReason((err as ApplicationFailure).message)).toBeUndefined();
    // The statement is one: neither the row, nor the timeline entry, nor an email was written.
    expect(await db.order.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'PAID', revision: 1 });
    expect((await db.orderEvent.findMany({ where: { orderId: id } })).map((e) => e.seq)).toEqual([1]);
    expect(await db.emailOutbox.count({ where: { key: { startsWith: `order:${id}:` } } })).toBe(0);
  });

  it('each attempt fails the same way: the failure is the data, not the moment', async () => {
    const id = uniqueId('EF');
    const change = { order: order(id, 1), event: cancelled(1, '\udc00') };
    const first = await failureOf(() => orders.recordOrderChange(change));
    const second = await failureOf(() => orders.recordOrderChange(change));
    expect([first, second].map((e) => [(e as ApplicationFailure).type, (e as ApplicationFailure).nonRetryable])).toEqual([[DATA_ERROR, true], [DATA_ERROR, true]]);
    expect(await db.order.findUnique({ where: { id } })).toBeNull();
  });

  it('a ledger posting whose account name PostgreSQL cannot read is a DataError naming the activity, and posts nothing', async () => {
    const orderId = uniqueId('EF');
    const err = await failureOf(() => ledger.holdPaymentInEscrow({ id: `order:${orderId}:deposit`, orderId, partyId: 'buyer-\ud800', amount: 100, currency: 'USD' }));
    expect(err).toMatchObject({ type: DATA_ERROR, nonRetryable: true, message: expect.stringMatching(/^holdPaymentInEscrow: .*SQLSTATE 22P02/) });
    expect(await db.ledgerTransaction.count({ where: { id: `order:${orderId}:deposit` } })).toBe(0);
  });

  it('classifies what the real PostgreSQL answers: data and constraint refusals stop, shutdowns and overload retry', async () => {
    const raised = (sqlstate: string) =>
      failureOf(() => db.$executeRawUnsafe(`DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '${sqlstate}', MESSAGE = 'raised ${sqlstate}'; END $$`));
    for (const sqlstate of ['22P02', '22003', '23505', '23503', '42601', '54000']) {
      const err = await raised(sqlstate);
      expect(sqlStateOf(err)).toBe(sqlstate);
      expect(dataErrorOf('probe', err)).toMatchObject({ type: DATA_ERROR, nonRetryable: true, message: expect.stringContaining(`SQLSTATE ${sqlstate}: raised ${sqlstate}`) });
    }
    for (const sqlstate of ['08006', '57P01', '57P03', '53300', '40001', '40P01', '42P01']) {
      const err = await raised(sqlstate);
      expect(sqlStateOf(err)).toBe(sqlstate);
      expect(dataErrorOf('probe', err)).toBeUndefined();
    }
    // And a statement that truly fails on its data, as the activities' own do.
    const json = await failureOf(() => db.$queryRaw`SELECT ${JSON.stringify({ reason: 'lost \ud800 x' })}::jsonb`);
    expect(sqlStateOf(json)).toBe('22P02');
    expect(dataErrorOf('probe', json)?.nonRetryable).toBe(true);
  });

  it('an unreachable database stays a retryable failure: Temporal retries until it is back', async () => {
    const down = inContext(createOrderActivities({ db: unreachable, opsAddresses: OPS, temporal: { taskQueue: 'nowhere' } }));
    const err = await failureOf(() => down.recordOrderChange({ order: order(uniqueId('EF'), 1), event: cancelled(1, 'lost \ud800 x') }));
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(isDatabaseUnreachable(err)).toBe(true);
  });
});

describe('raiseEffectFailure', () => {
  const failure = (resourceId: string, over: Record<string, unknown> = {}) => ({
    resource: 'order' as const,
    resourceId,
    key: `order:${resourceId}:recordOrderChange:2`,
    effect: 'recordOrderChange (revision 2, CANCELLED)',
    error: 'recordOrderChange: the database refused the data (SQLSTATE 22P02: invalid input syntax for type json); retrying cannot change that',
    occurredAt: at(30),
    ...over,
  });

  it('puts one open task on the late-task queue for ops, once per key however often it is raised (retries, at once too)', async () => {
    const id = uniqueId('EF');
    await orders.recordOrderChange({ order: order(id, 1), event: { ...cancelled(1, 'x'), type: 'PAID', summary: 'paid', data: {} } });
    const first = await effects.raiseEffectFailure(failure(id));
    const again = await Promise.all([effects.raiseEffectFailure(failure(id)), effects.raiseEffectFailure(failure(id)), effects.raiseEffectFailure(failure(id))]);
    const taskId = effectFailureTaskId('order', id, `order:${id}:recordOrderChange:2`);
    expect(first).toEqual({ taskId, raised: true });
    expect(again).toEqual([{ taskId, raised: false }, { taskId, raised: false }, { taskId, raised: false }]);
    expect(taskId).toMatch(/^LT-order-EF-[a-z0-9-]+-effect-[0-9a-f]{16}$/);

    const tasks = await db.lateTask.findMany({ where: { resource: 'order', resourceId: id } });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ id: taskId, kind: 'EFFECT_FAILED', mustAct: 'ops', status: 'open', buyerId, supplierId, claimId: null });
    expect(tasks[0].since.toISOString()).toBe(at(30));
    expect(tasks[0].summary).toBe(
      `recordOrderChange (revision 2, CANCELLED) failed for good and was not retried: ${failure(id).error} (key order:${id}:recordOrderChange:2)`,
    );

    // Another key is another task.
    await effects.raiseEffectFailure(failure(id, { key: `order:${id}:postLedgerTransaction:refund` }));
    expect(await db.lateTask.count({ where: { resource: 'order', resourceId: id } })).toBe(2);
  });

  it('cannot be poisoned: lone surrogates, control characters and overrides in what it is told are made safe before writing', async () => {
    const id = uniqueId('EF');
    const poisoned = failure(id, {
      key: `order:${id}:\ud800`,
      effect: 'recordOrderChange\u0000\u001b[2J',
      error: 'lost \ud800 x \u202Eevil\u2066 \u0007\u0085 and \udc00',
      occurredAt: 'not a time',
    });
    const { raised, taskId } = await effects.raiseEffectFailure(poisoned);
    expect(raised).toBe(true);
    const task = await db.lateTask.findUniqueOrThrow({ where: { id: taskId } });
    expect(unsafeTextReason(task.summary)).toBeUndefined();
    expect(task.summary).toContain('lost \ufffd x evil  and \ufffd');
    expect(task.summary.startsWith('recordOrderChange[2J failed for good')).toBe(true);
    // No order row: the task names no parties. An unusable time is the time of writing.
    expect(task).toMatchObject({ buyerId: null, supplierId: null });
    expect(Math.abs(task.since.getTime() - Date.now())).toBeLessThan(60_000);
    expect((await effects.raiseEffectFailure(poisoned)).raised).toBe(false);
  });

  it('takes monitoring tasks and cases too, with their parties', async () => {
    const caseId = uniqueId('EF');
    await db.afterServiceCase.create({
      data: {
        id: caseId, orderId: 'PO-X', orderSource: 'order', type: 'QUALITY', category: 'quality', status: 'IN_PROGRESS', buyerId, supplierId,
        proactive: false, currency: 'USD', refundedAmount: 0n, late: false, firstReplyDueAt: new Date(at(60)), policyVersion: '2026-11',
        revision: 1, openedAt: new Date(at(0)), updatedAt: new Date(at(0)),
      },
    });
    const { taskId } = await effects.raiseEffectFailure({ ...failure(caseId), resource: 'case', key: `case:${caseId}:refundForCase` });
    expect(await db.lateTask.findUniqueOrThrow({ where: { id: taskId } })).toMatchObject({ resource: 'case', resourceId: caseId, buyerId, supplierId });
    const monitoringId = uniqueId('EF');
    const monitoring = await effects.raiseEffectFailure({ ...failure(monitoringId), resource: 'monitoring', key: `monitoring:${monitoringId}:refundMonitoringFee` });
    expect(monitoring.taskId).toMatch(/^LT-monitoring-/);
  });

  it('refuses a resource kind it does not know, for good', async () => {
    const err = await failureOf(() => effects.raiseEffectFailure({ ...failure(uniqueId('EF')), resource: 'invoice' as 'order' }));
    expect(err).toMatchObject({ type: 'InvalidEffectFailure', nonRetryable: true });
  });
});
