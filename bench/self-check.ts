/**
 * The weekly tracking self-check over many shipments in flight (50,000 at full scale): the real
 * weeklySelfCheckWorkflow (paged activities with heartbeats, continue-as-new) on the run's dev server,
 * with the simulated carrier answering for every parcel and 1% of them in trouble (a proactive case
 * each). The baseline is the same page activity run back to back outside Temporal, over the same rows.
 */
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { ShipmentPage, createSelfCheckActivities } from '../activities/self-check';
import { SimulatedCarrier } from '../adapters/carrier';
import { SandboxCardGateway } from '../adapters/payments';
import { workflowsPath } from '../worker/worker';
import { SELF_CHECK_WORKFLOW_TYPE, SelfCheckResult } from '../workflows/self-check.messages';
import { BenchContext, scaled } from './context';
import { printTable, ratio } from './report';

const TASK_QUEUE = 'bench-self-check';
const DAY = 86_400_000;

export async function selfCheck(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { db } = ctx.stack;
  const count = scaled(ctx, 50_000, 200);
  const run = Date.now().toString(36);
  const carrierName = `BENCH-${run}`;
  const carrier = new SimulatedCarrier();
  const now = Date.now();

  // Shipments of manual orders, 1% of them with a tracking exception.
  ctx.log(`self-check: inserting ${count} shipments in flight`);
  const troubled = (i: number) => i % 100 === 0;
  const inserted = performance.now();
  for (let from = 0; from < count; from += 5_000) {
    const ids = Array.from({ length: Math.min(5_000, count - from) }, (_, k) => from + k);
    const orders = ids.filter(troubled).map((i) => ({
      id: `MO-${run}-${i}`, status: 'SHIPPED', customerName: 'Bench Customer', customerEmail: `bench-${i}@customer.example`,
      address: { line1: '1 Bench Road', city: 'Hamburg', postalCode: '20095', country: 'DE' }, items: [{ sku: 'BENCH', quantity: 1 }],
      currency: 'USD', totalAmount: 10_000n, reason: 'benchmark', policyVersion: '2026-11', paidAt: new Date(now - 10 * DAY),
      shippedAt: new Date(now - 8 * DAY), createdBy: 'bench', createdAt: new Date(now), updatedAt: new Date(now),
    }));
    if (orders.length > 0) await db.manualOrder.createMany({ data: orders });
    await db.shipment.createMany({
      data: ids.map((i) => ({
        id: `bench:${run}:${String(i).padStart(6, '0')}`, source: 'manual', orderId: `MO-${run}-${i}`, carrier: carrierName,
        trackingNumber: `BN${run}${i}`, shippedAt: new Date(now - 8 * DAY), inFlight: true, updatedAt: new Date(now),
      })),
    });
    for (const i of ids) {
      carrier.record(carrierName, `BN${run}${i}`, { status: troubled(i) ? 'Exception' : 'InTransit', lastUpdateAt: new Date(now - DAY).toISOString() });
    }
  }
  ctx.log(`self-check: inserted in ${((performance.now() - inserted) / 1000).toFixed(1)} s`);

  const connection = await NativeConnection.connect({ address: ctx.stack.temporalAddress });
  const temporal = { client: ctx.stack.client, taskQueue: TASK_QUEUE };
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUE,
    workflowsPath: workflowsPath(),
    activities: createActivities({
      db, carrier, payments: new SandboxCardGateway(), temporal,
      opsAddresses: { ops: 'ops@tradeguard.local', opsLeads: 'ops-leads@tradeguard.local' },
    }),
  });
  let result: SelfCheckResult;
  let workflowSeconds: number;
  const rssBefore = process.memoryUsage().rss;
  try {
    result = await worker.runUntil(async () => {
      const started = performance.now();
      const handle = await ctx.stack.client.workflow.start(SELF_CHECK_WORKFLOW_TYPE, {
        taskQueue: TASK_QUEUE, workflowId: `bench-self-check-${run}`, args: [{ carriers: [carrierName], report: false }],
      });
      const r = (await handle.result()) as SelfCheckResult;
      workflowSeconds = (performance.now() - started) / 1000;
      return r;
    });
  } finally {
    await connection.close();
  }
  const rssAfter = process.memoryUsage().rss;

  // Baseline: the same page activity, back to back, outside Temporal (no heartbeats recorded, no cases).
  const pages = createSelfCheckActivities({ db, carrier, temporal });
  const env = new MockActivityEnvironment();
  const started = performance.now();
  let cursor: string | undefined;
  let baselineChecked = 0;
  for (;;) {
    const page: ShipmentPage = await env.run(pages.checkShipmentsPage, { checkedAt: new Date().toISOString(), afterId: cursor, pageSize: 500, carriers: [carrierName] });
    baselineChecked += page.checked;
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  const baselineSeconds = (performance.now() - started) / 1000;

  const perSecond = result.totals.checked / workflowSeconds!;
  const baselinePerSecond = baselineChecked / baselineSeconds;
  printTable(
    `Weekly self-check over ${count} shipments in flight (1% with a tracking exception)`,
    ['run', 'shipments', 'seconds', 'shipments/s', 'pages', 'workflow runs', 'cases opened'],
    [
      ['baseline: page activity back to back, no Temporal', baselineChecked, baselineSeconds.toFixed(1), baselinePerSecond.toFixed(0), Math.ceil(baselineChecked / 500), '-', '-'],
      ['weeklySelfCheckWorkflow (continue-as-new every 20 pages)', result.totals.checked, workflowSeconds!.toFixed(1), perSecond.toFixed(0), result.pages, result.runs, result.totals.casesOpened],
      ['workflow ÷ baseline (throughput)', '', '', ratio(perSecond / baselinePerSecond), '', '', ''],
    ],
  );
  console.log(`driver RSS while the self-check ran: ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB`);
  return {
    shipments: count,
    workflow: { seconds: workflowSeconds!, perSecond, totals: result.totals, pages: result.pages, runs: result.runs },
    baseline: { seconds: baselineSeconds, perSecond: baselinePerSecond, checked: baselineChecked },
    throughputRatio: perSecond / baselinePerSecond,
    rssMiB: { before: rssBefore / 2 ** 20, after: rssAfter / 2 ** 20 },
  };
}
