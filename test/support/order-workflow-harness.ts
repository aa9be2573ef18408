/**
 * A time-skipping harness for tradeOrderWorkflow tests: a fresh test server per test (its clock
 * starts now), a worker with typed in-memory activities on its own task queue, and the steps most
 * tests take an order through.
 */
import { WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  ClaimCause,
  ORDER_CODE_REVISION,
  ORDER_WORKFLOW_TYPE,
  OrderState,
  TradeOrderInput,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  getOrderQuery,
  markDeliveredUpdate,
  openClaimUpdate,
  orderWorkflowId,
  payUpdate,
  shipUpdate,
} from '../../workflows/order.messages';
import { uniqueId } from './env';
import { bundleTradeGuardWorkflows, startTimeSkippingServer } from './time-skipping';
import { createMockActivities } from './mock-activities';
import { buyer, ops, sampleOrderInput, supplier } from './order-fixtures';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export type Mocks = ReturnType<typeof createMockActivities>;
export type Handle = WorkflowHandle;

/** Registers the test file's hooks and returns the helpers bound to its test server. */
export function orderWorkflowHarness() {
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

  /** Runs `fn` with a worker on its own task queue and a started order. */
  async function withOrder(
    fn: (h: Handle, mocks: Mocks, input: TradeOrderInput) => Promise<void>,
    opts: {
      terms?: Partial<TradeOrderInput['terms']>;
      granted?: number;
      shipInDays?: number;
      /** The code revision the order starts on (the one the API starts new orders on unless given). */
      codeRevision?: number;
      /** The policy version the order pins (the current one unless given). */
      policyVersion?: string;
      /** Changes the in-memory activities before the worker starts (a slow or failing one). */
      prepare?: (mocks: Mocks) => void;
    } = {},
  ): Promise<void> {
    const mocks = createMockActivities();
    if (opts.granted !== undefined) mocks.coverage.granted = opts.granted;
    opts.prepare?.(mocks);
    const taskQueue = uniqueId('rules');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: mocks.activities });
    const now = await currentTime();
    const shippingDate = new Date(now + (opts.shipInDays ?? 20) * DAY).toISOString().slice(0, 10);
    const input: TradeOrderInput = {
      ...sampleOrderInput(uniqueId('po'), { shippingDate, ...opts.terms }),
      codeRevision: opts.codeRevision ?? ORDER_CODE_REVISION,
      ...(opts.policyVersion ? { policyVersion: opts.policyVersion } : {}),
    };
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(ORDER_WORKFLOW_TYPE, { taskQueue, workflowId: orderWorkflowId(input.orderId), args: [input] });
      try {
        await fn(handle, mocks, input);
      } finally {
        // A failed test must not leave an order behind whose timers fire while later tests skip time.
        await handle.terminate('test done').catch(() => undefined);
      }
    });
  }

  async function currentTime(): Promise<number> {
    return env.currentTimeMs();
  }

  async function state(h: Handle): Promise<OrderState> {
    return h.query(getOrderQuery);
  }

  /** The order after an Update: an Update answers only an acknowledgement. */
  async function after(h: Handle, update: Promise<unknown>): Promise<OrderState> {
    await update;
    return state(h);
  }

  async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return cause;
  }

  const events = (m: Mocks) => m.calls.changes.map((c) => c.event.type);

  async function confirm(h: Handle): Promise<void> {
    await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
    await h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
  }

  async function payAll(h: Handle): Promise<void> {
    await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
    await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'balance', amount: 490_000, reference: 'W2' }] });
  }

  async function deliver(h: Handle): Promise<void> {
    await h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] });
    await h.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
  }

  /** Lets the test server skip ahead: the workflow's timers fire as if `ms` had passed. */
  async function skip(ms: number): Promise<void> {
    await env.sleep(ms);
  }

  async function openClaim(h: Handle, cause: ClaimCause = 'QUALITY_MISMATCH', refundAsked = 100_000) {
    return h.executeUpdate(openClaimUpdate, { args: [{ actor: buyer, cause, refundAsked, description: 'colour differs from the golden sample' }] });
  }

  return { withOrder, currentTime, state, after, refusal, events, confirm, payAll, deliver, skip, openClaim, env: () => env };
}
