/**
 * Lifecycle throughput: whole orders through the API at a fixed arrival rate (open model).
 * Arrivals are scheduled by the clock, not by the previous order's completion, and each lifecycle's
 * latency counts from its intended start, so a slow system cannot hide its backlog.
 *
 * Kinds: happy path (draft → buyer and supplier confirm → deposit → balance → ship → delivered →
 * receipt confirmed, funds released), a claim on a share (after delivery: claim, counter-offer,
 * accepted, settled) and a monitoring booking paid by card on a share of the happy paths.
 *
 * Baseline: the same arrivals against baselineLifecycleWorkflow on its own task queue, through the
 * raw Temporal client, with the same number of starts, updates and activities per lifecycle as the
 * real workflows ran (read from calibration histories, local activities counted with ordinary ones),
 * each activity a no-op and an ordinary activity, as TradeGuard's are, unless
 * BENCH_BASELINE_ACTIVITIES=local makes them local. The two sides run in
 * four segments, baseline, TradeGuard, TradeGuard, baseline, each with half the arrivals, after a
 * warm-up of a tenth of the arrivals on each side, so that neither pays for its warm-up and a drift
 * in the machine's speed during the run weighs on both alike.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { orderWorkflowId } from '../workflows/order.messages';
import { monitoringWorkflowId } from '../workflows/monitoring.messages';
import { baselineStepUpdate } from './baseline.workflows';
import { BenchContext, scaled, sleep } from './context';
import { cpuBetween, cpuRootPid, cpuSnapshot, CpuUse } from './cpu';
import { activityPlan, countEvents, EventCounts, historyOf } from './history-events';
import { BALANCE, Call, DEPOSIT, PartyPair, createParties, draftTerms, ok } from './http';
import { printTable, ratio, summarize, verdict } from './report';
import { BASELINE_TASK_QUEUE } from './stack';
import { addRequestsBetween, RequestCounts, requestCounts, requestsPerLifecycle } from './temporal-requests';

type Kind = 'happy' | 'claim' | 'monitoring';

/** 1 in 5 lifecycles has a claim; 1 in 10 books production monitoring. */
export function kindOf(i: number): Kind {
  if (i % 5 === 2) return 'claim';
  if (i % 10 === 4) return 'monitoring';
  return 'happy';
}

interface Ids {
  orderId: string;
  monitoringId?: string;
}

/** One order through the API; resolves with the order's final status. */
async function realLifecycle(call: Call, opsKey: string, p: PartyPair, orderId: string, kind: Kind): Promise<{ status: string; ids: Ids }> {
  const ids: Ids = { orderId };
  // Ops drafts directly: a supplier drafts only from its buyer's purchase order request.
  ok(await call(opsKey, 'POST', '/orders', { orderId, buyerId: p.buyerId, supplierId: p.supplierId, ...draftTerms() }), 'draft');
  const act = async (key: string, action: string, body: unknown = {}) => ok(await call(key, 'POST', `/orders/${orderId}/${action}`, body), action).body.order;
  await act(p.buyerKey, 'confirm-by-buyer');
  await act(p.supplierKey, 'confirm-by-supplier');
  await act(p.buyerKey, 'pay', { kind: 'deposit', amount: DEPOSIT, reference: `${orderId}-1` });
  await act(p.buyerKey, 'pay', { kind: 'balance', amount: BALANCE, reference: `${orderId}-2` });
  if (kind === 'monitoring') {
    const monitoringId = `M${orderId}`;
    ids.monitoringId = monitoringId;
    ok(await call(p.buyerKey, 'POST', '/monitoring', { monitoringId, orderId, addedVia: 'ORDER_DETAILS_SEPARATE' }), 'book monitoring');
    ok(await call(p.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card: { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' } }), 'pay monitoring');
  }
  await act(p.supplierKey, 'ship', { carrier: 'DHL', trackingNumber: `JD${orderId}` });
  await act(opsKey, 'mark-delivered');
  if (kind === 'claim') {
    await act(p.buyerKey, 'claims', { cause: 'QUALITY_MISMATCH', refundAsked: 150_000, description: 'colour differs from the golden sample' });
    await act(p.supplierKey, 'claims/C1/respond', { kind: 'counter', counterAmount: 50_000, message: 'we refund a third' });
    return { status: (await act(p.buyerKey, 'claims/C1/accept-counter')).status, ids };
  }
  return { status: (await act(p.buyerKey, 'confirm-receipt')).status, ids };
}

interface BaselinePlanSet {
  order: Record<Kind, { startActivities: number; steps: number[] }>;
  monitoring: { startActivities: number; steps: number[] };
  /** How the baseline runs its no-op activities. */
  activities: BaselineActivityKind;
}

export type BaselineActivityKind = 'ordinary' | 'local';

/** BENCH_BASELINE_ACTIVITIES: how the baseline runs its no-op activities (ordinary unless set). */
export function baselineActivityKind(value = process.env.BENCH_BASELINE_ACTIVITIES): BaselineActivityKind {
  if (value === undefined || value === '' || value === 'ordinary') return 'ordinary';
  if (value === 'local') return 'local';
  throw new Error(`BENCH_BASELINE_ACTIVITIES must be ordinary or local, not ${JSON.stringify(value)}`);
}

/** The same shape of work against the no-op baseline workflow, through the raw client. */
async function baselineLifecycle(ctx: BenchContext, plans: BaselinePlanSet, id: string, kind: Kind): Promise<void> {
  const client = ctx.stack.client;
  const run = async (workflowId: string, plan: { startActivities: number; steps: number[] }, from: number, to: number) => {
    if (from === 0) {
      await client.workflow.start('baselineLifecycleWorkflow', { taskQueue: BASELINE_TASK_QUEUE, workflowId, args: [{ startActivities: plan.startActivities, local: plans.activities === 'local' }] });
    }
    const handle = client.workflow.getHandle(workflowId);
    for (const activities of plan.steps.slice(from, to)) await handle.executeUpdate(baselineStepUpdate, { args: [{ activities }] });
  };
  const order = plans.order[kind];
  // Monitoring is booked after the balance (the order's 4th update), as in the real lifecycle.
  await run(`baseline:${id}`, order, 0, 4);
  if (kind === 'monitoring') await run(`baseline:${id}:monitoring`, plans.monitoring, 0, plans.monitoring.steps.length);
  await run(`baseline:${id}`, order, 4, order.steps.length);
}

interface RunResult {
  arrivals: number;
  completed: number;
  failures: number;
  failureSamples: string[];
  throughput: number;
  elapsedSeconds: number;
  latencyMs: ReturnType<typeof summarize>;
  maxStartLagMs: number;
  okIndexes: Set<number>;
  /** Each completed lifecycle's latency, for merging segments. */
  latencies: number[];
}

/**
 * Open model: arrival k is due at t0 + k / rate, whatever happened to the earlier ones. Arrival k is
 * lifecycle `from + k`.
 */
async function openModel(rate: number, from: number, arrivals: number, lifecycle: (i: number) => Promise<void>): Promise<RunResult> {
  const t0 = performance.now() + 200;
  const latencies: number[] = [];
  const failures: string[] = [];
  const okIndexes = new Set<number>();
  let lastDone = t0;
  let maxStartLag = 0;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < arrivals; i++) {
    const intended = t0 + (i * 1000) / rate;
    const wait = intended - performance.now();
    if (wait > 0) await sleep(wait);
    maxStartLag = Math.max(maxStartLag, performance.now() - intended);
    inFlight.push(
      lifecycle(from + i).then(
        () => {
          const done = performance.now();
          latencies.push(done - intended);
          okIndexes.add(from + i);
          lastDone = Math.max(lastDone, done);
        },
        (err: Error) => {
          if (failures.length < 200) failures.push(`#${from + i}: ${err.message}`);
          else failures.push('');
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (lastDone - t0) / 1000;
  return {
    arrivals,
    completed: latencies.length,
    failures: failures.length,
    failureSamples: failures.filter(Boolean).slice(0, 5),
    throughput: latencies.length / elapsed,
    elapsedSeconds: elapsed,
    latencyMs: summarize(latencies),
    maxStartLagMs: maxStartLag,
    okIndexes,
    latencies,
  };
}

/** Two segments of one side as one run: lifecycles over the time both took. */
function merged(a: RunResult, b: RunResult): RunResult {
  const latencies = [...a.latencies, ...b.latencies];
  const elapsedSeconds = a.elapsedSeconds + b.elapsedSeconds;
  return {
    arrivals: a.arrivals + b.arrivals,
    completed: a.completed + b.completed,
    failures: a.failures + b.failures,
    failureSamples: [...a.failureSamples, ...b.failureSamples].slice(0, 5),
    throughput: (a.completed + b.completed) / elapsedSeconds,
    elapsedSeconds,
    latencyMs: summarize(latencies),
    maxStartLagMs: Math.max(a.maxStartLagMs, b.maxStartLagMs),
    okIndexes: new Set([...a.okIndexes, ...b.okIndexes]),
    latencies,
  };
}

function cpuSum(a: CpuUse, b: CpuUse): CpuUse {
  const bySeconds: Record<string, number> = { ...a.bySeconds };
  for (const [k, v] of Object.entries(b.bySeconds)) bySeconds[k] = Math.round(((bySeconds[k] ?? 0) + v) * 100) / 100;
  return {
    totalSeconds: Math.round((a.totalSeconds + b.totalSeconds) * 100) / 100,
    bySeconds,
    wallSeconds: a.wallSeconds + b.wallSeconds,
    loadAverage: [a.loadAverage[0], b.loadAverage[1]],
  };
}

export async function lifecycle(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { stack, call } = ctx;
  const rate = Number(process.env.BENCH_RATE ?? '10');
  const durationSeconds = scaled(ctx, 20, 10);
  const arrivals = Math.round(rate * durationSeconds);
  const parties = await createParties(stack.db, 'life', 50);
  const run = Date.now().toString(36);

  // Calibration: one lifecycle of each kind, one at a time; their histories give the baseline's plan.
  ctx.log('lifecycle: calibration (one lifecycle of each kind)');
  const calibration: Record<Kind, Ids> = {} as Record<Kind, Ids>;
  for (const kind of ['happy', 'claim', 'monitoring'] as Kind[]) {
    const r = await realLifecycle(call, stack.opsKey, parties[0], `CAL-${run}-${kind}`, kind);
    calibration[kind] = r.ids;
  }
  const orderPlan = async (ids: Ids) => activityPlan(await historyOf(stack.client, orderWorkflowId(ids.orderId)));
  const plans: BaselinePlanSet = {
    order: { happy: await orderPlan(calibration.happy), claim: await orderPlan(calibration.claim), monitoring: await orderPlan(calibration.monitoring) },
    monitoring: activityPlan(await historyOf(stack.client, monitoringWorkflowId(calibration.monitoring.monitoringId as string))),
    activities: baselineActivityKind(),
  };
  ctx.log(`lifecycle: plans ${JSON.stringify(plans)}`);
  // Both sides warm up alike before anything is measured (code compiled, connections and caches
  // filled): a tenth of the arrivals each, at the same rate, not counted. A cold side would pay for
  // its warm-up in its first segment.
  const warmUp = Math.max(10, Math.round(arrivals / 10));
  ctx.log(`lifecycle: warm-up, ${warmUp} lifecycles of each side at ${rate}/s (not counted)`);
  const warmExpected: Record<Kind, string> = { happy: 'COMPLETED', claim: 'SETTLED', monitoring: 'COMPLETED' };
  const warmed = [
    await openModel(rate, 0, warmUp, (i) => baselineLifecycle(ctx, plans, `${run}-warm-${i}`, kindOf(i))),
    await openModel(rate, 0, warmUp, async (i) => {
      const { status } = await realLifecycle(call, stack.opsKey, parties[i % parties.length], `WU-${run}-${i}`, kindOf(i));
      if (status !== warmExpected[kindOf(i)]) throw new Error(`warm-up ${kindOf(i)} lifecycle ended ${status}`);
    }),
  ];
  for (const w of warmed) if (w.failures > 0) throw new Error(`lifecycle warm-up: ${w.failures} failed, e.g. ${w.failureSamples[0]}`);
  await sleep(2000);

  // Baseline and TradeGuard alternate in four segments, baseline, TradeGuard, TradeGuard, baseline
  // (half the arrivals each), so that a machine whose speed drifts during the run (a shared one)
  // weighs on both sides alike instead of on whichever ran second.
  const cpuRoot = cpuRootPid();
  const expected = warmExpected;
  const half = Math.ceil(arrivals / 2);
  // The Temporal server's requests during each segment, its tail of work after the last lifecycle
  // (workflows closing, visibility writes) included; none when the server has no metrics endpoint.
  const requests = { baseline: {} as RequestCounts, tradeguard: {} as RequestCounts, measured: true };
  const countRequests = (into: RequestCounts, from: RequestCounts | undefined, to: RequestCounts | undefined) => {
    if (from && to) addRequestsBetween(into, from, to);
    else requests.measured = false;
  };
  const segments: [number, number][] = [[0, half], [half, arrivals - half]];
  const baselineSegment = async ([from, count]: [number, number]) => {
    ctx.log(`lifecycle: baseline, lifecycles ${from} to ${from + count - 1} at ${rate}/s`);
    const requestsFrom = await requestCounts(stack.temporalMetricsUrl);
    const cpuFrom = cpuSnapshot(cpuRoot);
    const result = await openModel(rate, from, count, (i) => baselineLifecycle(ctx, plans, `${run}-${i}`, kindOf(i)));
    const cpu = cpuBetween(cpuFrom, cpuSnapshot(cpuRoot));
    await sleep(2000);
    countRequests(requests.baseline, requestsFrom, await requestCounts(stack.temporalMetricsUrl));
    return { result, cpu };
  };
  const realSegment = async ([from, count]: [number, number]) => {
    ctx.log(`lifecycle: TradeGuard through the API, lifecycles ${from} to ${from + count - 1} at ${rate}/s`);
    const requestsFrom = await requestCounts(stack.temporalMetricsUrl);
    const cpuFrom = cpuSnapshot(cpuRoot);
    const result = await openModel(rate, from, count, async (i) => {
      const kind = kindOf(i);
      const { status } = await realLifecycle(call, stack.opsKey, parties[i % parties.length], `LC-${run}-${i}`, kind);
      if (status !== expected[kind]) throw new Error(`${kind} lifecycle ended ${status}, expected ${expected[kind]}`);
    });
    const cpu = cpuBetween(cpuFrom, cpuSnapshot(cpuRoot));
    await sleep(2000);
    countRequests(requests.tradeguard, requestsFrom, await requestCounts(stack.temporalMetricsUrl));
    return { result, cpu };
  };
  const b1 = await baselineSegment(segments[0]);
  const r1 = await realSegment(segments[0]);
  const r2 = await realSegment(segments[1]);
  const b2 = await baselineSegment(segments[1]);
  const baseline = merged(b1.result, b2.result);
  const real = merged(r1.result, r2.result);
  const baselineCpu = cpuSum(b1.cpu, b2.cpu);
  const realCpu = cpuSum(r1.cpu, r2.cpu);
  const segmentRatios = [b1.result.throughput, b2.result.throughput].map((b, k) => [r1, r2][k].result.throughput / b);

  // Same work per lifecycle? Compare one history of each kind, real and baseline.
  const compare: { kind: Kind; real: EventCounts; baseline: EventCounts }[] = [];
  const realIds = Array.from({ length: arrivals }, (_, i) => i).filter((i) => real.okIndexes.has(i) && baseline.okIndexes.has(i));
  for (const kind of ['happy', 'claim', 'monitoring'] as Kind[]) {
    const i = realIds.find((k) => kindOf(k) === kind);
    if (i === undefined) continue;
    const realEvents = countEvents(await historyOf(stack.client, orderWorkflowId(`LC-${run}-${i}`)));
    const baseEvents = countEvents(await historyOf(stack.client, `baseline:${run}-${i}`));
    if (kind === 'monitoring') {
      const m = countEvents(await historyOf(stack.client, monitoringWorkflowId(`MLC-${run}-${i}`)));
      const b = countEvents(await historyOf(stack.client, `baseline:${run}-${i}:monitoring`));
      for (const k of Object.keys(m) as (keyof EventCounts)[]) {
        realEvents[k] += m[k];
        baseEvents[k] += b[k];
      }
    }
    compare.push({ kind, real: realEvents, baseline: baseEvents });
  }

  const vsBaseline = real.throughput / baseline.throughput;
  const kinds = { happy: 0, claim: 0, monitoring: 0 };
  for (let i = 0; i < arrivals; i++) kinds[kindOf(i)] += 1;
  const fmt = (r: RunResult) => [
    r.arrivals,
    r.completed,
    r.failures,
    r.throughput.toFixed(2),
    `${(r.latencyMs.p50 / 1000).toFixed(2)} s`,
    `${(r.latencyMs.p99 / 1000).toFixed(2)} s`,
    `${(r.latencyMs.max / 1000).toFixed(2)} s`,
    `${r.maxStartLagMs.toFixed(0)} ms`,
  ];
  printTable(
    `Lifecycle throughput: ${rate} arrivals/s for ${durationSeconds} s (open model; ${kinds.happy} happy, ${kinds.claim} with a claim, ${kinds.monitoring} with monitoring)`,
    ['run', 'arrivals', 'completed', 'failures', 'lifecycles/s', 'latency p50', 'p99', 'max', 'max start lag'],
    [
      [`baseline (no-op workflow, raw client, ${plans.activities} activities)`, ...fmt(baseline)],
      ['TradeGuard (API, real activities)', ...fmt(real)],
      ['  segment 1: baseline, first half', ...fmt(b1.result)],
      ['  segment 2: TradeGuard, first half', ...fmt(r1.result)],
      ['  segment 3: TradeGuard, second half', ...fmt(r2.result)],
      ['  segment 4: baseline, second half', ...fmt(b2.result)],
    ],
  );
  console.log(`ratio of each half: ${segmentRatios.map((r) => ratio(r)).join(', ')}`);
  const okFailures = real.failures === 0;
  const okRate = real.throughput >= 10;
  const okRatio = vsBaseline >= 0.7;
  printTable('Lifecycle targets', ['target', 'measured', 'result'], [
    ['failures = 0', String(real.failures), verdict(okFailures)],
    ['≥ 10 lifecycles/s', real.throughput.toFixed(2), verdict(okRate)],
    ['≥ 0.7× baseline', ratio(vsBaseline), verdict(okRatio)],
  ]);
  printTable(
    'Work per lifecycle (one history of each kind; monitoring adds its own workflow)',
    ['kind', 'events real/base', 'activities (ordinary+local) real/base', 'timers real/base', 'updates real/base', 'workflow tasks real/base'],
    compare.map((c) => [
      c.kind,
      `${c.real.events}/${c.baseline.events}`,
      `${c.real.activities}+${c.real.localActivities}/${c.baseline.activities}+${c.baseline.localActivities}`,
      `${c.real.timers}/${c.baseline.timers}`,
      `${c.real.updates}/${c.baseline.updates}`,
      `${c.real.workflowTasks}/${c.baseline.workflowTasks}`,
    ]),
  );
  const perLifecycle = (use: CpuUse, r: RunResult) => (r.completed > 0 ? use.totalSeconds / r.completed : NaN);
  const components = [...new Set([...Object.keys(realCpu.bySeconds), ...Object.keys(baselineCpu.bySeconds)])].sort();
  printTable(
    'CPU of the whole stack during each phase (every process under the run; seconds)',
    ['phase', 'total', 'per completed lifecycle', 'load avg (start, end)', ...components],
    [
      ['baseline', baselineCpu.totalSeconds.toFixed(1), `${(perLifecycle(baselineCpu, baseline) * 1000).toFixed(0)} ms`, baselineCpu.loadAverage.map((l) => l.toFixed(1)).join(', '), ...components.map((c) => (baselineCpu.bySeconds[c] ?? 0).toFixed(1))],
      ['TradeGuard', realCpu.totalSeconds.toFixed(1), `${(perLifecycle(realCpu, real) * 1000).toFixed(0)} ms`, realCpu.loadAverage.map((l) => l.toFixed(1)).join(', '), ...components.map((c) => (realCpu.bySeconds[c] ?? 0).toFixed(1))],
    ],
  );
  // A slow segment either cost more CPU per lifecycle, or had fewer of the machine's CPUs (the stack's
  // CPU seconds per wall second, against the machine's count): the two tell a heavier run from a busier machine.
  const segmentCpu = [
    { segment: '1: baseline, first half', result: b1.result, cpu: b1.cpu },
    { segment: '2: TradeGuard, first half', result: r1.result, cpu: r1.cpu },
    { segment: '3: TradeGuard, second half', result: r2.result, cpu: r2.cpu },
    { segment: '4: baseline, second half', result: b2.result, cpu: b2.cpu },
  ].map(({ segment, result, cpu }) => ({
    segment,
    lifecyclesPerSecond: result.throughput,
    cpuPerLifecycleMs: perLifecycle(cpu, result) * 1000,
    cpusBusy: cpu.wallSeconds > 0 ? cpu.totalSeconds / cpu.wallSeconds : NaN,
    loadAverage: cpu.loadAverage,
  }));
  printTable(
    `CPU by segment (the stack's CPU seconds per wall second, of ${os.cpus().length} CPUs)`,
    ['segment', 'lifecycles/s', 'CPU per lifecycle', 'CPUs busy', 'load avg (start, end)'],
    segmentCpu.map((s) => [s.segment, s.lifecyclesPerSecond.toFixed(2), `${s.cpuPerLifecycleMs.toFixed(0)} ms`, s.cpusBusy.toFixed(2), s.loadAverage.map((l) => l.toFixed(1)).join(', ')]),
  );
  // The baseline runs no API and no database of its own: the same CPU ratio without them shows how much
  // of the gap is Temporal's side of the work (dev server or cluster, workers) and how much is theirs.
  const outsideBaseline = ['API', 'PostgreSQL (TradeGuard)'];
  const cpuPerLifecycle = (use: CpuUse, r: RunResult, skip: string[]) =>
    Object.entries(use.bySeconds).reduce((sum, [c, s]) => (skip.includes(c) ? sum : sum + s), 0) / r.completed;
  const cpuRatio = cpuPerLifecycle(baselineCpu, baseline, []) / cpuPerLifecycle(realCpu, real, []);
  const cpuRatioWithout = cpuPerLifecycle(baselineCpu, baseline, outsideBaseline) / cpuPerLifecycle(realCpu, real, outsideBaseline);
  const measuredDb = 'PostgreSQL (TradeGuard)' in realCpu.bySeconds;
  printTable('CPU per lifecycle, baseline ÷ TradeGuard', ['what is counted', 'ratio'], [
    ['every process of the run', ratio(cpuRatio)],
    [measuredDb ? "without the API and TradeGuard's PostgreSQL (the baseline has neither)" : 'without the API (the baseline has none; PostgreSQL is not a process of the run)', ratio(cpuRatioWithout)],
  ]);
  const requestRows = requests.measured && baseline.completed > 0 && real.completed > 0
    ? requestsPerLifecycle(requests.baseline, baseline.completed, requests.tradeguard, real.completed)
    : undefined;
  if (requestRows) {
    printTable(
      "Temporal server requests per completed lifecycle (its frontend's requests and its visibility writes, from its metrics)",
      ['series', 'baseline', 'TradeGuard', 'difference'],
      requestRows.map((r) => [r.series, r.baseline.toFixed(2), r.tradeguard.toFixed(2), (r.tradeguard - r.baseline).toFixed(2)]),
    );
  } else console.log('Temporal server requests: not counted (the server serves no metrics to this run)');
  for (const f of real.failureSamples) console.log(`  failure ${f}`);
  return {
    workerProcesses: stack.workerPids.length,
    cpu: {
      baseline: { ...baselineCpu, perLifecycleSeconds: perLifecycle(baselineCpu, baseline) },
      tradeguard: { ...realCpu, perLifecycleSeconds: perLifecycle(realCpu, real) },
    },
    rate,
    durationSeconds,
    kinds,
    plans,
    baselineActivities: plans.activities,
    baseline: { ...baseline, okIndexes: undefined, latencies: undefined },
    tradeguard: { ...real, okIndexes: undefined, latencies: undefined },
    ratioToBaseline: vsBaseline,
    order: 'baseline, TradeGuard, TradeGuard, baseline (half the arrivals each)',
    segmentThroughput: {
      baseline: [b1.result.throughput, b2.result.throughput],
      tradeguard: [r1.result.throughput, r2.result.throughput],
      ratiosOfHalves: segmentRatios,
    },
    cpuRatioToBaseline: { all: cpuRatio, withoutApiAndDatabase: cpuRatioWithout },
    cpuBySegment: segmentCpu,
    targets: { failures: { target: 0, pass: okFailures }, lifecyclesPerSecond: { target: 10, pass: okRate }, ratioToBaseline: { target: 0.7, pass: okRatio } },
    workPerLifecycle: compare,
    temporalRequestsPerLifecycle: requestRows ?? null,
  };
}
