/**
 * The ops and support surface on the real stack: the deadline list and its filters over real order
 * and monitoring workflows (with the API's "overdue" clock moved by hand), search paging over the
 * read models, and the overviews. Then escalations from real workflows: monitoring tasks whose report
 * goes late and a case nobody answers, run on the time-skipping server with the real activities
 * against the same PostgreSQL, put rows in the late-task queue that ops work through the API.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { SimulatedCarrier } from '../../adapters/carrier';
import { SandboxCardGateway } from '../../adapters/payments';
import { createApiKey } from '../../api/keys';
import { addWorkingDays, getCalendar, localDate } from '../../workflows/calendar';
import { CASE_WORKFLOW_TYPE, caseWorkflowId } from '../../workflows/case.messages';
import {
  MONITORING_WORKFLOW_TYPE,
  MonitoringState,
  assignInspectorUpdate,
  getMonitoringQuery,
  monitoringWorkflowId,
  payMonitoringUpdate,
  recordCheckUpdate,
  uploadReportUpdate,
} from '../../workflows/monitoring.messages';
import { sampleCaseInput } from '../support/case-fixtures';
import { uniqueId } from '../support/env';
import { sampleMonitoringInput, sampleProforma, visaPayment } from '../support/monitoring-fixtures';
import { apiClient, eventually, expectError, Reply, startTestStack, TestStack, draftFromRequest } from '../support/stack';
import { startTimeSkipping } from '../support/time-skipping';

const DAY = 86_400_000;
const MINUTE = 60_000;
const CN = getCalendar('CN');

let stack: TestStack;
let call: ReturnType<typeof apiClient>;
/** How far the API's overdue clock runs ahead of the wall clock. */
let clockAhead = 0;

beforeAll(async () => {
  stack = await startTestStack({ app: { clock: () => Date.now() + clockAhead } });
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

interface World {
  run: string;
  buyerA: string;
  buyerB: string;
  supplier: string;
  keys: { buyerA: string; buyerB: string; supplier: string; support: string };
  orders: string[];
  monitoringId: string;
}

let world: World | undefined;

/**
 * Parties whose ids share a unique prefix, three drafted orders (two for buyer A, one for buyer B)
 * and a monitoring task booked on buyer B's order.
 */
async function theWorld(): Promise<World> {
  if (world) return world;
  const run = uniqueId('ops').toLowerCase();
  const buyerA = `${run}-buyer-a`;
  const buyerB = `${run}-buyer-b`;
  const supplier = `${run}-supplier`;
  for (const [id, kind] of [[buyerA, 'buyer'], [buyerB, 'buyer'], [supplier, 'supplier']]) {
    expect((await call(stack.opsKey, 'POST', '/parties', { id, kind, name: id, email: `${id}@example.com` })).status).toBe(201);
  }
  const key = async (role: 'buyer' | 'supplier' | 'support', partyId?: string) => (await createApiKey(stack.db, { name: uniqueId(role), role, partyId })).key;
  const keys = { buyerA: await key('buyer', buyerA), buyerB: await key('buyer', buyerB), supplier: await key('supplier', supplier), support: await key('support') };
  const orders: string[] = [];
  for (const [n, buyerId] of [[1, buyerA], [2, buyerB], [3, buyerA]] as const) {
    const drafted = await draftFromRequest(stack.apiUrl, { buyerKey: buyerId === buyerA ? keys.buyerA : keys.buyerB, supplierKey: keys.supplier, supplierId: supplier }, {
      orderId: `${run}-PO-${n}`,
      buyerId,
      currency: 'USD',
      items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 100, unitPrice: 1250 }],
      depositAmount: 25_000,
      shippingDate: new Date(Date.now() + 60 * DAY).toISOString().slice(0, 10),
    });
    expect(drafted.status).toBe(201);
    orders.push(drafted.body.orderId);
  }
  const booked = await call(keys.buyerB, 'POST', '/monitoring', { monitoringId: `${run}-PM-1`, orderId: orders[1], addedVia: 'ORDER_DETAILS_SEPARATE' });
  expect(booked.status).toBe(201);
  world = { run, buyerA, buyerB, supplier, keys, orders, monitoringId: booked.body.monitoringId };
  // Every resource's first change is in the read model.
  await eventually(() => call(stack.opsKey, 'GET', `/deadlines?party=${supplier}`), (r) => r.body?.deadlines?.length === 4, 'the four open deadlines');
  return world;
}

const ids = (r: Reply) => r.body.deadlines.map((d: { id: string }) => d.id);

describe('GET /deadlines', () => {
  it('lists every open deadline of real workflows, filtered by resource, kind, party, due window and overdue, earliest first', async () => {
    const w = await theWorld();
    const all = await call(stack.opsKey, 'GET', `/deadlines?party=${w.supplier}`);
    expect(all.status).toBe(200);
    const dueTimes = all.body.deadlines.map((d: { dueAt: string }) => d.dueAt);
    expect([...dueTimes].sort()).toEqual(dueTimes);
    expect(all.body.deadlines.map((d: { kind: string }) => d.kind).sort()).toEqual(['booking-cutoff', 'draft-expiry', 'draft-expiry', 'draft-expiry']);
    expect(all.body.nextCursor).toBeUndefined();

    const [cutoff] = (await call(stack.opsKey, 'GET', `/deadlines?kind=booking-cutoff&party=${w.buyerB}`)).body.deadlines;
    expect(cutoff).toEqual({
      id: `monitoring:${w.monitoringId}:booking-cutoff`,
      resource: 'monitoring',
      resourceId: w.monitoringId,
      kind: 'booking-cutoff',
      dueAt: expect.any(String),
      rule: expect.stringMatching(/working day before the shipment date/),
      policyVersion: expect.any(String),
      onExpiry: 'the unpaid booking lapses and the buyer is told',
      reminderSent: false,
      overdue: false,
      buyerId: w.buyerB,
      supplierId: w.supplier,
      link: `/monitoring/${w.monitoringId}`,
    });

    const ofA = await call(stack.opsKey, 'GET', `/deadlines?resource=order&party=${w.buyerA}`);
    expect(ofA.body.deadlines.map((d: { resourceId: string; link: string }) => [d.resourceId, d.link]).sort()).toEqual([
      [w.orders[0], `/orders/${w.orders[0]}`],
      [w.orders[2], `/orders/${w.orders[2]}`],
    ]);
    expect((await call(stack.opsKey, 'GET', `/deadlines?resource=monitoring&party=${w.buyerA}`)).body.deadlines).toEqual([]);

    // dueAfter ≤ dueAt < dueBefore.
    const first = ofA.body.deadlines[0];
    const at = Date.parse(first.dueAt);
    const window = (after: number, before: number) =>
      call(stack.opsKey, 'GET', `/deadlines?party=${w.buyerA}&dueAfter=${new Date(after).toISOString()}&dueBefore=${new Date(before).toISOString()}`);
    expect(ids(await window(at, at + 1))).toEqual([first.id]);
    expect(ids(await window(at - DAY, at))).toEqual([]);
    expect(ids(await window(at + 1, at + DAY)).includes(first.id)).toBe(false);

    // Nothing is overdue now; with the API's clock 90 days ahead everything is.
    expect(ids(await call(stack.opsKey, 'GET', `/deadlines?party=${w.supplier}&overdue=true`))).toEqual([]);
    expect(ids(await call(stack.opsKey, 'GET', `/deadlines?party=${w.supplier}&overdue=false`))).toEqual(ids(all));
    clockAhead = 90 * DAY;
    try {
      const overdue = await call(stack.opsKey, 'GET', `/deadlines?party=${w.supplier}&overdue=true`);
      expect(ids(overdue)).toEqual(ids(all));
      expect(overdue.body.deadlines.every((d: { overdue: boolean }) => d.overdue)).toBe(true);
      expect(ids(await call(stack.opsKey, 'GET', `/deadlines?party=${w.supplier}&overdue=false`))).toEqual([]);
    } finally {
      clockAhead = 0;
    }
  });

  it('pages by cursor, holds buyers to their own deadlines, and names the field of bad input', async () => {
    const w = await theWorld();
    const all = ids(await call(stack.opsKey, 'GET', `/deadlines?party=${w.supplier}`));
    const page1 = await call(w.keys.supplier, 'GET', '/deadlines?limit=3');
    expect(ids(page1)).toEqual(all.slice(0, 3));
    expect(typeof page1.body.nextCursor).toBe('string');
    const page2 = await call(w.keys.supplier, 'GET', `/deadlines?limit=3&cursor=${page1.body.nextCursor}`);
    expect(ids(page2)).toEqual(all.slice(3));
    expect(page2.body.nextCursor).toBeUndefined();

    const mine = await call(w.keys.buyerA, 'GET', '/deadlines');
    expect(mine.status).toBe(200);
    expect(mine.body.deadlines.length).toBe(2);
    expect(mine.body.deadlines.every((d: { buyerId: string }) => d.buyerId === w.buyerA)).toBe(true);
    expectError(await call(w.keys.buyerA, 'GET', `/deadlines?party=${w.buyerB}`), 403, 'forbidden');
    expect((await call(w.keys.support, 'GET', `/deadlines?party=${w.buyerB}`)).body.deadlines.length).toBe(2);

    for (const [query, field] of [['limit=500', 'limit'], ['dueBefore=tomorrow', 'dueBefore'], ['kind=lunch', 'kind'], ['overdue=maybe', 'overdue'], ['cursor=not*a*cursor', 'cursor'], ['cursor=bm90LWEtY3Vyc29y', 'cursor'], ['resource=invoice', 'resource']]) {
      const res = await call(stack.opsKey, 'GET', `/deadlines?${query}`);
      expectError(res, 400, 'invalid_input');
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual([field]);
    }
  });
});

describe('GET /search', () => {
  const found = (r: Reply) => r.body.results.map((x: { type: string; id: string }) => `${x.type}:${x.id}`);

  it('matches the start of ids and party ids in any case, filters, and pages with a keyset cursor', async () => {
    const w = await theWorld();
    const everything = await call(stack.opsKey, 'GET', `/search?q=${w.run.toUpperCase()}`);
    expect(everything.status).toBe(200);
    expect(found(everything).sort()).toEqual([...w.orders.map((o) => `order:${o}`), `monitoring:${w.monitoringId}`].sort());
    const stamps = everything.body.results.map((r: { updatedAt: string }) => r.updatedAt);
    expect([...stamps].sort().reverse()).toEqual(stamps);
    expect(everything.body.results.find((r: { type: string }) => r.type === 'monitoring')).toEqual({
      type: 'monitoring', id: w.monitoringId, status: 'AWAITING_PAYMENT', buyerId: w.buyerB, supplierId: w.supplier,
      updatedAt: expect.any(String), link: `/monitoring/${w.monitoringId}`,
    });

    // Pages of two: the same results, in the same order, none twice.
    const paged: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call(stack.opsKey, 'GET', `/search?q=${w.run}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.results.length).toBeLessThanOrEqual(2);
      paged.push(...found(page));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect(paged).toEqual(found(everything));

    expect(found(await call(stack.opsKey, 'GET', `/search?q=${w.run}&type=monitoring`))).toEqual([`monitoring:${w.monitoringId}`]);
    expect(found(await call(stack.opsKey, 'GET', `/search?q=${w.run}&type=order&status=DRAFT`)).length).toBe(3);
    expect(found(await call(stack.opsKey, 'GET', `/search?q=${w.run}&status=CONFIRMED`))).toEqual([]);
    expect(found(await call(stack.opsKey, 'GET', `/search?party=${w.buyerB}`)).sort()).toEqual([`monitoring:${w.monitoringId}`, `order:${w.orders[1]}`].sort());
    expect(found(await call(stack.opsKey, 'GET', `/search?q=${w.run}-PO-3`))).toEqual([`order:${w.orders[2]}`]);
    expect(found(await call(stack.opsKey, 'GET', `/search?q=${w.run}&to=2020-01-01T00:00:00Z`))).toEqual([]);
    expect(found(await call(stack.opsKey, 'GET', `/search?q=${w.run}&from=${new Date(Date.now() + DAY).toISOString()}`))).toEqual([]);
    // LIKE wildcards in q are literal characters.
    expect(found(await call(stack.opsKey, 'GET', `/search?q=${encodeURIComponent('%')}&limit=5`))).toEqual([]);
    expect(found(await call(stack.opsKey, 'GET', `/search?q=${w.run.slice(0, -2)}_${w.run.slice(-1)}`))).toEqual([]);

    // A buyer finds its own records only.
    expect(found(await call(w.keys.buyerA, 'GET', `/search?q=${w.run}`)).sort()).toEqual([`order:${w.orders[0]}`, `order:${w.orders[2]}`].sort());
    expectError(await call(w.keys.buyerA, 'GET', `/search?party=${w.buyerB}`), 403, 'forbidden');
    const bad = await call(stack.opsKey, 'GET', '/search?type=invoice&limit=0');
    expectError(bad, 400, 'invalid_input');
    expect(bad.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual(['limit', 'type']);
  });
});

describe('overviews', () => {
  it("answers an order's and a monitoring task's live state, timeline and deadlines together, to their own parties", async () => {
    const w = await theWorld();
    const order = await call(w.keys.buyerA, 'GET', `/orders/${w.orders[0]}/overview`);
    expect(order.status).toBe(200);
    expect(order.body.state).toMatchObject({ orderId: w.orders[0], status: 'DRAFT', buyerId: w.buyerA });
    expect(order.body.timeline.map((e: { type: string }) => e.type)).toEqual(['DRAFTED']);
    expect(order.body.deadlines.map((d: { kind: string; link: string }) => [d.kind, d.link])).toEqual([['draft-expiry', `/orders/${w.orders[0]}`]]);
    expect(order.body.deadlines[0].dueAt).toBe(order.body.state.deadlines[0].dueAt);
    expectError(await call(w.keys.buyerB, 'GET', `/orders/${w.orders[0]}/overview`), 404, 'not_found');
    expectError(await call(stack.opsKey, 'GET', `/orders/${w.run}-PO-404/overview`), 404, 'not_found');

    const task = await call(w.keys.support, 'GET', `/monitoring/${w.monitoringId}/overview`);
    expect(task.status).toBe(200);
    expect(task.body.state).toMatchObject({ monitoringId: w.monitoringId, status: 'AWAITING_PAYMENT' });
    expect(task.body.timeline.map((e: { type: string }) => e.type)).toEqual(['BOOKED']);
    expect(task.body.deadlines.map((d: { kind: string }) => d.kind)).toEqual(['booking-cutoff']);
    expectError(await call(w.keys.buyerA, 'GET', `/monitoring/${w.monitoringId}/overview`), 404, 'not_found');
  });
});

describe('late-task queue', () => {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    ({ env, bundle } = await startTimeSkipping());
  });

  afterAll(async () => {
    await env?.teardown();
  });

  /** Polls the database until `probe` finds what it waits for (the activities write just after each change). */
  async function inDb<T>(probe: () => Promise<T | null | undefined>, ok: (v: T) => boolean, what: string): Promise<T> {
    return (await eventually(probe, (v) => v !== null && v !== undefined && ok(v), what)) as T;
  }

  it('queues real escalations once each; ops list, assign, acknowledge and resolve them, and a late report that arrives resolves its task', async () => {
    const w = await theWorld();
    const inspectorId = `${w.run}-inspector`;
    expect((await call(stack.opsKey, 'POST', '/parties', { id: inspectorId, kind: 'inspector', name: 'Li Wei', email: `${inspectorId}@example.com` })).status).toBe(201);
    const inspector = { role: 'inspector' as const, partyId: inspectorId };
    const ops = { role: 'ops' as const };
    const buyer = { role: 'buyer' as const, partyId: w.buyerA };

    const taskQueue = uniqueId('late-tasks');
    const activities = createActivities({
      db: stack.db,
      carrier: new SimulatedCarrier(),
      opsAddresses: { ops: 'ops@tradeguard.test', opsLeads: 'ops-leads@tradeguard.test' },
      payments: new SandboxCardGateway(),
      temporal: { client: env.client, taskQueue },
    });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    await worker.runUntil(async () => {
      // Two monitoring tasks inspected today whose reports do not arrive, and a case nobody answers.
      const now = await env.currentTimeMs();
      const shipmentDate = new Date(now + 40 * DAY).toISOString().slice(0, 10);
      const [late, arriving] = [`${w.run}-PM-late`, `${w.run}-PM-arrives`];
      const handles = [];
      for (const monitoringId of [late, arriving]) {
        const input = sampleMonitoringInput(monitoringId, shipmentDate, { orderId: w.orders[0], buyerId: w.buyerA, supplierId: w.supplier, createdBy: buyer });
        const h = await env.client.workflow.start(MONITORING_WORKFLOW_TYPE, { taskQueue, workflowId: monitoringWorkflowId(monitoringId), args: [input] });
        await h.executeUpdate(payMonitoringUpdate, { args: [{ actor: buyer, payment: visaPayment(`sbx_ch_${monitoringId}`) }] });
        await h.executeUpdate(assignInspectorUpdate, { args: [{ actor: ops, inspector: 'Li Wei', inspectorId, checkDate: localDate(CN, await env.currentTimeMs()) }] });
        handles.push(h);
      }
      let checked: MonitoringState | undefined;
      for (const h of handles) {
        await h.executeUpdate(recordCheckUpdate, {
          args: [{ actor: inspector, observed: { ...sampleProforma }, lotSize: 500, sampleInspected: 50, defects: { critical: 0, major: 0, minor: 0 } }],
        });
        checked = await h.query(getMonitoringQuery);
      }
      const caseId = `${w.run}-CS-1`;
      const word = `grille${w.run.replace(/[^a-z0-9]/g, '')}`;
      const caseInput = sampleCaseInput(caseId, 'QUALITY', { paidAt: new Date(now - 5 * DAY).toISOString(), deliveredAt: new Date(now - 2 * DAY).toISOString(), recallable: false }, {
        order: { source: 'order', orderId: w.orders[0], buyerId: w.buyerA, supplierId: w.supplier, currency: 'USD', paidAmount: 125_000 },
        description: `Three speakers arrived with a cracked ${word}`,
        openedBy: buyer,
      });
      await env.client.workflow.start(CASE_WORKFLOW_TYPE, { taskQueue, workflowId: caseWorkflowId(caseId), args: [caseInput] });

      // The reminder first: the report-late deadline now says its reminder went out.
      const checkedAt = Date.parse(checked!.checks[0].checkedAt);
      const reminderAt = addWorkingDays(CN, checkedAt, 1);
      const lateAt = addWorkingDays(CN, checkedAt, 2);
      await env.sleep(reminderAt - (await env.currentTimeMs()) + MINUTE);
      await inDb(() => stack.db.openDeadline.findUnique({ where: { id: `monitoring:${late}:report-late-r1` } }), (d) => d.reminderSent, 'the report reminder');
      const reminded = await call(stack.opsKey, 'GET', `/deadlines?resource=monitoring&kind=report-late&party=${inspectorId}`);
      expect(reminded.body.deadlines.map((d: { resourceId: string; reminderSent: boolean }) => [d.resourceId, d.reminderSent]).sort()).toEqual([[arriving, true], [late, true]]);
      expect(reminded.body.deadlines.find((d: { resourceId: string }) => d.resourceId === arriving).dueAt).toBe(new Date(lateAt).toISOString());
      expect((await call(stack.opsKey, 'GET', `/deadlines?resource=monitoring&kind=booking-cutoff&party=${inspectorId}`)).body.deadlines).toEqual([]);

      // Then the escalations: both reports late, the case unanswered for 24 h.
      await env.sleep(lateAt - (await env.currentTimeMs()) + MINUTE);
      for (const id of [late, arriving]) {
        await inDb(() => stack.db.lateTask.findFirst({ where: { resourceId: id, kind: 'REPORT_LATE' } }), () => true, `the late task of ${id}`);
      }
      await inDb(() => stack.db.lateTask.findFirst({ where: { resourceId: caseId, kind: 'FIRST_REPLY_MISSED' } }), () => true, 'the unanswered case');

      const queue = await call(w.keys.support, 'GET', '/late-tasks?status=open&kind=REPORT_LATE');
      expect(queue.status).toBe(200);
      const mine = queue.body.tasks.filter((t: { resourceId: string }) => [late, arriving].includes(t.resourceId));
      expect(mine).toHaveLength(2);
      const lateTask = mine.find((t: { resourceId: string }) => t.resourceId === late);
      expect(lateTask).toEqual({
        id: expect.stringMatching(new RegExp(`^LT-monitoring-${late}-\\d+$`)),
        resource: 'monitoring',
        resourceId: late,
        kind: 'REPORT_LATE',
        summary: expect.stringMatching(/^Report late: not uploaded within 2 working days/),
        mustAct: 'inspector',
        since: expect.any(String),
        status: 'open',
        link: `/monitoring/${late}`,
        // Support acts on no task; ops may take every action an open task allows.
        actions: [],
      });
      const opsView = (await call(stack.opsKey, 'GET', '/late-tasks?status=open&kind=REPORT_LATE')).body.tasks.find((t: { id: string }) => t.id === lateTask.id);
      expect(opsView.actions).toEqual(['acknowledge', 'assign', 'resolve']);
      const since = queue.body.tasks.map((t: { since: string }) => t.since);
      expect([...since].sort()).toEqual(since);
      const caseTask = (await call(stack.opsKey, 'GET', '/late-tasks?kind=FIRST_REPLY_MISSED')).body.tasks.find((t: { resourceId: string }) => t.resourceId === caseId);
      expect(caseTask).toMatchObject({ resource: 'case', mustAct: 'ops', status: 'open', link: `/cases/${caseId}` });
      // The case's description is searchable.
      expect((await call(stack.opsKey, 'GET', `/search?type=case&q=${word.toUpperCase()}`)).body.results.map((r: { id: string }) => r.id)).toEqual([caseId]);

      // Ops work the task; each step the status does not allow is refused with why.
      const url = `/late-tasks/${lateTask.id}`;
      expectError(await call(w.keys.support, 'POST', `${url}/acknowledge`, {}), 403, 'forbidden');
      const badAssign = await call(stack.opsKey, 'POST', `${url}/assign`, {});
      expectError(badAssign, 400, 'invalid_input');
      expect(badAssign.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['assignee']);
      expectError(await call(stack.opsKey, 'POST', '/late-tasks/not-a-task/acknowledge', {}), 400, 'invalid_input');
      expectError(await call(stack.opsKey, 'POST', `/late-tasks/LT-monitoring-${w.run}-nothing-1/acknowledge`, {}), 404, 'not_found');

      const acknowledged = await call(stack.opsKey, 'POST', `${url}/acknowledge`, {});
      expect(acknowledged.status).toBe(200);
      expect(acknowledged.body.task).toMatchObject({ id: lateTask.id, status: 'acknowledged', acknowledgedAt: expect.any(String) });
      const again = await call(stack.opsKey, 'POST', `${url}/acknowledge`, {});
      expectError(again, 409, 'action_refused');
      expect(again.body.error.message).toMatch(/already acknowledged/);
      // The list offers what the routes allow now: an acknowledged task is assigned or resolved, not acknowledged again.
      const afterAcknowledge = (await call(stack.opsKey, 'GET', '/late-tasks?status=acknowledged')).body.tasks.find((t: { id: string }) => t.id === lateTask.id);
      expect(afterAcknowledge.actions).toEqual(['assign', 'resolve']);
      const assigned = await call(stack.opsKey, 'POST', `${url}/assign`, { assignee: 'Mei (ops)' });
      expect(assigned.body.task).toMatchObject({ status: 'acknowledged', assignee: 'Mei (ops)' });
      expect((await call(stack.opsKey, 'GET', '/late-tasks?assignee=Mei%20(ops)&status=acknowledged')).body.tasks.map((t: { id: string }) => t.id)).toContain(lateTask.id);
      const resolved = await call(stack.opsKey, 'POST', `${url}/resolve`, { note: 'called the inspector; the report comes tomorrow' });
      expect(resolved.body.task).toMatchObject({ status: 'resolved', resolvedAt: expect.any(String), resolution: 'called the inspector; the report comes tomorrow', assignee: 'Mei (ops)' });
      const twice = await call(stack.opsKey, 'POST', `${url}/resolve`, { note: 'again' });
      expectError(twice, 409, 'action_refused');
      expect(twice.body.error.message).toMatch(/resolved at .*called the inspector/);
      expectError(await call(stack.opsKey, 'POST', `${url}/assign`, { assignee: 'Jo' }), 409, 'action_refused');
      expect((await stack.db.lateTask.findUnique({ where: { id: lateTask.id } }))).toMatchObject({ status: 'resolved', assignee: 'Mei (ops)', resolution: 'called the inspector; the report comes tomorrow' });

      // The other report arrives (uploaded by the inspector): its task resolves by itself, once.
      await handles[1].executeUpdate(uploadReportUpdate, {
        args: [{ actor: inspector, file: { fileId: 'ab'.repeat(32), name: 'report.pdf', contentType: 'application/pdf', size: 2048, sha256: 'ab'.repeat(32) } }],
      });
      const auto = await inDb(() => stack.db.lateTask.findFirst({ where: { resourceId: arriving, kind: 'REPORT_LATE' } }), (t) => t.status === 'resolved', 'the task resolved by the report');
      expect(auto).toMatchObject({ resolvedBy: 'system', resolution: expect.stringMatching(/^resolved by itself: Inspection report uploaded/) });
      expect(await stack.db.lateTask.count({ where: { resourceId: arriving } })).toBe(1);
      const left = await call(stack.opsKey, 'GET', `/deadlines?party=${inspectorId}`);
      // The fired report deadlines are gone; the arrived report opened the review window.
      expect(left.body.deadlines.map((d: { resourceId: string; kind: string }) => `${d.resourceId} ${d.kind}`)).toEqual([`${arriving} review-window`]);
      expect((await call(stack.opsKey, 'GET', '/late-tasks?status=resolved&kind=REPORT_LATE')).body.tasks.map((t: { id: string }) => t.id)).toEqual(
        expect.arrayContaining([lateTask.id, auto.id]),
      );
    });
  });
});
