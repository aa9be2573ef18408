import { WithStartWorkflowOperation, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ACTION_REFUSED, ACTOR_NOT_ALLOWED } from '../../workflows/common';
import { activityRuns } from '../../bench/history-events';
import {
  INVALID_DRAFT,
  SHIPPING_PERIOD_CODE_REVISION,
  ORDER_CODE_REVISION,
  ORDER_WORKFLOW_TYPE,
  OrderState,
  TradeOrderInput,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  getOrderQuery,
  markDeliveredUpdate,
  openClaimUpdate,
  orderWorkflowId,
  payUpdate,
  shipUpdate,
} from '../../workflows/order.messages';
import { availableActionsQuery } from '../../workflows/actions';
import { createMockActivities } from '../support/mock-activities';
import { buyer, ops, sampleOrderInput, supplier } from '../support/order-fixtures';
import { uniqueId } from '../support/env';
import { bundleTradeGuardWorkflows, startTimeSkippingServer } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleTradeGuardWorkflows();
});

// Each test on a test server of its own: its clock starts now, and nothing an earlier test left
// behind (workflows, timers) holds the clock back.
beforeEach(async () => {
  await env?.teardown();
  env = await startTimeSkippingServer();
});

afterAll(async () => {
  await env?.teardown();
});

async function withWorker<T>(fn: (ctx: ReturnType<typeof createMockActivities> & { taskQueue: string }) => Promise<T>, mocks = createMockActivities()): Promise<T> {
  const taskQueue = uniqueId('wf');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: mocks.activities,
  });
  return worker.runUntil(fn({ ...mocks, taskQueue }));
}

/** A sample order whose shipping date lies 20 days after the test server's current time. */
async function orderInput(overrides: Partial<TradeOrderInput['terms']> = {}): Promise<TradeOrderInput> {
  const shippingDate = new Date((await env.currentTimeMs()) + 20 * 86_400_000).toISOString().slice(0, 10);
  return { ...sampleOrderInput(uniqueId('po'), { shippingDate, ...overrides }), codeRevision: ORDER_CODE_REVISION };
}

function start(taskQueue: string, input: TradeOrderInput) {
  return env.client.workflow.start(ORDER_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: orderWorkflowId(input.orderId),
    args: [input],
  });
}

/** The failure an update was refused with (validator rejection). */
async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('tradeOrderWorkflow', () => {
  it('runs the happy path to completion: escrow holds every payment and releases it all to the supplier', async () => {
    await withWorker(async ({ taskQueue, calls }) => {
      const handle = await start(taskQueue, await orderInput());
      await handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await handle.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      const ack = await handle.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      expect(ack).toEqual({ orderId: expect.any(String), status: 'DEPOSIT_PAID', revision: 4 });
      const afterDeposit = await handle.query(getOrderQuery);
      expect(afterDeposit.amounts).toMatchObject({ paid: 210_000, held: 210_000, balance: 490_000 });
      await handle.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'balance', amount: 490_000, reference: 'W2' }] });
      await handle.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] });
      const shipped = await handle.query(getOrderQuery);
      expect(shipped.shipment).toMatchObject({ carrier: 'DHL', trackingNumber: 'JD0146' });
      await handle.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
      await handle.executeUpdate(confirmReceiptUpdate, { args: [{ actor: buyer }] });
      const final: OrderState = await handle.result();

      expect(final.status).toBe('COMPLETED');
      expect(final.amounts).toMatchObject({ total: 700_000, paid: 700_000, held: 0, released: 700_000 });
      expect(calls.changes.map((c) => c.event.type)).toEqual([
        'DRAFTED',
        'BUYER_CONFIRMED',
        'SUPPLIER_CONFIRMED',
        'DEPOSIT_PAID',
        'BALANCE_PAID',
        'SHIPPED',
        'DELIVERED',
        'RECEIPT_CONFIRMED',
        'FUNDS_RELEASED',
        // 48 h after shipping the carrier's data is checked; the workflow then waits out its windows,
        // and records each as it passes, so the read model lists no deadline the order no longer has.
        'SHIPMENT_VERIFIED',
        'DEADLINE_PASSED',
        'DEADLINE_PASSED',
      ]);
      expect(calls.changes.slice(-2).map((c) => c.event.data)).toEqual([
        expect.objectContaining({ kind: 'post-receipt-claims', status: 'COMPLETED' }),
        expect.objectContaining({ kind: 'feedback-window', status: 'COMPLETED' }),
      ]);
      expect(calls.changes.at(-1)?.order.deadlines).toEqual([]);
      expect(calls.changes.map((c) => c.order.revision)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(calls.changes[8]?.order).toMatchObject({ status: 'COMPLETED', heldAmount: 0, releasedAmount: 700_000 });
      expect(calls.holds.map((h) => [h.id, h.amount])).toEqual([
        [`${handle.workflowId}:payment:deposit`, 210_000],
        [`${handle.workflowId}:payment:balance`, 490_000],
      ]);
      expect(calls.releases).toEqual([
        { id: `${handle.workflowId}:release`, orderId: final.orderId, partyId: 'supplier-1', amount: 700_000, currency: 'USD' },
      ]);
      const keys = calls.notices.map((n) => n.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(calls.notices[0]).toMatchObject({ partyIds: ['buyer-1'] });
      expect(calls.notices.at(-1)).toMatchObject({ partyIds: ['buyer-1', 'supplier-1'] });

      // A new order records each change with its notices in one activity: no separate notice activity.
      expect(calls.changes[0]?.notices?.parties).toMatchObject({ key: `${handle.workflowId}:1`, partyIds: ['buyer-1'] });
      const runs = activityRuns((await handle.fetchHistory()).events ?? []);
      expect(runs.filter((r) => r.type === 'recordOrderChange')).toHaveLength(12);
      expect(runs.filter((r) => r.type === 'notifyParties' || r.type === 'notifyOps')).toEqual([]);
      // Every effect is an ordinary activity, scheduled only once the change that asks for it is in the history.
      expect(runs.filter((r) => r.local)).toEqual([]);
    });
  });

  it('refuses to ship an unpaid order, names the reason, and changes nothing', async () => {
    await withWorker(async ({ taskQueue, calls }) => {
      const handle = await start(taskQueue, await orderInput());
      await handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await handle.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      const before = await handle.query(getOrderQuery);
      const failure = await refusal(handle.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'X1234' }] }));
      expect(failure.type).toBe(ACTION_REFUSED);
      expect(failure.message).toMatch(/cannot ship: the order is unpaid/);
      const after = await handle.query(getOrderQuery);
      expect(after.revision).toBe(before.revision);
      expect(after.status).toBe('CONFIRMED');
      expect(calls.changes).toHaveLength(3);
      await handle.terminate('test done');
    });
  });

  it('refuses shipment while the balance is unpaid, with the amount due', async () => {
    await withWorker(async ({ taskQueue }) => {
      const handle = await start(taskQueue, await orderInput());
      await handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await handle.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      await handle.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      const failure = await refusal(handle.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'X1234' }] }));
      expect(failure.message).toBe('cannot ship: the balance of 4,900.00 USD is due before shipment');
      await handle.terminate('test done');
    });
  });

  it('keeps the order of confirmations: the supplier confirms only after the buyer', async () => {
    await withWorker(async ({ taskQueue }) => {
      const handle = await start(taskQueue, await orderInput());
      const failure = await refusal(handle.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] }));
      expect(failure.type).toBe(ACTION_REFUSED);
      expect(failure.message).toMatch(/buyer has not confirmed/);
      await handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      const again = await refusal(handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] }));
      expect(again.message).toMatch(/cannot confirm as buyer/);
      await handle.terminate('test done');
    });
  });

  it('accepts only the agreed deposit amount', async () => {
    await withWorker(async ({ taskQueue, calls }) => {
      const handle = await start(taskQueue, await orderInput());
      await handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await handle.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      const failure = await refusal(handle.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 100_000, reference: 'W1' }] }));
      expect(failure.message).toBe('deposit must be 2,100.00 USD as agreed on the purchase order, not 1,000.00 USD');
      expect(calls.holds).toHaveLength(0);
      await handle.terminate('test done');
    });
  });

  it('lets only the order\'s own parties act, each in its own role', async () => {
    await withWorker(async ({ taskQueue }) => {
      const handle = await start(taskQueue, await orderInput());
      const otherBuyer = await refusal(handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: { role: 'buyer', partyId: 'buyer-2' } }] }));
      expect(otherBuyer.type).toBe(ACTOR_NOT_ALLOWED);
      const supplierAsBuyer = await refusal(handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: supplier }] }));
      expect(supplierAsBuyer.type).toBe(ACTOR_NOT_ALLOWED);
      expect(supplierAsBuyer.message).toBe("only the order's buyer or ops may confirm the purchase order as buyer");
      const support = await refusal(handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: { role: 'support' } }] }));
      expect(support.type).toBe(ACTOR_NOT_ALLOWED);
      const state = await handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: ops }] });
      expect(state.status).toBe('BUYER_CONFIRMED');
      await handle.terminate('test done');
    });
  });

  it('answers which actions each role may take now, refusing the others in the words its Updates use', async () => {
    await withWorker(async ({ taskQueue }) => {
      const handle = await start(taskQueue, await orderInput());
      await handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await handle.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      await handle.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      await handle.executeUpdate(openClaimUpdate, { args: [{ actor: buyer, cause: 'QUALITY_MISMATCH', refundAsked: 50_000, description: 'wrong colour' }] });
      const actions = await handle.query(availableActionsQuery);
      const find = (update: string, claimId?: string) => actions.find((a) => a.update === update && a.claimId === claimId);
      // The balance is due: the buyer (and ops) may pay it; nobody may ship yet, for the reason shipping is refused.
      expect(find('pay')?.allowed).toEqual(['ops', 'buyer']);
      expect(find('ship')?.allowed).toEqual([]);
      const shipRefusal = await refusal(handle.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'X1234' }] }));
      expect(find('ship')?.refused.supplier).toBe(shipRefusal.message);
      expect(find('markDelivered')?.allowed).toEqual([]);
      expect(find('cancelOrder')?.refused.buyer).toMatch(/claim C1 is open/);
      // Claim actions are asked per open claim: the supplier answers C1; only ops decide, and not before it escalates.
      expect(find('respondToClaim', 'C1')?.allowed).toEqual(['ops', 'supplier']);
      expect(find('decideClaim', 'C1')?.allowed).toEqual([]);
      expect(find('decideClaim', 'C1')?.refused.ops).toMatch(/only an escalated claim/);
      expect(find('requestEvidence', 'C1')?.allowed).toEqual(['ops']);
      // Support reads; it acts on nothing.
      expect(actions.filter((a) => a.allowed.includes('support'))).toEqual([]);
      expect(find('pay')?.refused.support).toMatch(/only the order's buyer or ops may/);
      await handle.terminate('test done');
    });
  });

  it('treats a deposit of the full amount as full payment: no balance is due', async () => {
    await withWorker(async ({ taskQueue }) => {
      const handle = await start(taskQueue, await orderInput({ depositAmount: 700_000 }));
      await handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await handle.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      const paid = await handle.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 700_000, reference: 'W1' }] });
      expect(paid.status).toBe('PAID');
      const failure = await refusal(handle.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'balance', amount: 1, reference: 'W2' }] }));
      expect(failure.message).toMatch(/no balance/);
      await handle.terminate('test done');
    });
  });

  it('fails a draft that breaks the policy instead of running it', async () => {
    await withWorker(async ({ taskQueue, calls }) => {
      const handle = await start(taskQueue, await orderInput({ depositAmount: 800_000 }));
      const err = await handle.result().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe(INVALID_DRAFT);
      expect(cause.message).toMatch(/depositAmount: the deposit cannot exceed the order total/);
      expect(calls.changes).toHaveLength(0);
    });
  });

  it('fails a draft shipping past the shipping period on the code revision that holds it to one; an earlier revision runs as it did', async () => {
    await withWorker(async ({ taskQueue, calls }) => {
      // 200 days after the test server's time when each order starts (waiting on a result moves that time on).
      const farOrder = async (codeRevision: number) => {
        const shippingDate = new Date((await env.currentTimeMs()) + 200 * 86_400_000).toISOString().slice(0, 10);
        return { shippingDate, handle: await start(taskQueue, { ...(await orderInput({ shippingDate })), codeRevision }) };
      };
      const held = await farOrder(SHIPPING_PERIOD_CODE_REVISION);
      const err = await held.handle.result().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe(INVALID_DRAFT);
      expect(cause.message).toMatch(new RegExp(`shippingDate: ${held.shippingDate} is more than 90 days away`));
      expect(calls.changes).toHaveLength(0);

      const earlier = await farOrder(SHIPPING_PERIOD_CODE_REVISION - 1);
      const confirmed = await earlier.handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      expect(confirmed.status).toBe('BUYER_CONFIRMED');
      await earlier.handle.terminate('test done');
    });
  });

  it('keeps the draft as revision 1 when an update arrives together with the start', async () => {
    await withWorker(async ({ taskQueue, calls }) => {
      const input = await orderInput();
      const startOp = new WithStartWorkflowOperation(ORDER_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: orderWorkflowId(input.orderId),
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
      });
      const state = await env.client.workflow.executeUpdateWithStart(confirmByBuyerUpdate, {
        args: [{ actor: buyer }],
        startWorkflowOperation: startOp,
      });
      expect(state).toMatchObject({ status: 'BUYER_CONFIRMED', revision: 2 });
      const handle = await startOp.workflowHandle();
      const confirmed = await handle.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      expect(confirmed.status).toBe('CONFIRMED');
      expect(calls.changes.map((c) => [c.order.revision, c.event.type])).toEqual([
        [1, 'DRAFTED'],
        [2, 'BUYER_CONFIRMED'],
        [3, 'SUPPLIER_CONFIRMED'],
      ]);
      await handle.terminate('test done');
    });
  });

  it('retries a failing read-model write until it succeeds, so no state change is lost', async () => {
    const mocks = createMockActivities();
    const record = mocks.activities.recordOrderChange;
    let failures = 0;
    mocks.activities.recordOrderChange = async (change) => {
      if (change.event.type === 'BUYER_CONFIRMED' && failures < 2) {
        failures += 1;
        throw new Error('database is restarting');
      }
      return record(change);
    };
    await withWorker(async ({ taskQueue, calls }) => {
      const handle = await start(taskQueue, await orderInput());
      const state = await handle.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      expect(state.status).toBe('BUYER_CONFIRMED');
      expect(failures).toBe(2);
      expect(calls.changes.map((c) => c.event.type)).toEqual(['DRAFTED', 'BUYER_CONFIRMED']);
      await handle.terminate('test done');
    }, mocks);
  });
});
