/**
 * Scale: N open orders (drafts, each with its pending draft-expiry timer) created through the API.
 * Then the worker's memory and workflow cache, and the latency of the ops lists over them, all read
 * models: orders (GET /orders), every open deadline (GET /deadlines: the N draft-expiry deadlines the
 * orders recorded) and the late-task queue (GET /late-tasks, one open task per order); and of each
 * order's deadlines (GET /orders/:id/deadlines, a query to the workflow, which the worker replays
 * when the order is not in its cache). The baseline is the same reads before the N orders exist.
 *
 * A draft escalates nothing for 14 days, so the late tasks are written straight into the table, one
 * per order in the shape an escalation records (SHIPMENT_LATE, the supplier must act): the list is
 * measured over N rows, not the escalations.
 */
import { performance } from 'node:perf_hooks';
import { BenchContext, pool, scaled, sleep } from './context';
import { createParties, draftTerms, ok } from './http';
import { ESCALATIONS, lateTaskId } from '../activities/ops-surface';
import { Summary, ms, printTable, ratio, summarize, verdict } from './report';
import { rssOf } from './stack';

const MiB = 2 ** 20;

export async function scale(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { stack, call } = ctx;
  const orders = Math.max(10, Math.round(10_000 * ctx.scale));
  const samples = scaled(ctx, 300, 50);
  const parties = await createParties(stack.db, 'scale', 20);
  const run = Date.now().toString(36);
  const id = (i: number) => `SC-${run}-${i}`;

  type Reads = Record<'list' | 'listBySupplier' | 'deadlineList' | 'deadlineListBySupplier' | 'lateTasks' | 'deadlines', Summary>;
  const measure = async (existing: number): Promise<Reads> => {
    const times: Record<keyof Reads, number[]> = { list: [], listBySupplier: [], deadlineList: [], deadlineListBySupplier: [], lateTasks: [], deadlines: [] };
    const warmup = 10;
    for (let s = -warmup; s < samples; s++) {
      const timed = async (what: keyof Reads, key: string, route: string) => {
        const start = performance.now();
        ok(await call(key, 'GET', route), what);
        if (s >= 0) times[what].push(performance.now() - start);
      };
      const p = parties[(s + warmup) % parties.length];
      await timed('list', stack.opsKey, '/orders?limit=50');
      await timed('listBySupplier', p.supplierKey, '/orders?limit=50&status=DRAFT');
      await timed('deadlineList', stack.opsKey, '/deadlines?limit=50');
      await timed('deadlineListBySupplier', p.supplierKey, '/deadlines?limit=50');
      await timed('lateTasks', stack.opsKey, '/late-tasks?status=open&limit=50');
      // Spread over every order, so most are outside the worker's cache when N exceeds it.
      await timed('deadlines', stack.opsKey, `/orders/${id(((s + warmup) * 7919) % existing)}/deadlines`);
    }
    return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, summarize(v)])) as Reads;
  };

  /** One open late task per order in [from, to), as a SHIPMENT_LATE escalation records it. */
  const seedLateTasks = async (from: number, to: number) => {
    const since = new Date();
    await stack.db.lateTask.createMany({
      data: Array.from({ length: to - from }, (_, k) => {
        const i = from + k;
        const p = parties[i % parties.length];
        return {
          id: lateTaskId('order', id(i), 0),
          resource: 'order',
          resourceId: id(i),
          kind: 'SHIPMENT_LATE',
          summary: `Shipment of ${id(i)} is late`,
          mustAct: ESCALATIONS.SHIPMENT_LATE.mustAct,
          since: new Date(since.getTime() + i),
          buyerId: p.buyerId,
          supplierId: p.supplierId,
          createdAt: since,
          updatedAt: since,
        };
      }),
      skipDuplicates: true,
    });
  };

  const create = async (from: number, to: number, concurrency: number) => {
    const indexes = Array.from({ length: to - from }, (_, k) => from + k);
    await pool(indexes, concurrency, async (i) => {
      const p = parties[i % parties.length];
      // Ops drafts directly: a supplier drafts only from its buyer's purchase order request.
      ok(await call(stack.opsKey, 'POST', '/orders', { orderId: id(i), buyerId: p.buyerId, supplierId: p.supplierId, ...draftTerms(60) }), 'draft');
    });
    // Until the read model has every draft: the listing then covers all of them.
    for (;;) {
      const n = await stack.db.order.count({ where: { id: { startsWith: `SC-${run}-` } } });
      if (n >= to) break;
      await sleep(500);
    }
  };

  const baselineOrders = 20;
  await create(0, baselineOrders, 4);
  await seedLateTasks(0, baselineOrders);
  const before = await stack.workerReport();
  ctx.log(`scale: baseline reads with ${baselineOrders} orders`);
  const baseline = await measure(baselineOrders);

  ctx.log(`scale: creating ${orders} open orders through the API`);
  const createStart = performance.now();
  let last = createStart;
  for (let from = baselineOrders; from < orders; from += 1000) {
    const to = Math.min(orders, from + 1000);
    await create(from, to, 16);
    await seedLateTasks(from, to);
    ctx.log(`scale: ${to} orders (${((to - baselineOrders) / ((performance.now() - createStart) / 1000)).toFixed(1)}/s so far)`);
    last = performance.now();
  }
  const createRate = (orders - baselineOrders) / ((last - createStart) / 1000);
  const running = await stack.client.workflow.count(`WorkflowType = 'tradeOrderWorkflow' AND ExecutionStatus = 'Running'`);
  const after = await stack.workerReport();
  ctx.log(`scale: reads with ${orders} orders`);
  const loaded = await measure(orders);
  const afterReads = await stack.workerReport();

  const tg = (r: typeof after) => r.workers.tradeguard;
  const rowsFor = (name: string, b: Summary, l: Summary) => [
    [name, ms(b.p50), ms(b.p99), ms(l.p50), ms(l.p99), ms(l.max), ratio(l.p99 / b.p99), `${verdict(l.p99 <= 100)} (≤ 100 ms)`],
  ];
  printTable(
    `Scale: ${orders} open orders with pending timers (${running.count} running order workflows in Temporal); ${samples} sequential requests per endpoint after 10 warm-up`,
    ['endpoint', `p50 @${baselineOrders}`, `p99 @${baselineOrders}`, `p50 @${orders}`, `p99 @${orders}`, 'max', 'p99 ÷ baseline', 'p99 target'],
    [
      ...rowsFor('GET /orders?limit=50 (ops)', baseline.list, loaded.list),
      ...rowsFor('GET /orders?status=DRAFT (supplier)', baseline.listBySupplier, loaded.listBySupplier),
      ...rowsFor('GET /deadlines?limit=50 (ops)', baseline.deadlineList, loaded.deadlineList),
      ...rowsFor("GET /deadlines?limit=50 (supplier's own)", baseline.deadlineListBySupplier, loaded.deadlineListBySupplier),
      ...rowsFor('GET /late-tasks?status=open&limit=50', baseline.lateTasks, loaded.lateTasks),
      ...rowsFor('GET /orders/:id/deadlines', baseline.deadlines, loaded.deadlines),
    ],
  );
  printTable('Worker process', ['when', 'RSS', 'heap used', 'cached workflows', 'cache limit (maxCachedWorkflows)'], [
    [`${baselineOrders} orders`, `${(before.rss / MiB).toFixed(0)} MiB`, `${(before.heapUsed / MiB).toFixed(0)} MiB`, tg(before).numCachedWorkflows, tg(before).maxCachedWorkflows],
    [`${orders} orders created`, `${(after.rss / MiB).toFixed(0)} MiB`, `${(after.heapUsed / MiB).toFixed(0)} MiB`, tg(after).numCachedWorkflows, tg(after).maxCachedWorkflows],
    [`after the reads`, `${(afterReads.rss / MiB).toFixed(0)} MiB`, `${(afterReads.heapUsed / MiB).toFixed(0)} MiB`, tg(afterReads).numCachedWorkflows, tg(afterReads).maxCachedWorkflows],
  ]);
  console.log(`created ${orders - baselineOrders} orders through the API at ${createRate.toFixed(1)}/s (16 in flight); API process RSS ${(rssOf(stack.apiPid) / MiB).toFixed(0)} MiB`);
  return {
    orders,
    samples,
    runningOrderWorkflows: running.count,
    createRatePerSecond: createRate,
    baseline: { orders: baselineOrders, ...baseline },
    loaded,
    p99Target: 100,
    lateTasksSeeded: orders,
    pass: Object.fromEntries(Object.entries(loaded).map(([k, v]) => [k, v.p99 <= 100])),
    worker: { before, after, afterReads },
    apiRss: rssOf(stack.apiPid),
  };
}
