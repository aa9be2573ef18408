/**
 * End to end: the weekly self-check and the after-service report through the API on the real stack
 * (dev server, worker, PostgreSQL, SMTP). Orders are shipped through the API with a carrier of this
 * test's own; ops drive the simulated carrier into Exception, Delivered and an old InTransit; the
 * schedule (created as at startup, scoped to this test's carrier) is triggered through the API; the
 * proactive cases are started, the week's report is stored, served and emailed to ops, and a second
 * run opens no case twice. Until the case workflow is deployed the started cases do not progress:
 * the test asserts they were started, with what.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/client';
import { HttpTrackingProvider } from '../../adapters/carrier-http';
import { LocalFileStorage } from '../../adapters/storage';
import { createApp } from '../../api/app';
import { ensureSelfCheckSchedule } from '../../infra/schedules';
import { CASE_WORKFLOW_TYPE, TrackingProblem, caseWorkflowId, proactiveCaseId } from '../../workflows/case.messages';
import { SELF_CHECK_WORKFLOW_TYPE, SelfCheckResult, selfCheckScheduleId } from '../../workflows/self-check.messages';
import { reportWeekFor } from '../../workflows/self-check.policy';
import { uniqueId } from '../support/env';
import { apiClient, eventually, expectError, startTestStack, TestStack } from '../support/stack';

const DAY = 86_400_000;
let stack: TestStack;
let call: ReturnType<typeof apiClient>;
let supportKey: string;
const CARRIER = `SIM ${uniqueId('Express')}`;
const carrierPath = encodeURIComponent(CARRIER);

beforeAll(async () => {
  stack = await startTestStack();
  call = apiClient(stack.apiUrl);
  supportKey = (await call(stack.opsKey, 'POST', '/api-keys', { name: 'support', role: 'support' })).body.apiKey.key;
});

afterAll(async () => {
  await stack?.client.schedule.getHandle(selfCheckScheduleId(stack.taskQueue)).delete().catch(() => undefined);
  await stack?.stop();
});

interface Shipped {
  orderId: string;
  trackingNumber: string;
  shipmentId: string;
}

async function shipOrder(trackingNumber: string): Promise<Shipped> {
  const buyerId = uniqueId('buyer');
  const supplierId = uniqueId('supplier');
  expect((await call(stack.opsKey, 'POST', '/parties', { id: buyerId, kind: 'buyer', name: 'Buyer Ltd', email: `${buyerId}@buyer.example` })).status).toBe(201);
  expect((await call(stack.opsKey, 'POST', '/parties', { id: supplierId, kind: 'supplier', name: 'Supplier Co', email: `${supplierId}@supplier.example` })).status).toBe(201);
  expect((await call(stack.opsKey, 'PUT', `/suppliers/${supplierId}/assurance`, { qualification: 'gold', currency: 'USD' })).status).toBe(200);
  const draft = await call(stack.opsKey, 'POST', '/orders', {
    buyerId,
    supplierId,
    currency: 'USD',
    items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 100, unitPrice: 1000 }],
    depositAmount: 30_000,
    shippingDate: new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10),
  });
  expect(draft.status).toBe(201);
  const orderId: string = draft.body.orderId;
  const act = (action: string, body: unknown = {}) => call(stack.opsKey, 'POST', `/orders/${orderId}/${action}`, body);
  expect((await act('confirm-by-buyer')).status).toBe(200);
  expect((await act('confirm-by-supplier')).status).toBe(200);
  expect((await act('pay', { kind: 'deposit', amount: 30_000, reference: 'W1' })).status).toBe(200);
  expect((await act('pay', { kind: 'balance', amount: 70_000, reference: 'W2' })).status).toBe(200);
  expect((await act('ship', { carrier: CARRIER, trackingNumber })).status).toBe(200);
  const shipmentId = `order:${orderId}`;
  await eventually(() => stack.db.shipment.findUnique({ where: { id: shipmentId } }), (row) => row?.inFlight === true, 'the shipment in the read model');
  return { orderId, trackingNumber, shipmentId };
}

async function caseStarted(shipmentId: string, problem: TrackingProblem): Promise<string | undefined> {
  try {
    return (await stack.client.workflow.getHandle(caseWorkflowId(proactiveCaseId(shipmentId, problem))).describe()).type;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The last complete week's known cases and shipments (other tests never write in that week). */
async function insertLastWeek(weekStart: string): Promise<void> {
  const start = Date.parse(`${weekStart}T00:00:00Z`);
  const run = uniqueId('lastweek');
  await stack.db.shipment.createMany({
    data: Array.from({ length: 400 }, (_, i) => ({
      id: `order:${run}-${i}`, source: 'order', orderId: `${run}-${i}`, carrier: 'FIXTURE', trackingNumber: `FX${i}`,
      shippedAt: new Date(start + (i % 7) * DAY + 3_600_000), inFlight: false, updatedAt: new Date(start),
    })),
  });
  const kase = (n: number, type: string, category: string, proactive: boolean) => ({
    id: `${run}-case-${n}`, orderId: `${run}-${n}`, orderSource: 'order', type, category, status: 'CLOSED', proactive,
    firstReplyDueAt: new Date(start + 2 * DAY), policyVersion: '2026-11', revision: 3, openedAt: new Date(start + DAY), updatedAt: new Date(start + DAY),
  });
  await stack.db.afterServiceCase.createMany({
    data: [kase(1, 'TRACKING', 'tracking', true), kase(2, 'TRACKING', 'tracking', false), kase(3, 'QUALITY', 'quality', false), kase(4, 'RETURN', 'warehouse', false)],
  });
}

async function runSelfCheck(): Promise<{ workflowId: string; result: SelfCheckResult }> {
  const schedule = stack.client.schedule.getHandle(selfCheckScheduleId(stack.taskQueue));
  const actions = async () => {
    const d = await schedule.describe();
    return [...d.info.runningActions, ...d.info.recentActions.map((a) => a.action)].map((a) => a.workflow.workflowId);
  };
  const before = new Set(await actions());
  const res = await call(stack.opsKey, 'POST', '/self-check/run', {});
  expect(res.status).toBe(202);
  expect(res.body.scheduleId).toBe(selfCheckScheduleId(stack.taskQueue));
  // The API names the run when the scheduler starts it within a few seconds; on a busy machine the
  // answer may come first (workflowId null), and the run is found on the schedule.
  let workflowId: string | undefined = res.body.workflowId ?? undefined;
  for (let i = 0; i < 600 && !workflowId; i++) {
    workflowId = (await actions()).find((id) => !before.has(id));
    if (!workflowId) await new Promise((r) => setTimeout(r, 100));
  }
  expect(workflowId).toMatch(new RegExp(`^${stack.taskQueue}-self-check-`));
  const handle = stack.client.workflow.getHandle(workflowId!);
  expect((await handle.describe()).type).toBe(SELF_CHECK_WORKFLOW_TYPE);
  return { workflowId: workflowId!, result: (await handle.result()) as SelfCheckResult };
}

describe('weekly self-check and after-service report through the API', () => {
  it('creates the schedule once, updates it when it differs, and the API refuses a run before it exists', async () => {
    const refused = await call(stack.opsKey, 'POST', '/self-check/run', {});
    expectError(refused, 409, 'conflict');
    expect(refused.body.error.message).toContain('does not exist yet: the worker creates it when it starts');

    const input = { carriers: [CARRIER] };
    expect((await ensureSelfCheckSchedule(stack.client, { taskQueue: stack.taskQueue, input })).outcome).toBe('created');
    expect((await ensureSelfCheckSchedule(stack.client, { taskQueue: stack.taskQueue, input })).outcome).toBe('unchanged');
    const moved = { dayOfWeek: 'TUESDAY' as const, hour: 6, minute: 30 };
    expect((await ensureSelfCheckSchedule(stack.client, { taskQueue: stack.taskQueue, input, at: moved })).outcome).toBe('updated');
    expect((await ensureSelfCheckSchedule(stack.client, { taskQueue: stack.taskQueue, input })).outcome).toBe('updated');
    const desc = await stack.client.schedule.getHandle(selfCheckScheduleId(stack.taskQueue)).describe();
    expect(desc.spec.calendars?.[0]).toMatchObject({ dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY' }], hour: [{ start: 2, end: 2 }], minute: [{ start: 0, end: 0 }] });
    expect(desc.action).toMatchObject({ workflowType: SELF_CHECK_WORKFLOW_TYPE, taskQueue: stack.taskQueue, args: [input] });
    expect(desc.policies.overlap).toBe('SKIP');
    const next = desc.info.nextActionTimes[0];
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 2, 0]);
  });

  it('drives simulated shipments, runs the check from the schedule, opens cases once, stores and emails the report', async () => {
    const stamp = Date.now().toString(36).toUpperCase();
    const exception = await shipOrder(`EXC-${stamp}`);
    const delivered = await shipOrder(`DLV-${stamp}`);
    const stale = await shipOrder(`OLD-${stamp}`);
    const unknown = await shipOrder(`NF-${stamp}`);
    const moving = await shipOrder(`MOV-${stamp}`);

    // Ops drive the simulated carrier.
    const drive = (key: string, tn: string, body: unknown) => call(key, 'PUT', `/carrier/simulated/${carrierPath}/${tn}`, body);
    const twentyDaysAgo = new Date(Date.now() - 20 * DAY).toISOString();
    expect((await drive(stack.opsKey, exception.trackingNumber, { status: 'Exception', lastUpdateAt: new Date().toISOString() })).body.tracking.status).toBe('Exception');
    expect((await drive(stack.opsKey, delivered.trackingNumber, { status: 'Delivered', lastUpdateAt: new Date(Date.now() - DAY).toISOString() })).status).toBe(200);
    const old = await drive(stack.opsKey, stale.trackingNumber, { status: 'InTransit', firstScanAt: twentyDaysAgo, lastUpdateAt: twentyDaysAgo });
    expect(old.body).toEqual({ carrier: CARRIER, trackingNumber: stale.trackingNumber, tracking: { status: 'InTransit', firstScanAt: twentyDaysAgo, lastUpdateAt: twentyDaysAgo } });
    expect((await drive(stack.opsKey, moving.trackingNumber, { status: 'OutForDelivery', lastUpdateAt: new Date().toISOString() })).status).toBe(200);
    expect((await call(supportKey, 'GET', `/carrier/simulated/${carrierPath}/${unknown.trackingNumber}`)).body.tracking).toEqual({ status: 'NotFound' });

    const weekStart = reportWeekFor(Date.now());
    await insertLastWeek(weekStart);

    const first = await runSelfCheck();
    expect(first.result.totals).toEqual({
      checkedAt: first.result.totals.checkedAt,
      checked: 5,
      delivered: 1,
      flagged: { NOT_FOUND: 1, EXCEPTION: 1, EXPIRED: 0, STALE: 1 },
      casesOpened: 3,
      casesAlreadyOpen: 0,
      outsideWindow: 0,
      orderMissing: 0,
    });
    expect(await caseStarted(exception.shipmentId, 'EXCEPTION')).toBe(CASE_WORKFLOW_TYPE);
    expect(await caseStarted(stale.shipmentId, 'STALE')).toBe(CASE_WORKFLOW_TYPE);
    expect(await caseStarted(unknown.shipmentId, 'NOT_FOUND')).toBe(CASE_WORKFLOW_TYPE);
    for (const problem of ['NOT_FOUND', 'EXCEPTION', 'EXPIRED', 'STALE'] as const) {
      expect(await caseStarted(delivered.shipmentId, problem)).toBeUndefined();
      expect(await caseStarted(moving.shipmentId, problem)).toBeUndefined();
    }
    const deliveredRow = await stack.db.shipment.findUniqueOrThrow({ where: { id: delivered.shipmentId } });
    expect({ inFlight: deliveredRow.inFlight, lastStatus: deliveredRow.lastStatus }).toEqual({ inFlight: false, lastStatus: 'Delivered' });

    // The week's report: stored, served to ops and support, emailed to ops.
    expect(first.result.report?.weekStart).toBe(weekStart);
    const served = await call(supportKey, 'GET', `/reports/after-service/${weekStart}`);
    expect(served.status).toBe(200);
    const stored = await stack.db.afterServiceReport.findUniqueOrThrow({ where: { weekStart: new Date(`${weekStart}T00:00:00Z`) } });
    expect(served.body.report).toEqual(stored.figures);
    const report = served.body.report;
    expect(report).toMatchObject({ weekStart, selfCheck: first.result.totals, defectRate: { target: 0.002, targetPercent: '0.20%' } });
    // This test's last-week fixture is in the figures (400 shipments; 2 tracking, 1 quality, 1 warehouse case).
    expect(report.shipments).toBeGreaterThanOrEqual(400);
    expect(report.cases.byCategory.tracking.proactive).toBeGreaterThanOrEqual(1);
    expect(report.cases.byCategory.quality.total).toBeGreaterThanOrEqual(1);
    expect(report.cases.byCategory.warehouse.total).toBeGreaterThanOrEqual(1);
    expect(report.afterServiceRate).toMatchObject({ numerator: report.cases.total, denominator: report.shipments });
    const listed = await call(stack.opsKey, 'GET', '/reports/after-service?limit=5');
    expect(listed.body.reports[0]).toMatchObject({ weekStart, shipments: report.shipments, cases: report.cases.total, afterServiceRate: report.afterServiceRate });

    const mail = await eventually(async () => stack.mail.filter((m) => m.subject.includes(`week of ${weekStart}`)), (m) => m.length === 1, 'the report email');
    expect(mail[0].to).toBe('ops@tradeguard.test');
    expect(mail[0].text).toContain(`After-service rate: ${report.afterServiceRate.percent}`);
    expect(mail[0].text).toContain('Flagged: 1 not found, 1 exception, 0 expired, 1 without update.');
    expect(mail[0].text).toContain('Tracking cases opened: 3 new, 0 already open');

    // A second run: nothing opened twice, the delivered parcel no longer in flight, no second email.
    const second = await runSelfCheck();
    expect(second.workflowId).not.toBe(first.workflowId);
    expect(second.result.totals).toMatchObject({ checked: 4, delivered: 0, casesOpened: 0, casesAlreadyOpen: 3 });
    const reportMail = await eventually(
      () => stack.db.emailOutbox.findUniqueOrThrow({ where: { key: `report:${weekStart}:ops` } }),
      (row) => row.status === 'sent',
      'the report email marked sent',
    );
    expect(reportMail.attempts).toBe(1);
    expect(stack.mail.filter((m) => m.subject.includes(`week of ${weekStart}`))).toHaveLength(1);
  });

  it('refuses bad input, the wrong roles, and weeks that are not reported', async () => {
    const bad = await call(stack.opsKey, 'PUT', `/carrier/simulated/${carrierPath}/TN-1234`, { status: 'Lost', lastUpdateAt: 'yesterday' });
    expectError(bad, 400, 'invalid_input');
    expect(bad.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['lastUpdateAt', 'status']);
    const badNumber = await call(stack.opsKey, 'PUT', `/carrier/simulated/${carrierPath}/x`, { status: 'InTransit' });
    expectError(badNumber, 400, 'invalid_input');
    expect(badNumber.body.error.fields[0].field).toBe('trackingNumber');
    expectError(await call(supportKey, 'PUT', `/carrier/simulated/${carrierPath}/TN-1234`, { status: 'InTransit' }), 403, 'forbidden');
    expectError(await call(supportKey, 'POST', '/self-check/run', {}), 403, 'forbidden');

    const tuesday = await call(supportKey, 'GET', '/reports/after-service/2026-11-17');
    expectError(tuesday, 400, 'invalid_input');
    expect(tuesday.body.error.fields).toEqual([{ field: 'weekStart', reason: 'must be a Monday: report weeks start on Monday (UTC)' }]);
    expectError(await call(supportKey, 'GET', '/reports/after-service/1999-01-04'), 404, 'not_found');
    const limit = await call(stack.opsKey, 'GET', '/reports/after-service?limit=0');
    expectError(limit, 400, 'invalid_input');
    expect(limit.body.error.fields[0].field).toBe('limit');
  });

  it('the simulated carrier cannot be driven where tracking comes from a provider, or from another process', async () => {
    const serve = async (carrier?: HttpTrackingProvider) => {
      const app = createApp({
        client: stack.client,
        db: stack.db,
        taskQueue: stack.taskQueue,
        health: async () => ({ status: 'ok' }) as never,
        storage: new LocalFileStorage('/nonexistent'),
        ...(carrier ? { carrier } : {}),
      });
      const server = http.createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
    };
    const withProvider = await serve(new HttpTrackingProvider({ baseUrl: 'http://127.0.0.1:9/tracking', apiKey: 'k' }));
    const apart = await serve();
    try {
      const refused = await apiClient(withProvider.url)(stack.opsKey, 'PUT', `/carrier/simulated/${carrierPath}/TN-1234`, { status: 'InTransit' });
      expectError(refused, 409, 'conflict');
      expect(refused.body.error.message).toBe('tracking comes from the tracking provider at http://127.0.0.1:9/tracking: only the embedded simulated carrier can be driven by hand');
      const missing = await apiClient(apart.url)(stack.opsKey, 'PUT', `/carrier/simulated/${carrierPath}/TN-1234`, { status: 'InTransit' });
      expectError(missing, 404, 'not_found');
      expect(missing.body.error.message).toContain('no simulated carrier here');
    } finally {
      await withProvider.close();
      await apart.close();
    }
  });
});
