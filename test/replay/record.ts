/**
 * `npm run record-fixture`: runs each recorded order path on a Temporal dev server with in-memory
 * activities and writes its event history (as `temporal workflow show --output json` prints it)
 * under test/replay/fixtures/. Run it when a
 * workflow version is released; the replay test then keeps every committed history replaying.
 * Existing fixtures are never overwritten: a fixture is the record of a released version. The sample
 * inputs carry each process's current code revision; fixtures older than a revision were recorded
 * without it (their histories say which).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Client, Connection, WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { ensureTemporalCli } from '../../infra/temporal-binaries';
import { freePort, startTemporalDevServer } from '../../infra/temporal-dev-server';
import { workflowsPath } from '../../worker/worker';
import { SEARCH_ATTRIBUTES } from '../../workflows/common';
import {
  ORDER_WORKFLOW_TYPE,
  acceptCounterOfferUpdate,
  addEvidenceUpdate,
  cancelOrderUpdate,
  extendReceivingUpdate,
  openClaimUpdate,
  respondToClaimUpdate,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  extendShippingUpdate,
  markDeliveredUpdate,
  getOrderQuery,
  linkMonitoringSignal,
  orderWorkflowId,
  payUpdate,
  requestChangesUpdate,
  reviseDraftUpdate,
  shipUpdate,
  withdrawClaimUpdate,
} from '../../workflows/order.messages';
import { CURRENT_ORDER_POLICY_VERSION } from '../../workflows/order.policy';
import { PO_REQUEST_WORKFLOW_TYPE, draftOrderFromRequestUpdate, poRequestWorkflowId } from '../../workflows/po-request.messages';
import { CURRENT_PURCHASE_REQUEST_POLICY_VERSION } from '../../workflows/po-request.policy';
import { getCalendar, localDate } from '../../workflows/calendar';
import {
  MONITORING_WORKFLOW_TYPE,
  assignInspectorUpdate,
  cancelMonitoringUpdate,
  getMonitoringQuery,
  monitoringWorkflowId,
  payMonitoringUpdate,
  recordCheckUpdate,
  requestReinspectionUpdate,
  uploadReportUpdate,
} from '../../workflows/monitoring.messages';
import { createMockActivities } from '../support/mock-activities';
import { sampleMonitoringInput, sampleProforma, visaPayment } from '../support/monitoring-fixtures';
import { buyer, ops, sampleOrderInput, supplier } from '../support/order-fixtures';
import { sampleCaseInput } from '../support/case-fixtures';
import { CASE_WORKFLOW_TYPE, caseWorkflowId, confirmCaseUpdate, replyToCaseUpdate, resolveCaseUpdate } from '../../workflows/case.messages';
import { SELF_CHECK_WORKFLOW_TYPE } from '../../workflows/self-check.messages';

type Handle = WorkflowHandle;

/** The order paths recorded for each released workflow version. */
const paths: Record<string, { deposit: number; codeRevision?: number; drive(h: Handle): Promise<void> }> = {
  'order-v1-happy-path': {
    deposit: 210_000,
    async drive(h) {
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'balance', amount: 490_000, reference: 'W2' }] });
      await h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] });
      await h.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
      await h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: buyer }] });
    },
  },
  'order-v2-happy-path': {
    deposit: 210_000,
    async drive(h) {
      await paths['order-v1-happy-path'].drive(h);
    },
  },
  'order-v2-claim-counter-offer-settled': {
    deposit: 210_000,
    async drive(h) {
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'balance', amount: 490_000, reference: 'W2' }] });
      await h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] });
      await h.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
      await h.executeUpdate(extendReceivingUpdate, { args: [{ actor: buyer, days: 10 }] });
      await h.executeUpdate(openClaimUpdate, { args: [{ actor: buyer, cause: 'QUALITY_MISMATCH', refundAsked: 150_000, description: 'colour' }] });
      const file = { fileId: 'ab'.repeat(32), name: 'carton.png', contentType: 'image/png', size: 10, sha256: 'ab'.repeat(32) };
      await h.executeUpdate(addEvidenceUpdate, { args: [{ actor: buyer, claimId: 'C1', file }] });
      await h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C1', kind: 'counter', counterAmount: 50_000, message: 'a third' }] });
      await h.executeUpdate(acceptCounterOfferUpdate, { args: [{ actor: buyer, claimId: 'C1' }] });
    },
  },
  'order-v4-notices-happy-path': {
    deposit: 210_000,
    async drive(h) {
      await paths['order-v1-happy-path'].drive(h);
    },
  },
  'order-v4-notices-claim-counter-offer-settled': {
    deposit: 210_000,
    async drive(h) {
      await paths['order-v2-claim-counter-offer-settled'].drive(h);
    },
  },
  'order-v5-escrow-happy-path': {
    deposit: 210_000,
    async drive(h) {
      await paths['order-v1-happy-path'].drive(h);
    },
  },
  // Two claims: the first refunded while the second is open (funds stay held), the second withdrawn,
  // then the order settles and releases the rest; evidence on the way, and a refusal under the lock.
  'order-v5-escrow-two-claims-settled': {
    deposit: 210_000,
    async drive(h) {
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'balance', amount: 490_000, reference: 'W2' }] });
      await h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] });
      await h.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
      await h.executeUpdate(openClaimUpdate, { args: [{ actor: buyer, cause: 'QUALITY_MISMATCH', refundAsked: 100_000, description: 'colour differs' }] });
      await h.executeUpdate(openClaimUpdate, { args: [{ actor: buyer, cause: 'NOT_AS_DESCRIBED', refundAsked: 650_000, description: 'wrong model' }] });
      const file = { fileId: 'f1', name: 'cartons.jpg', contentType: 'image/jpeg', size: 1234, sha256: 'ab'.repeat(32) };
      await h.executeUpdate(addEvidenceUpdate, { args: [{ actor: buyer, claimId: 'C1', file }] });
      await Promise.allSettled([
        h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C1', kind: 'accept', message: 'agreed' }] }),
        h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C2', kind: 'accept', message: 'agreed' }] }),
      ]);
      await h.executeUpdate(withdrawClaimUpdate, { args: [{ actor: buyer, claimId: 'C2' }] }).catch(() => undefined);
    },
  },
  // Drafting changes and a refund's payout: the buyer asks for changes, the supplier revises the draft
  // (new deposit), both confirm; a claim before shipment is accepted in part, its refund paid out
  // through the payment adapter (patch order-refund-payout); then shipment and receipt.
  'order-v6-revised-draft-refund-payout': {
    deposit: 210_000,
    async drive(h) {
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await h.executeUpdate(requestChangesUpdate, { args: [{ actor: buyer, message: '400 units, please' }] });
      const { terms } = await h.query(getOrderQuery);
      const revised = { ...terms, items: terms.items.map((i) => ({ ...i, quantity: 400 })), depositAmount: 168_000 };
      await h.executeUpdate(reviseDraftUpdate, { args: [{ actor: supplier, terms: revised, message: '400 units as asked' }] });
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 168_000, reference: 'W1' }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'balance', amount: 392_000, reference: 'W2' }] });
      await h.executeUpdate(openClaimUpdate, { args: [{ actor: buyer, cause: 'QUALITY_MISMATCH', refundAsked: 20_000, description: 'two cartons short' }] });
      await h.executeUpdate(respondToClaimUpdate, { args: [{ actor: supplier, claimId: 'C1', kind: 'accept', message: 'agreed' }] });
      for (let i = 0; i < 100 && (await h.query(getOrderQuery)).refundPayments?.[0]?.status !== 'PAID'; i++) await new Promise((r) => setTimeout(r, 100));
      await h.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD0146' }] });
      await h.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
      await h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: buyer }] });
    },
  },
  'order-v7-code-revision-claim-refund': {
    deposit: 210_000,
    // Recorded on code revision 6 (ORDER_CODE_REVISION then).
    codeRevision: 6,
    async drive(h) {
      await paths['order-v6-revised-draft-refund-payout'].drive(h);
    },
  },
  // Code revision 8 (its expired draft tells its tasks; the rest as revision 7).
  'order-v9-code-revision-8-claim-refund': {
    deposit: 210_000,
    codeRevision: 8,
    async drive(h) {
      await paths['order-v6-revised-draft-refund-payout'].drive(h);
    },
  },
  'order-v2-cancelled-in-window': {
    deposit: 210_000,
    async drive(h) {
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: 210_000, reference: 'W1' }] });
      await h.executeUpdate(cancelOrderUpdate, { args: [{ actor: buyer, reason: 'ordered the wrong model' }] });
    },
  },
  'order-v1-full-deposit-by-ops': {
    deposit: 700_000,
    async drive(h) {
      await h.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: ops }] });
      await h.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: ops }] });
      await h.executeUpdate(payUpdate, { args: [{ actor: ops, kind: 'deposit', amount: 700_000, reference: 'W1' }] });
      await h.executeUpdate(shipUpdate, { args: [{ actor: ops, carrier: 'SF Express', trackingNumber: 'SF1234' }] });
      await h.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
      await h.executeUpdate(confirmReceiptUpdate, { args: [{ actor: ops }] });
    },
  },
};

/** The monitoring paths recorded for each released version of productionMonitoringWorkflow. */
const monitoringPaths: Record<string, { drive(h: Handle): Promise<void> }> = {
  'monitoring-v1-fail-reinspection': {
    async drive(h) {
      const checkDate = localDate(getCalendar('CN'), Date.now());
      await h.executeUpdate(payMonitoringUpdate, { args: [{ actor: buyer, payment: visaPayment() }] });
      await h.executeUpdate(assignInspectorUpdate, { args: [{ actor: ops, inspector: 'Li Wei', checkDate }] });
      await h.executeUpdate(recordCheckUpdate, {
        args: [{ actor: ops, observed: sampleProforma, lotSize: 500, sampleInspected: 50, defects: { critical: 0, major: 4, minor: 0 } }],
      });
      const file = { fileId: 'cd'.repeat(32), name: 'report.pdf', contentType: 'application/pdf', size: 2048, sha256: 'cd'.repeat(32) };
      await h.executeUpdate(uploadReportUpdate, { args: [{ actor: ops, file }] });
      await h.executeUpdate(requestReinspectionUpdate, { args: [{ actor: buyer }] });
    },
  },
  // The workflow charges the card's token (a second card waits for it and is refused), then a cancel refunds by policy.
  'monitoring-v4-card-charged-cancelled': {
    async drive(h) {
      const card = { token: 'pm_fixture_visa', brand: 'visa', last4: '4242' };
      await h.executeUpdate(payMonitoringUpdate, { args: [{ actor: buyer, card }] });
      await h.executeUpdate(payMonitoringUpdate, { args: [{ actor: buyer, card: { token: 'pm_fixture_mc', brand: 'mastercard', last4: '4444' } }] }).catch(() => undefined);
      await h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'the supplier inspects itself' }] });
    },
  },
};

/**
 * An order and a monitoring task linked to it, recorded together: the task links itself, the order
 * extends its shipping date and tells the task, the task moves its cutoff and is paid.
 */
const linkedPaths: Record<string, { order: string; monitoring: string; codeRevision?: number; cancelOrder?: boolean }> = {
  'linked-shipping-extension': { order: 'order-v3-linked-monitoring', monitoring: 'monitoring-v2-linked-order' },
  'linked-shipping-extension-notices': { order: 'order-v4-notices-linked-monitoring', monitoring: 'monitoring-v3-notices-linked-order' },
  // The paid task closes with its cancelled order (code revision 7: the order tells its tasks).
  'linked-order-cancelled': {
    order: 'order-v8-code-revision-7-cancelled-with-monitoring',
    monitoring: 'monitoring-v5-closed-with-order',
    codeRevision: 7,
    cancelOrder: true,
  },
  // Order code revision 8 and monitoring code revision 1 (sampleMonitoringInput's): the task asks no patches.
  'linked-local-effects': {
    order: 'order-v10-code-revision-8-linked-monitoring',
    monitoring: 'monitoring-v6-code-revision-1-linked-order',
    codeRevision: 8,
  },
};

/** A quality case on an order paid 10 days ago, shipped 8 days ago and delivered 2 days ago. */
function qualityCase(caseId: string) {
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  return sampleCaseInput(caseId, 'QUALITY', { paidAt: daysAgo(10), shippedAt: daysAgo(8), deliveredAt: daysAgo(2), recallable: false });
}

/** Case and self-check paths: each starts its workflow with `start` and drives it with `drive`. */
const otherPaths: Record<string, { type: string; workflowId: string; args: unknown[]; drive(h: Handle): Promise<void> }> = {
  'case-v1-quality-partial-refund': {
    type: CASE_WORKFLOW_TYPE,
    workflowId: caseWorkflowId('fixture-case-v1'),
    args: [qualityCase('fixture-case-v1')],
    async drive(h) {
      await h.executeUpdate(replyToCaseUpdate, { args: [{ actor: supplier, message: 'Please send photos.' }] });
      await h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'PARTIAL_REFUND', amount: 4_200, reason: 'three units cracked' }] });
      await h.executeUpdate(confirmCaseUpdate, { args: [{ actor: buyer, satisfied: true }] });
    },
  },
  'case-v2-notices-quality-partial-refund': {
    type: CASE_WORKFLOW_TYPE,
    workflowId: caseWorkflowId('fixture-case-v2-notices'),
    args: [qualityCase('fixture-case-v2-notices')],
    async drive(h) {
      await otherPaths['case-v1-quality-partial-refund'].drive(h);
    },
  },
  // Case code revision 1 (sampleCaseInput's): no patch markers.
  'case-v3-code-revision-1-quality-partial-refund': {
    type: CASE_WORKFLOW_TYPE,
    workflowId: caseWorkflowId('fixture-case-v3-code-revision-1'),
    args: [qualityCase('fixture-case-v3-code-revision-1')],
    async drive(h) {
      await otherPaths['case-v1-quality-partial-refund'].drive(h);
    },
  },
  // The buyer's request, drafted by its supplier: the order starts as a child that outlives it.
  'po-request-v1-drafted': {
    type: PO_REQUEST_WORKFLOW_TYPE,
    workflowId: poRequestWorkflowId('fixture-po-request-v1'),
    args: [
      {
        requestId: 'fixture-po-request-v1',
        buyerId: 'buyer-1',
        supplierId: 'supplier-1',
        items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500 }],
        desiredShippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
        message: 'please draft the purchase order',
        policyVersion: CURRENT_PURCHASE_REQUEST_POLICY_VERSION,
        createdBy: buyer,
      },
    ],
    async drive(h) {
      const { terms } = sampleOrderInput('fixture-po-request-v1-order', { shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10) });
      await h.executeUpdate(draftOrderFromRequestUpdate, {
        args: [{ actor: supplier, orderId: 'fixture-po-request-v1-order', buyerId: 'buyer-1', terms, orderPolicyVersion: CURRENT_ORDER_POLICY_VERSION }],
      });
    },
  },
  'self-check-v1-two-pages': {
    type: SELF_CHECK_WORKFLOW_TYPE,
    workflowId: 'fixture-self-check-v1',
    args: [{ pageSize: 2, pagesPerRun: 5, reportWeekStart: '2026-11-09' }],
    async drive() {
      // The check runs by itself: two pages (one flagged shipment), the proactive case, the report.
    },
  },
};

export const fixturesDir = path.join(__dirname, 'fixtures');

/**
 * Waits until the order has finished, or has no activity in flight (an order waiting on its
 * windows is recorded as it stands: an open history replays just as well).
 */
async function settled(handle: Handle): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') return;
    if ((d.raw.pendingActivities ?? []).length === 0 && i > 2) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${handle.workflowId} did not settle`);
}

/** In-memory activities; the self-check sees three shipments on two pages, one of them flagged. */
function recorderActivities(client: Client) {
  const { activities } = createMockActivities();
  const flagged = {
    shipmentId: 'order:PO-1', source: 'order' as const, orderId: 'PO-1', carrier: 'DHL', trackingNumber: 'JD0146',
    shippedAt: new Date(Date.now() - 20 * 86_400_000).toISOString(), problem: 'STALE' as const, carrierStatus: 'InTransit' as const,
  };
  return {
    ...activities,
    // A monitoring task links itself to its order for real: the linked pair is recorded together.
    // As the real activity does, a task whose order does not exist (a monitoring path recorded alone) is not linked.
    async linkMonitoringToOrder(link: { orderId: string; monitoringId: string; shipmentDate: string }) {
      try {
        await client.workflow.getHandle(orderWorkflowId(link.orderId)).signal(linkMonitoringSignal, { monitoringId: link.monitoringId, shipmentDate: link.shipmentDate });
        return { linked: true };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { linked: false };
        throw err;
      }
    },
    async checkShipmentsPage({ afterId }: { afterId?: string }) {
      if (!afterId) return { checked: 2, delivered: 0, flagged: [flagged], nextCursor: 'order:PO-2' };
      return { checked: 1, delivered: 1, flagged: [] };
    },
    async openProactiveCases() {
      return { opened: [flagged.shipmentId], alreadyOpen: [], outsideWindow: [], orderMissing: [] };
    },
  } as typeof activities;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cli = ensureTemporalCli();
  const server = await startTemporalDevServer({ cliPath: cli, port: await freePort(), headless: true, searchAttributes: SEARCH_ATTRIBUTES });
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue: 'record-fixtures',
      workflowsPath: workflowsPath(),
      activities: recorderActivities(client),
    });
    await worker.runUntil(async () => {
      for (const [name, p] of Object.entries(paths)) {
        const file = path.join(fixturesDir, `${name}.json`);
        if (fs.existsSync(file)) {
          console.log(`kept ${path.relative(process.cwd(), file)} (released fixtures are not re-recorded)`);
          continue;
        }
        const shippingDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
        const input = { ...sampleOrderInput(`fixture-${name}`, { depositAmount: p.deposit, shippingDate }), ...(p.codeRevision ? { codeRevision: p.codeRevision } : {}) };
        const handle = await client.workflow.start(ORDER_WORKFLOW_TYPE, {
          taskQueue: 'record-fixtures',
          workflowId: orderWorkflowId(input.orderId),
          args: [input],
        });
        await p.drive(handle);
        await settled(handle);
        const json = execFileSync(cli, ['workflow', 'show', '--workflow-id', handle.workflowId, '--output', 'json', '--address', server.address]);
        fs.mkdirSync(fixturesDir, { recursive: true });
        fs.writeFileSync(file, json);
        console.log(`recorded ${path.relative(process.cwd(), file)}`);
      }
      for (const [name, p] of Object.entries(monitoringPaths)) {
        const file = path.join(fixturesDir, `${name}.json`);
        if (fs.existsSync(file)) {
          console.log(`kept ${path.relative(process.cwd(), file)} (released fixtures are not re-recorded)`);
          continue;
        }
        const shipmentDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
        const input = sampleMonitoringInput(`fixture-${name}`, shipmentDate);
        const handle = await client.workflow.start(MONITORING_WORKFLOW_TYPE, {
          taskQueue: 'record-fixtures',
          workflowId: monitoringWorkflowId(input.monitoringId),
          args: [input],
        });
        await p.drive(handle);
        await settled(handle);
        const json = execFileSync(cli, ['workflow', 'show', '--workflow-id', handle.workflowId, '--output', 'json', '--address', server.address]);
        fs.writeFileSync(file, json);
        console.log(`recorded ${path.relative(process.cwd(), file)}`);
      }
      for (const [name, p] of Object.entries(otherPaths)) {
        const file = path.join(fixturesDir, `${name}.json`);
        if (fs.existsSync(file)) {
          console.log(`kept ${path.relative(process.cwd(), file)} (released fixtures are not re-recorded)`);
          continue;
        }
        const handle = await client.workflow.start(p.type, { taskQueue: 'record-fixtures', workflowId: p.workflowId, args: p.args });
        await p.drive(handle);
        await settled(handle);
        const json = execFileSync(cli, ['workflow', 'show', '--workflow-id', handle.workflowId, '--output', 'json', '--address', server.address]);
        fs.writeFileSync(file, json);
        console.log(`recorded ${path.relative(process.cwd(), file)}`);
      }
      for (const [name, files] of Object.entries(linkedPaths)) {
        const orderFile = path.join(fixturesDir, `${files.order}.json`);
        const monitoringFile = path.join(fixturesDir, `${files.monitoring}.json`);
        if (fs.existsSync(orderFile) && fs.existsSync(monitoringFile)) {
          console.log(`kept ${files.order} and ${files.monitoring} (released fixtures are not re-recorded)`);
          continue;
        }
        const shippingDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
        const later = new Date(Date.parse(`${shippingDate}T00:00:00Z`) + 14 * 86_400_000).toISOString().slice(0, 10);
        const order = { ...sampleOrderInput(`fixture-${name}`, { shippingDate }), ...(files.codeRevision ? { codeRevision: files.codeRevision } : {}) };
        const task = sampleMonitoringInput(`fixture-${name}`, shippingDate, { orderId: order.orderId });
        const o = await client.workflow.start(ORDER_WORKFLOW_TYPE, { taskQueue: 'record-fixtures', workflowId: orderWorkflowId(order.orderId), args: [order] });
        await o.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
        await o.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
        const m = await client.workflow.start(MONITORING_WORKFLOW_TYPE, { taskQueue: 'record-fixtures', workflowId: monitoringWorkflowId(task.monitoringId), args: [task] });
        for (let i = 0; i < 100 && !((await o.query(getOrderQuery)).monitoringIds ?? []).includes(task.monitoringId); i++) await new Promise((r) => setTimeout(r, 100));
        await o.executeUpdate(extendShippingUpdate, { args: [{ actor: buyer, shippingDate: later }] });
        for (let i = 0; i < 100 && (await m.query(getMonitoringQuery)).shipmentDate !== later; i++) await new Promise((r) => setTimeout(r, 100));
        await m.executeUpdate(payMonitoringUpdate, { args: [{ actor: buyer, payment: visaPayment() }] });
        if (files.cancelOrder) {
          await o.executeUpdate(cancelOrderUpdate, { args: [{ actor: buyer, reason: 'ordered the wrong model' }] });
          for (let i = 0; i < 100 && (await m.query(getMonitoringQuery)).status !== 'CANCELLED'; i++) await new Promise((r) => setTimeout(r, 100));
        }
        await settled(o);
        await settled(m);
        for (const [h, file] of [[o, orderFile], [m, monitoringFile]] as const) {
          const json = execFileSync(cli, ['workflow', 'show', '--workflow-id', h.workflowId, '--output', 'json', '--address', server.address]);
          fs.writeFileSync(file, json);
          console.log(`recorded ${path.relative(process.cwd(), file)}`);
        }
      }
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err);
    process.exit(1);
  });
}
