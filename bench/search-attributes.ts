/**
 * What one search attribute upsert costs the Temporal server. An order upserts its status (and its
 * next deadline) on each change that moves them, where the lifecycle benchmark's baseline upserts
 * nothing. Here the same Updates go to a minimal workflow (searchAttributeProbeWorkflow) that only
 * counts them, with and without one upsert of TradeGuardStatus each, in four segments (plain,
 * upsert, upsert, plain, after a warm-up of each) so that a drift in the machine's speed weighs on
 * both alike. The difference in the server's CPU per Update is what one upsert costs it, its
 * visibility write included.
 */
import { performance } from 'node:perf_hooks';
import { BenchContext, pool, scaled, sleep } from './context';
import { cpuBetween, cpuRootPid, cpuSnapshot, serverSeconds } from './cpu';
import { printTable } from './report';
import { BASELINE_TASK_QUEUE } from './stack';
import { probeFinishUpdate, probeStepUpdate } from './baseline.workflows';
import { addRequestsBetween, RequestCounts, requestCounts } from './temporal-requests';

/** Updates per probe workflow before the one that ends it. */
const STEPS = 8;
const CONCURRENCY = 16;

interface Side {
  steps: number;
  wallSeconds: number;
  serverSeconds: number;
  totalSeconds: number;
  visibilityWrites?: number;
}

async function segment(ctx: BenchContext, label: string, upsert: boolean, workflows: number): Promise<Side> {
  const client = ctx.stack.client;
  const ids = Array.from({ length: workflows }, (_, i) => `probe:${label}:${i}`);
  const requestsFrom = await requestCounts(ctx.stack.temporalMetricsUrl);
  const cpuFrom = cpuSnapshot(cpuRootPid());
  const began = performance.now();
  await pool(ids, CONCURRENCY, async (workflowId) => {
    const handle = await client.workflow.start('searchAttributeProbeWorkflow', { taskQueue: BASELINE_TASK_QUEUE, workflowId, args: [{ upsert }] });
    for (let s = 0; s < STEPS; s++) await handle.executeUpdate(probeStepUpdate);
    const revision = await handle.executeUpdate(probeFinishUpdate);
    if (revision !== STEPS) throw new Error(`${workflowId} answered revision ${revision} after ${STEPS} steps`);
    await handle.result();
  });
  const wallSeconds = (performance.now() - began) / 1000;
  // The visibility writes trail the Updates: both sides wait alike before the CPU is read.
  await sleep(1000);
  const cpu = cpuBetween(cpuFrom, cpuSnapshot(cpuRootPid()));
  const requestsTo = await requestCounts(ctx.stack.temporalMetricsUrl);
  const visibility: RequestCounts = {};
  if (requestsFrom && requestsTo) addRequestsBetween(visibility, requestsFrom, requestsTo);
  return {
    steps: workflows * STEPS,
    wallSeconds,
    serverSeconds: serverSeconds(cpu),
    totalSeconds: cpu.totalSeconds,
    ...(requestsFrom && requestsTo ? { visibilityWrites: visibility['visibility UpsertWorkflowExecution'] ?? 0 } : {}),
  };
}

function add(a: Side, b: Side): Side {
  return {
    steps: a.steps + b.steps,
    wallSeconds: a.wallSeconds + b.wallSeconds,
    serverSeconds: a.serverSeconds + b.serverSeconds,
    totalSeconds: a.totalSeconds + b.totalSeconds,
    ...(a.visibilityWrites !== undefined && b.visibilityWrites !== undefined ? { visibilityWrites: a.visibilityWrites + b.visibilityWrites } : {}),
  };
}

const perStepMs = (seconds: number, side: Side) => (seconds * 1000) / side.steps;

export async function searchAttributes(ctx: BenchContext): Promise<Record<string, unknown>> {
  const workflows = scaled(ctx, 150, 20);
  const run = Date.now().toString(36);
  ctx.log(`search-attributes: warm-up, ${Math.ceil(workflows / 5)} probe workflows of each kind (not counted)`);
  await segment(ctx, `${run}-warm-plain`, false, Math.ceil(workflows / 5));
  await segment(ctx, `${run}-warm-upsert`, true, Math.ceil(workflows / 5));
  const segments: { upsert: boolean; side: Side }[] = [];
  for (const [i, upsert] of [false, true, true, false].entries()) {
    ctx.log(`search-attributes: segment ${i + 1}, ${workflows} workflows × ${STEPS} Updates ${upsert ? 'each upserting TradeGuardStatus' : 'without upserts'}`);
    segments.push({ upsert, side: await segment(ctx, `${run}-${i}`, upsert, workflows) });
  }
  const plain = add(segments[0].side, segments[3].side);
  const upserting = add(segments[1].side, segments[2].side);
  const row = (label: string, s: Side) => [
    label,
    s.steps,
    (s.steps / s.wallSeconds).toFixed(0),
    `${perStepMs(s.serverSeconds, s).toFixed(2)} ms`,
    `${perStepMs(s.totalSeconds, s).toFixed(2)} ms`,
    s.visibilityWrites === undefined ? 'not measured' : (s.visibilityWrites / s.steps).toFixed(2),
  ];
  printTable(
    `Search attribute upserts: ${workflows} probe workflows × ${STEPS} Updates per segment, ${CONCURRENCY} at once`,
    ['segment', 'Updates', 'Updates/s', 'server CPU per Update', 'whole stack CPU per Update', 'visibility writes per Update'],
    [
      ...segments.map((s, i) => row(`${i + 1}: ${s.upsert ? 'one upsert each' : 'no upsert'}`, s.side)),
      row('no upsert (segments 1 and 4)', plain),
      row('one upsert each (segments 2 and 3)', upserting),
    ],
  );
  const plainServerMs = perStepMs(plain.serverSeconds, plain);
  const upsertServerMs = perStepMs(upserting.serverSeconds, upserting);
  const upsertCostMs = upsertServerMs - plainServerMs;
  const upsertStackCostMs = perStepMs(upserting.totalSeconds, upserting) - perStepMs(plain.totalSeconds, plain);
  console.log(
    `one upsert costs the Temporal server ${upsertCostMs.toFixed(2)} ms of CPU (${(upsertCostMs / plainServerMs).toFixed(2)}× an Update without one), ` +
      `the whole stack ${upsertStackCostMs.toFixed(2)} ms`,
  );
  return {
    workflows,
    stepsPerWorkflow: STEPS,
    concurrency: CONCURRENCY,
    segments: segments.map((s) => ({ upsert: s.upsert, ...s.side })),
    plain,
    upsert: upserting,
    serverCpuPerUpdateMs: { plain: plainServerMs, upsert: upsertServerMs },
    upsertServerCostMs: upsertCostMs,
    upsertStackCostMs,
    upsertCostToUpdate: upsertCostMs / plainServerMs,
  };
}
