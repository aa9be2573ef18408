/**
 * Orders of the first version (the walking skeleton, no ORDER_RULES_PATCH marker) run a frozen path
 * (workflows/order-v1.ts). Their recorded histories replay (test/replay); here one is driven live on
 * the time-skipping server with in-memory activities: the commands that version issued, its rules,
 * and every later action refused with a message that says why.
 */
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { availableActionsQuery } from '../../workflows/actions';
import { ACTOR_NOT_ALLOWED } from '../../workflows/common';
import {
  cancelOrderUpdate,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  extendShippingUpdate,
  getOrderQuery,
  markDeliveredUpdate,
  openClaimUpdate,
  orderWorkflowId,
  payUpdate,
  requestChangesUpdate,
  shipUpdate,
} from '../../workflows/order.messages';
import { createMockActivities } from '../support/mock-activities';
import { buyer, ops, sampleOrderInput, supplier } from '../support/order-fixtures';
import { uniqueId } from '../support/env';
import { startTimeSkippingServer } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await startTimeSkippingServer();
  bundle = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, '../support/workflows/first-version-order.ts'), logger: new DefaultLogger('WARN') });
});

afterAll(async () => {
  await env?.teardown();
});

async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
}

async function withFirstVersionOrder(fn: (h: Awaited<ReturnType<typeof env.client.workflow.start>>, m: ReturnType<typeof createMockActivities>) => Promise<void>): Promise<void> {
  const mocks = createMockActivities();
  const taskQueue = uniqueId('v1');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: mocks.activities });
  const input = sampleOrderInput(uniqueId('po'), { shippingDate: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10) });
  await worker.runUntil(async () => {
    const h = await env.client.workflow.start('firstVersionOrderWorkflow', { taskQueue, workflowId: orderWorkflowId(input.orderId), args: [input] });
    try {
      await fn(h, mocks);
    } finally {
      await h.terminate('test done').catch(() => undefined);
    }
  });
}

describe('an order of the first version', () => {
  it('runs draft to release with the commands of that version: each change recorded, then its email; no coverage, deadline or search attribute', async () => {
    await withFirstVersionOrder(async (h, m) => {
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'balance', amount: 490_000, reference: 'W2' }] });
      await h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] });
      await h.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
      await h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: buyer }] });
      const final = await h.result();

      expect(final.status).toBe('COMPLETED');
      expect(final.amounts).toEqual({ currency: 'USD', total: 700_000, deposit: 210_000, balance: 490_000, paid: 700_000, held: 0, released: 700_000 });
      expect(final.deadlines).toBeUndefined();
      expect(m.calls.changes.map((c) => c.event.type)).toEqual(['DRAFTED', 'BUYER_CONFIRMED', 'SUPPLIER_CONFIRMED', 'DEPOSIT_PAID', 'BALANCE_PAID', 'SHIPPED', 'DELIVERED', 'RECEIPT_CONFIRMED', 'FUNDS_RELEASED']);
      // Recorded without notices; each change's email is its own activity, keyed by the change.
      expect(m.calls.changes.every((c) => c.notices === undefined)).toBe(true);
      expect(m.calls.notices.map((n) => n.key)).toEqual(m.calls.changes.map((c) => `${h.workflowId}:${c.event.seq}`));
      expect(m.calls.holds.map((x) => [x.id, x.amount])).toEqual([[`${h.workflowId}:payment:deposit`, 210_000], [`${h.workflowId}:payment:balance`, 490_000]]);
      expect(m.calls.releases.map((x) => [x.id, x.amount])).toEqual([[`${h.workflowId}:release`, 700_000]]);
      expect([m.calls.reservations, m.calls.coverageReleases, m.calls.trackingChecks, m.calls.opsNotices]).toEqual([[], [], [], []]);
      // No patch marker, search-attribute upsert or timer: this version issued none.
      const E = temporal.api.enums.v1.EventType;
      const history = (await h.fetchHistory()).events ?? [];
      const issued = (type: number) => history.filter((e) => e.eventType === type).length;
      expect([E.EVENT_TYPE_MARKER_RECORDED, E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, E.EVENT_TYPE_TIMER_STARTED].map(issued)).toEqual([0, 0, 0]);
      expect(issued(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(m.calls.changes.length + m.calls.notices.length + m.calls.holds.length + m.calls.releases.length);
    });
  });

  it('refuses every action of a later version, saying so, and the actions query says the same to every role', async () => {
    await withFirstVersionOrder(async (h, m) => {
      const later = 'this order runs an earlier workflow version without that action';
      expect((await refusal(h.executeUpdate(cancelOrderUpdate, { args: [{ actor: ops, reason: 'duplicate' }] }))).message).toBe(`cannot cancel: ${later}`);
      expect((await refusal(h.executeUpdate(requestChangesUpdate, { args: [{ actor: buyer, message: 'fewer units' }] }))).message).toBe(`cannot request changes: ${later}`);
      expect((await refusal(h.executeUpdate(extendShippingUpdate, { args: [{ actor: supplier, shippingDate: '2027-01-10' }] }))).message).toBe(`cannot extend the shipping date: ${later}`);
      expect((await refusal(h.executeUpdate(openClaimUpdate, { args: [{ actor: buyer, cause: 'QUALITY_MISMATCH', refundAsked: 1_000, description: 'scratched' }] }))).message).toBe(`cannot open a claim: ${later}`);
      const actions = await h.query(availableActionsQuery);
      const cancel = actions.find((a) => a.update === cancelOrderUpdate.name)!;
      expect(cancel.allowed).toEqual([]);
      expect(Object.values(cancel.refused).every((r) => r === `cannot cancel: ${later}`)).toBe(true);
      expect(actions.find((a) => a.update === confirmByBuyerUpdate.name)!.allowed.sort()).toEqual(['buyer', 'ops']);
      // Refused in the validator: nothing recorded, the draft unchanged.
      expect(m.calls.changes.map((c) => c.event.type)).toEqual(['DRAFTED']);
      expect((await h.query(getOrderQuery)).revision).toBe(1);
    });
  });

  it("keeps that version's rules: parties, order of steps and agreed amounts", async () => {
    await withFirstVersionOrder(async (h) => {
      expect((await refusal(h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] }))).message).toBe('cannot confirm as supplier: the buyer has not confirmed the purchase order yet');
      expect((await refusal(h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: supplier }] }))).type).toBe(ACTOR_NOT_ALLOWED);
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      expect((await refusal(h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 1, reference: 'W0' }] }))).message).toBe(
        'deposit must be 2,100.00 USD as agreed on the purchase order, not 0.01 USD',
      );
      expect((await refusal(h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] }))).message).toMatch(/^cannot ship: the order is unpaid/);
      const s = await h.query(getOrderQuery);
      expect([s.status, s.amounts.paid, s.amounts.held]).toEqual(['CONFIRMED', 0, 0]);
    });
  });
});
