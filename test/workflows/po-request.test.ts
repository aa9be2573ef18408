/**
 * purchaseOrderRequestWorkflow on the time-skipping test server with in-memory activities: the buyer's
 * request, the supplier's draft from it (the order starts as a child that outlives the request), the
 * refusals, withdrawal, decline and expiry.
 */
import { WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ACTION_REFUSED, ACTOR_NOT_ALLOWED } from '../../workflows/common';
import { ORDER_WORKFLOW_TYPE, OrderTermsInput, getOrderQuery, orderWorkflowId } from '../../workflows/order.messages';
import { CURRENT_ORDER_POLICY_VERSION } from '../../workflows/order.policy';
import {
  PO_REQUEST_WORKFLOW_TYPE,
  PurchaseOrderRequestInput,
  PurchaseRequestState,
  declineRequestUpdate,
  draftOrderFromRequestUpdate,
  getPurchaseRequestQuery,
  poRequestWorkflowId,
  withdrawRequestUpdate,
} from '../../workflows/po-request.messages';
import { CURRENT_PURCHASE_REQUEST_POLICY_VERSION } from '../../workflows/po-request.policy';
import { uniqueId } from '../support/env';
import { createMockActivities } from '../support/mock-activities';
import { buyer, sampleOrderInput, supplier } from '../support/order-fixtures';
import { bundleTradeGuardWorkflows, startTimeSkippingServer } from '../support/time-skipping';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleTradeGuardWorkflows();
});

beforeEach(async () => {
  await env?.teardown();
  env = await startTimeSkippingServer();
});

afterAll(async () => {
  await env?.teardown();
});

type Mocks = ReturnType<typeof createMockActivities>;
const dateIn = (now: number, days: number) => new Date(now + days * DAY).toISOString().slice(0, 10);

async function withRequest(fn: (h: WorkflowHandle, m: Mocks, input: PurchaseOrderRequestInput, taskQueue: string) => Promise<void>): Promise<void> {
  const mocks = createMockActivities();
  const taskQueue = uniqueId('po-request');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: mocks.activities });
  const input: PurchaseOrderRequestInput = {
    requestId: uniqueId('RQ'),
    buyerId: 'buyer-1',
    supplierId: 'supplier-1',
    items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500 }],
    desiredShippingDate: dateIn(await env.currentTimeMs(), 30),
    qualityRequirements: 'as the golden sample',
    message: 'please quote and draft the purchase order',
    policyVersion: CURRENT_PURCHASE_REQUEST_POLICY_VERSION,
    createdBy: buyer,
  };
  await worker.runUntil(async () => {
    const h = await env.client.workflow.start(PO_REQUEST_WORKFLOW_TYPE, { taskQueue, workflowId: poRequestWorkflowId(input.requestId), args: [input] });
    try {
      await fn(h, mocks, input, taskQueue);
    } finally {
      await h.terminate('test done').catch(() => undefined);
    }
  });
}

const state = (h: WorkflowHandle): Promise<PurchaseRequestState> => h.query(getPurchaseRequestQuery);

async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause;
}

async function closedStatus(h: WorkflowHandle): Promise<string> {
  for (let i = 0; i < 200 && (await h.describe()).status.name === 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 25));
  return (await h.describe()).status.name;
}

const terms = (shippingDate: string): OrderTermsInput => ({ ...sampleOrderInput('x').terms, shippingDate });
const draft = (input: PurchaseOrderRequestInput, orderId: string, over: Record<string, unknown> = {}) => ({
  actor: supplier,
  orderId,
  buyerId: input.buyerId,
  terms: terms(input.desiredShippingDate),
  orderPolicyVersion: CURRENT_ORDER_POLICY_VERSION,
  ...over,
});

describe('purchase order requests', () => {
  it("tells the supplier of the request, and starts the order when the supplier drafts from it; the order outlives the request", async () => {
    await withRequest(async (h, m, input) => {
      const opened = await state(h);
      expect(opened).toMatchObject({ status: 'OPEN', buyerId: 'buyer-1', supplierId: 'supplier-1', nextStep: { by: 'supplier' } });
      expect(opened.deadlines).toEqual([expect.objectContaining({ kind: 'request-expiry', policyVersion: '2026-12' })]);
      expect(Date.parse(opened.deadlines[0].dueAt) - Date.parse(opened.createdAt)).toBe(14 * DAY);
      expect(m.calls.notices[0]).toMatchObject({ partyIds: ['supplier-1'], subject: `[TradeGuard request ${input.requestId}] new purchase order request` });
      expect(m.calls.notices[0].text).toContain('500 × Bluetooth speaker');

      const orderId = uniqueId('PO');
      const ack = await h.executeUpdate(draftOrderFromRequestUpdate, { args: [draft(input, orderId)] });
      expect(ack).toEqual({ requestId: input.requestId, status: 'DRAFTED', revision: 2, orderId });
      expect(await closedStatus(h)).toBe('COMPLETED');
      const order = await env.client.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderQuery);
      expect(order).toMatchObject({ status: 'DRAFT', buyerId: 'buyer-1', supplierId: 'supplier-1', policyVersion: CURRENT_ORDER_POLICY_VERSION });
      expect((await env.client.workflow.getHandle(orderWorkflowId(orderId)).describe()).status.name).toBe('RUNNING');
      const drafted = m.calls.changes.find((c) => c.event.type === 'DRAFTED')!;
      expect(drafted.event.data).toMatchObject({ requestId: input.requestId });
      expect(drafted.notices?.parties?.text).toContain(`from your request ${input.requestId}`);
      expect((await state(h)).events.map((e) => e.type)).toEqual(['REQUEST_SUBMITTED', 'ORDER_DRAFTED']);
      await env.client.workflow.getHandle(orderWorkflowId(orderId)).terminate('test done');
    });
  });

  it("refuses a draft by another supplier, for another buyer, with a broken draft, or under an order id that is taken", async () => {
    await withRequest(async (h, _m, input, taskQueue) => {
      const other = await refusal(h.executeUpdate(draftOrderFromRequestUpdate, { args: [draft(input, uniqueId('PO'), { actor: { role: 'supplier', partyId: 'supplier-2' } })] }));
      expect(other.type).toBe(ACTOR_NOT_ALLOWED);
      const byBuyer = await refusal(h.executeUpdate(draftOrderFromRequestUpdate, { args: [draft(input, uniqueId('PO'), { actor: buyer })] }));
      expect(byBuyer.type).toBe(ACTOR_NOT_ALLOWED);
      const otherBuyer = await refusal(h.executeUpdate(draftOrderFromRequestUpdate, { args: [draft(input, uniqueId('PO'), { buyerId: 'buyer-2' })] }));
      expect(otherBuyer.message).toBe(`cannot draft for buyer buyer-2: request ${input.requestId} is from buyer buyer-1`);
      const opsForOther = await refusal(h.executeUpdate(draftOrderFromRequestUpdate, { args: [draft(input, uniqueId('PO'), { actor: { role: 'ops' }, supplierId: 'supplier-2' })] }));
      expect(opsForOther.message).toBe(`cannot draft as supplier supplier-2: request ${input.requestId} was sent to supplier supplier-1`);
      const broken = await refusal(
        h.executeUpdate(draftOrderFromRequestUpdate, { args: [draft(input, uniqueId('PO'), { terms: { ...terms(input.desiredShippingDate), depositAmount: 9_000_000 } })] }),
      );
      expect(broken.message).toBe('cannot draft: depositAmount: the deposit cannot exceed the order total');
      // An order id already in use: the request stays open for another draft.
      const taken = uniqueId('PO');
      const existing = await env.client.workflow.start(ORDER_WORKFLOW_TYPE, { taskQueue, workflowId: orderWorkflowId(taken), args: [sampleOrderInput(taken, { shippingDate: input.desiredShippingDate })] });
      const duplicate = await refusal(h.executeUpdate(draftOrderFromRequestUpdate, { args: [draft(input, taken)] }));
      expect(duplicate).toMatchObject({ type: ACTION_REFUSED, message: `cannot draft: order ${taken} already exists; choose another order id` });
      expect((await state(h)).status).toBe('OPEN');
      await existing.terminate('test done');
    });
  });

  it('expires when no draft follows within 14 days, not a day before, and tells both parties', async () => {
    await withRequest(async (h, m) => {
      await env.sleep(13 * DAY);
      expect((await state(h)).status).toBe('OPEN');
      await env.sleep(DAY + HOUR);
      expect(await closedStatus(h)).toBe('COMPLETED');
      const expired = await state(h);
      expect(expired).toMatchObject({ status: 'EXPIRED', deadlines: [], closedReason: 'no purchase order was drafted within 14 days' });
      expect(m.calls.notices.at(-1)).toMatchObject({ partyIds: ['buyer-1', 'supplier-1'], subject: expect.stringMatching(/purchase order request expired$/) });
    });
  });

  it('lets the buyer withdraw it and the supplier decline it; a closed request takes no draft', async () => {
    await withRequest(async (h, m, input) => {
      const bySupplier = await refusal(h.executeUpdate(withdrawRequestUpdate, { args: [{ actor: supplier }] }));
      expect(bySupplier.type).toBe(ACTOR_NOT_ALLOWED);
      await h.executeUpdate(withdrawRequestUpdate, { args: [{ actor: buyer, reason: 'ordered elsewhere' }] });
      expect(await closedStatus(h)).toBe('COMPLETED');
      expect(await state(h)).toMatchObject({ status: 'WITHDRAWN', closedReason: 'withdrawn by the buyer: ordered elsewhere' });
      expect(m.calls.notices.at(-1)).toMatchObject({ partyIds: ['supplier-1'] });
      await expect(h.executeUpdate(draftOrderFromRequestUpdate, { args: [draft(input, uniqueId('PO'))] })).rejects.toThrow();
    });
    await withRequest(async (h, m) => {
      await h.executeUpdate(declineRequestUpdate, { args: [{ actor: supplier, reason: 'out of stock until March' }] });
      expect(await state(h)).toMatchObject({ status: 'DECLINED', closedReason: 'declined by the supplier: out of stock until March' });
      expect(m.calls.notices.at(-1)).toMatchObject({ partyIds: ['buyer-1'], subject: expect.stringMatching(/declined$/) });
    });
  });

  // Replay compares the kinds of commands, not what an upsert holds: this pins the search attributes
  // each change upserts to those the request's first version recorded (the parties once, on
  // submission; then status and next deadline, on every change), on the paths no fixture records.
  it('upserts the search attributes of its first version on every path, and tells its current state in the Temporal UI', async () => {
    const upserts = async (h: WorkflowHandle) => {
      const E = temporal.api.enums.v1.EventType;
      return ((await h.fetchHistory()).events ?? [])
        .filter((e) => e.eventType === E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
        .map((e) => {
          const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
          return Object.fromEntries(Object.keys(fields).sort().map((k) => [k, defaultPayloadConverter.fromPayload(fields[k])]));
        });
    };
    const submitted = (opened: PurchaseRequestState) => ({
      TradeGuardBuyer: 'buyer-1',
      TradeGuardNextDeadline: opened.deadlines[0].dueAt,
      TradeGuardStatus: 'OPEN',
      TradeGuardSupplier: 'supplier-1',
    });
    await withRequest(async (h) => {
      const opened = await state(h);
      const metadata = await h.query<{ currentDetails: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toContain('**OPEN** (revision 1): next, the supplier drafts the purchase order');
      expect(metadata.currentDetails).toContain(`next deadline: request-expiry at ${opened.deadlines[0].dueAt}, then the request expires`);
      await env.sleep(15 * DAY);
      expect(await closedStatus(h)).toBe('COMPLETED');
      expect(await upserts(h)).toEqual([submitted(opened), { TradeGuardNextDeadline: null, TradeGuardStatus: 'EXPIRED' }]);
    });
    await withRequest(async (h) => {
      const opened = await state(h);
      await h.executeUpdate(declineRequestUpdate, { args: [{ actor: supplier, reason: 'out of stock' }] });
      expect(await closedStatus(h)).toBe('COMPLETED');
      expect(await upserts(h)).toEqual([submitted(opened), { TradeGuardNextDeadline: null, TradeGuardStatus: 'DECLINED' }]);
    });
    await withRequest(async (h) => {
      const opened = await state(h);
      await h.executeUpdate(withdrawRequestUpdate, { args: [{ actor: buyer }] });
      expect(await closedStatus(h)).toBe('COMPLETED');
      expect(await upserts(h)).toEqual([submitted(opened), { TradeGuardNextDeadline: null, TradeGuardStatus: 'WITHDRAWN' }]);
    });
  });
});
