/**
 * Scale: N open orders (drafts, each with its pending draft-expiry timer) created through the API.
 * Then the worker's memory and workflow cache, and the latency of listing orders (GET /orders, read
 * model) and of each order's deadlines (GET /orders/:id/deadlines, a query to the workflow, which
 * the worker replays when the order is not in its cache). The baseline is the same reads before
 * the N orders exist.
 */
import { performance } from 'node:perf_hooks';
import { BenchContext, pool, scaled, sleep } from './context';
import { createParties, draftTerms, ok } from './http';
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

  const measure = async (existing: number): Promise<{ list: Summary; listBySupplier: Summary; deadlines: Summary }> => {
    const list: number[] = [];
    const listBySupplier: number[] = [];
    const deadlines: number[] = [];
    const warmup = 10;
    for (let s = -warmup; s < samples; s++) {
      const keep = s >= 0;
      let start = performance.now();
      ok(await call(stack.opsKey, 'GET', '/orders?limit=50'), 'list orders');
      if (keep) list.push(performance.now() - start);
      const p = parties[(s + warmup) % parties.length];
      start = performance.now();
      ok(await call(p.supplierKey, 'GET', '/orders?limit=50&status=DRAFT'), 'list own orders');
      if (keep) listBySupplier.push(performance.now() - start);
      // Spread over every order, so most are outside the worker's cache when N exceeds it.
      const target = ((s + warmup) * 7919) % existing;
      start = performance.now();
      ok(await call(stack.opsKey, 'GET', `/orders/${id(target)}/deadlines`), 'deadlines');
      if (keep) deadlines.push(performance.now() - start);
    }
    return { list: summarize(list), listBySupplier: summarize(listBySupplier), deadlines: summarize(deadlines) };
  };

  const create = async (from: number, to: number, concurrency: number) => {
    const indexes = Array.from({ length: to - from }, (_, k) => from + k);
    await pool(indexes, concurrency, async (i) => {
      const p = parties[i % parties.length];
      ok(await call(p.supplierKey, 'POST', '/orders', { orderId: id(i), buyerId: p.buyerId, ...draftTerms(60) }), 'draft');
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
  const before = await stack.workerReport();
  ctx.log(`scale: baseline reads with ${baselineOrders} orders`);
  const baseline = await measure(baselineOrders);

  ctx.log(`scale: creating ${orders} open orders through the API`);
  const createStart = performance.now();
  let last = createStart;
  for (let from = baselineOrders; from < orders; from += 1000) {
    const to = Math.min(orders, from + 1000);
    await create(from, to, 16);
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
    pass: { list: loaded.list.p99 <= 100, listBySupplier: loaded.listBySupplier.p99 <= 100, deadlines: loaded.deadlines.p99 <= 100 },
    worker: { before, after, afterReads },
    apiRss: rssOf(stack.apiPid),
  };
}
