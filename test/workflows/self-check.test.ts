/**
 * weeklySelfCheckWorkflow on the time-skipping test server with the real activities against the
 * suite's PostgreSQL and a simulated carrier: shipments in every tracking state, which are flagged
 * with which problem, the proactive cases started (by workflow id and input), no duplicate case on
 * a second check, continue-as-new over many small pages, and a page resumed from its heartbeat.
 * Each test tracks its own carrier name, so other tests' shipments are outside its scope.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { CarrierTracking, SimulatedCarrier, TrackingInfo, TrackingStatus } from '../../adapters/carrier';
import { SandboxCardGateway } from '../../adapters/payments';
import { Db, createDb } from '../../infra/db';
import { CASE_WORKFLOW_TYPE, CaseInput, TRACKING_PROBLEMS, TrackingProblem, caseWorkflowId, proactiveCaseId } from '../../workflows/case.messages';
import { SELF_CHECK_WORKFLOW_TYPE, SelfCheckInput, SelfCheckResult } from '../../workflows/self-check.messages';
import { testDatabaseUrl, uniqueId } from '../support/env';
import { startTimeSkipping } from '../support/time-skipping';

const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let db: Db;

beforeAll(async () => {
  ({ env, bundle } = await startTimeSkipping());
  db = createDb(testDatabaseUrl());
});

afterAll(async () => {
  await env?.teardown();
  await db?.$disconnect();
});

interface Parcel {
  key: string;
  /** What the carrier says; absent: the carrier has never heard of it. */
  status?: TrackingStatus;
  /** Days before now of the latest tracking event (absent: no event). */
  updatedDaysAgo?: number;
  shippedDaysAgo?: number;
  paidDaysAgo?: number;
  source?: 'order' | 'manual';
  /** No order row behind the shipment. */
  orphan?: boolean;
}

interface Fleet {
  carrierName: string;
  shipmentId: (key: string) => string;
  orderId: (key: string) => string;
}

/** Inserts orders (or manual orders) and their shipments, and tells the carrier their states. */
async function createFleet(carrier: SimulatedCarrier, parcels: Parcel[], now: number): Promise<Fleet> {
  const run = uniqueId('sc');
  const carrierName = `SIM-${run}`;
  const orderId = (key: string) => `${run}-${key}`;
  const shipmentId = (key: string) => `${parcels.find((p) => p.key === key)?.source ?? 'order'}:${orderId(key)}`;
  for (const p of parcels) {
    const shippedAt = new Date(now - (p.shippedDaysAgo ?? 10) * DAY);
    const paidAt = new Date(now - (p.paidDaysAgo ?? 12) * DAY);
    const source = p.source ?? 'order';
    if (!p.orphan && source === 'order') {
      await db.order.create({
        data: {
          id: orderId(p.key), status: 'SHIPPED', buyerId: 'buyer-sc', supplierId: 'supplier-sc', currency: 'USD',
          totalAmount: 700_000n, depositAmount: 210_000n, paidAmount: 700_000n, heldAmount: 700_000n, releasedAmount: 0n,
          shippingDate: shippedAt, policyVersion: '2026-11', revision: 7, createdAt: paidAt, updatedAt: shippedAt, paidAt, shippedAt,
        },
      });
    }
    if (!p.orphan && source === 'manual') {
      await db.manualOrder.create({
        data: {
          id: orderId(p.key), status: 'SHIPPED', customerName: 'Ana Lima', customerEmail: 'ana@customer.example', address: { line1: 'Rua 1', country: 'BR' },
          items: [{ sku: 'BT-SPK-200', quantity: 2 }], currency: 'USD', totalAmount: 5_000n, reason: 'order from a marketplace outside the ERP',
          policyVersion: '2026-11', paidAt, shippedAt, createdBy: 'ops-key', createdAt: paidAt, updatedAt: shippedAt,
        },
      });
    }
    await db.shipment.create({
      data: { id: `${source}:${orderId(p.key)}`, source, orderId: orderId(p.key), carrier: carrierName, trackingNumber: `TN-${p.key}`, shippedAt, updatedAt: shippedAt },
    });
    if (p.status) {
      const info: TrackingInfo = { status: p.status, ...(p.updatedDaysAgo !== undefined ? { lastUpdateAt: new Date(now - p.updatedDaysAgo * DAY).toISOString() } : {}) };
      carrier.record(carrierName, `TN-${p.key}`, info);
    }
  }
  return { carrierName, shipmentId, orderId };
}

/** A worker on its own task queue with the real activities; case workflows are started on the same queue. */
async function withWorker<T>(carrier: CarrierTracking, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueId('self-check');
  const activities = createActivities({
    db,
    carrier,
    opsAddresses: { ops: 'ops@tradeguard.test', opsLeads: 'ops-leads@tradeguard.test' },
    payments: new SandboxCardGateway(),
    temporal: { client: env.client, taskQueue },
  });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(fn(taskQueue));
}

async function runCheck(taskQueue: string, input: SelfCheckInput): Promise<{ result: SelfCheckResult; workflowId: string; firstRunId: string }> {
  const workflowId = uniqueId('self-check-run');
  const handle = await env.client.workflow.start(SELF_CHECK_WORKFLOW_TYPE, { taskQueue, workflowId, args: [input] });
  // Polled rather than awaited with result(): waiting on a result lets the test server skip ahead to
  // the next timer, and the proactive cases this run opens have timers of their own.
  for (let i = 0; i < 1200; i++) {
    const { status } = await env.client.workflow.getHandle(workflowId).describe();
    if (status.name !== 'RUNNING' && status.name !== 'CONTINUED_AS_NEW') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { result: (await handle.result()) as SelfCheckResult, workflowId, firstRunId: handle.firstExecutionRunId };
}

/** The input a case workflow was started with, or undefined when no such case was started. */
async function startedCase(shipmentId: string, problem: TrackingProblem): Promise<{ type: string; input: CaseInput } | undefined> {
  const handle = env.client.workflow.getHandle(caseWorkflowId(proactiveCaseId(shipmentId, problem)));
  try {
    const desc = await handle.describe();
    const history = await handle.fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return { type: desc.type, input: defaultPayloadConverter.fromPayload<CaseInput>(payload!) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

const FLEET: Parcel[] = [
  { key: 'pending', status: 'Pending', updatedDaysAgo: 2 },
  { key: 'info', status: 'InfoReceived', updatedDaysAgo: 1 },
  { key: 'transit', status: 'InTransit', updatedDaysAgo: 3 },
  { key: 'out', status: 'OutForDelivery', updatedDaysAgo: 0.5 },
  { key: 'attempt', status: 'AttemptFail', updatedDaysAgo: 2 },
  { key: 'pickup', status: 'AvailableForPickup', updatedDaysAgo: 1 },
  { key: 'delivered', status: 'Delivered', updatedDaysAgo: 1 },
  // Well short of 15 days: the cases a check opens keep timers, so the test server's clock may move by up to a
  // day between the two checks. The exact 15-day edge is in test/unit/self-check-policy.test.ts.
  { key: 'almost-stale', status: 'InTransit', updatedDaysAgo: 13, shippedDaysAgo: 20 },
  { key: 'exception', status: 'Exception', updatedDaysAgo: 1 },
  { key: 'expired', status: 'Expired', updatedDaysAgo: 31, shippedDaysAgo: 40, paidDaysAgo: 41 },
  { key: 'not-found' },
  { key: 'stale', status: 'InTransit', updatedDaysAgo: 16, shippedDaysAgo: 25, paidDaysAgo: 27 },
  { key: 'no-event', status: 'Pending', shippedDaysAgo: 20, paidDaysAgo: 21 },
  { key: 'manual', status: 'Exception', updatedDaysAgo: 2, source: 'manual' },
  // Paid 70 days ago: flagged, but the 60-day tracking after-service window has closed.
  { key: 'too-old', shippedDaysAgo: 65, paidDaysAgo: 70 },
  // A shipment whose order row is missing from the read model.
  { key: 'orphan', status: 'Exception', updatedDaysAgo: 1, orphan: true },
];

const OPENED: [string, TrackingProblem][] = [
  ['exception', 'EXCEPTION'],
  ['expired', 'EXPIRED'],
  ['not-found', 'NOT_FOUND'],
  ['stale', 'STALE'],
  ['no-event', 'STALE'],
  ['manual', 'EXCEPTION'],
];

describe('weekly self-check over simulated shipments in every state', () => {
  it('flags Not found, Exception, Expired and no update for over 15 days, opens one case each, once', async () => {
    const carrier = new SimulatedCarrier();
    const now = await env.currentTimeMs();
    const fleet = await createFleet(carrier, FLEET, now);
    await withWorker(carrier, async (taskQueue) => {
      const { result } = await runCheck(taskQueue, { carriers: [fleet.carrierName], reportWeekStart: '2001-01-08' });
      const checkedAt = result.totals.checkedAt;
      expect(result.totals).toEqual({
        checkedAt,
        checked: 16,
        delivered: 1,
        flagged: { NOT_FOUND: 2, EXCEPTION: 3, EXPIRED: 1, STALE: 2 },
        casesOpened: 6,
        casesAlreadyOpen: 0,
        outsideWindow: 1,
        orderMissing: 1,
      });
      expect(result.runs).toBe(1);

      // What the carrier said is on every row; the delivered parcel is out of flight.
      const rows = await db.shipment.findMany({ where: { carrier: fleet.carrierName }, orderBy: { id: 'asc' } });
      const byKey = Object.fromEntries(rows.map((r) => [r.trackingNumber.slice(3), r]));
      for (const p of FLEET) {
        expect([p.key, byKey[p.key].lastStatus, byKey[p.key].lastCheckedAt?.toISOString()]).toEqual([p.key, p.status ?? 'NotFound', checkedAt]);
        expect([p.key, byKey[p.key].inFlight]).toEqual([p.key, p.key !== 'delivered']);
      }
      expect(byKey.delivered.deliveredAt?.toISOString()).toBe(new Date(now - DAY).toISOString());
      expect(byKey.stale.lastEventAt?.toISOString()).toBe(new Date(now - 16 * DAY).toISOString());

      // One case workflow per flagged shipment and problem, with the order behind it.
      for (const [key, problem] of OPENED) {
        const started = await startedCase(fleet.shipmentId(key), problem);
        expect([key, started?.type]).toEqual([key, CASE_WORKFLOW_TYPE]);
        const input = started!.input;
        expect(input).toMatchObject({
          caseId: proactiveCaseId(fleet.shipmentId(key), problem),
          type: 'TRACKING',
          openedBy: { role: 'system' },
          policyVersion: '2026-11',
          facts: { recallable: false },
          proactive: { shipmentId: fleet.shipmentId(key), problem, detectedAt: checkedAt, carrierStatus: FLEET.find((p) => p.key === key)!.status ?? 'NotFound' },
        });
        expect(input.description).toContain(`Parcel TN-${key} with ${fleet.carrierName}`);
      }
      const stale = (await startedCase(fleet.shipmentId('stale'), 'STALE'))!.input;
      expect(stale.order).toEqual({ source: 'order', orderId: fleet.orderId('stale'), buyerId: 'buyer-sc', supplierId: 'supplier-sc', currency: 'USD', paidAmount: 700_000 });
      expect(stale.facts).toEqual({ paidAt: new Date(now - 27 * DAY).toISOString(), shippedAt: new Date(now - 25 * DAY).toISOString(), recallable: false });
      expect(stale.proactive?.lastEventAt).toBe(new Date(now - 16 * DAY).toISOString());
      expect(stale.description).toContain('the tracking has not moved for over 15 days');
      const manual = (await startedCase(fleet.shipmentId('manual'), 'EXCEPTION'))!.input;
      expect(manual.order).toEqual({ source: 'manual', orderId: fleet.orderId('manual'), customerEmail: 'ana@customer.example', currency: 'USD', paidAmount: 5_000 });
      expect((await startedCase(fleet.shipmentId('no-event'), 'STALE'))!.input.description).toContain('no tracking event since the shipment (20 days before the check)');

      // Nothing for the healthy parcels, nor for the ones past the window or without an order.
      const quiet = FLEET.filter((p) => !OPENED.some(([k]) => k === p.key)).map((p) => p.key);
      expect(quiet).toEqual(['pending', 'info', 'transit', 'out', 'attempt', 'pickup', 'delivered', 'almost-stale', 'too-old', 'orphan']);
      for (const key of quiet) {
        for (const problem of TRACKING_PROBLEMS) expect([key, problem, await startedCase(fleet.shipmentId(key), problem)]).toEqual([key, problem, undefined]);
      }

      // The report for the requested week was stored, and its email to ops put in this deployment's outbox once.
      expect(result.report?.weekStart).toBe('2001-01-08');
      const stored = await db.afterServiceReport.findUnique({ where: { weekStart: new Date('2001-01-08T00:00:00Z') } });
      expect((stored?.figures as { selfCheck?: unknown }).selfCheck).toEqual(result.totals);
      const mail = await db.emailOutbox.findUnique({ where: { key: 'report:2001-01-08:ops' } });
      expect(mail).toMatchObject({ to: 'ops@tradeguard.test', queue: taskQueue, status: 'pending' });
      expect(mail?.text).toContain('Tracking cases opened: 6 new, 0 already open, 1 outside the window, 1 without an order.');

      // A second weekly check: the same problems, no second case for any of them.
      const second = await runCheck(taskQueue, { carriers: [fleet.carrierName], report: false });
      expect(second.result.totals).toMatchObject({
        checked: 15,
        delivered: 0,
        flagged: { NOT_FOUND: 2, EXCEPTION: 3, EXPIRED: 1, STALE: 2 },
        casesOpened: 0,
        casesAlreadyOpen: 6,
        outsideWindow: 1,
        orderMissing: 1,
      });
      expect(second.result.report).toBeUndefined();
    });
  });

  it('continues as new after a bounded number of pages, carrying the cursor and the totals', async () => {
    const carrier = new SimulatedCarrier();
    const now = await env.currentTimeMs();
    // 11 shipments: every third one's tracking has expired.
    const parcels: Parcel[] = Array.from({ length: 11 }, (_, i) => ({ key: `p${String(i).padStart(2, '0')}`, status: i % 3 === 0 ? 'Expired' : 'InTransit', updatedDaysAgo: 1 }));
    const fleet = await createFleet(carrier, parcels, now);
    await withWorker(carrier, async (taskQueue) => {
      const { result, workflowId, firstRunId } = await runCheck(taskQueue, { carriers: [fleet.carrierName], pageSize: 2, pagesPerRun: 2, report: false });
      // Pages of 2: 2+2 | 2+2 | 2+1 → six pages in three runs.
      expect({ runs: result.runs, pages: result.pages, checked: result.totals.checked, expired: result.totals.flagged.EXPIRED, opened: result.totals.casesOpened }).toEqual({
        runs: 3,
        pages: 6,
        checked: 11,
        expired: 4,
        opened: 4,
      });
      expect((await env.client.workflow.getHandle(workflowId, firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
      for (const key of ['p00', 'p03', 'p06', 'p09']) expect([key, (await startedCase(fleet.shipmentId(key), 'EXPIRED'))?.type]).toEqual([key, CASE_WORKFLOW_TYPE]);
      const checked = await db.shipment.count({ where: { carrier: fleet.carrierName, lastCheckedAt: new Date(result.totals.checkedAt) } });
      expect(checked).toBe(11);
    });
  });

  it('resumes a page from its last heartbeat when the carrier fails in the middle of it', async () => {
    const simulated = new SimulatedCarrier();
    const asked: string[] = [];
    let failed = false;
    /** The carrier fails once, on the fourth parcel. */
    const flaky: CarrierTracking = {
      async track(name, trackingNumber) {
        asked.push(trackingNumber);
        if (trackingNumber === 'TN-p3' && !failed) {
          failed = true;
          throw new Error('carrier timed out');
        }
        return simulated.track(name, trackingNumber);
      },
    };
    const now = await env.currentTimeMs();
    const parcels: Parcel[] = Array.from({ length: 6 }, (_, i) => ({ key: `p${i}`, status: i === 1 || i === 4 ? 'Exception' : 'InTransit', updatedDaysAgo: 1 }));
    const fleet = await createFleet(simulated, parcels, now);
    await withWorker(flaky, async (taskQueue) => {
      const { result } = await runCheck(taskQueue, { carriers: [fleet.carrierName], report: false });
      expect(failed).toBe(true);
      // p0–p2 were checked once: the retry started after the last heartbeat, at p3.
      expect(asked).toEqual(['TN-p0', 'TN-p1', 'TN-p2', 'TN-p3', 'TN-p3', 'TN-p4', 'TN-p5']);
      expect(result.totals).toMatchObject({ checked: 6, flagged: { EXCEPTION: 2, NOT_FOUND: 0, EXPIRED: 0, STALE: 0 }, casesOpened: 2 });
    });
  });
});
