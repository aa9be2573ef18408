/**
 * `npm run bench`: starts a fresh stack (Temporal dev server, PostgreSQL, worker and API processes),
 * runs the benchmarks, prints a table for each and writes bench/results/<name>.json.
 *
 *   BENCH_SCALE=0.05 npm run bench          # everything, small
 *   BENCH_ONLY=api-overhead,history npm run bench
 *
 * Every speed target is printed as a ratio against a baseline measured in the same run.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { apiOverhead } from './api-overhead';
import type { BenchContext } from './context';
import { history } from './history';
import { apiClient } from './http';
import { lifecycle } from './lifecycle';
import { machine, writeResult } from './report';
import { scale as scaleBench } from './scale';
import { searchAttributes } from './search-attributes';
import { startBenchStack } from './stack';
import { selfCheck } from './self-check';
import { timers } from './timers';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<Record<string, unknown>>> = {
  'api-overhead': apiOverhead,
  lifecycle,
  'search-attributes': searchAttributes,
  history,
  scale: scaleBench,
  timers,
  'self-check': selfCheck,
};

async function main(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`BENCH_SCALE=${process.env.BENCH_SCALE} is not a positive number`);
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  const selected = only.length > 0 ? Object.keys(BENCHMARKS).filter((n) => only.includes(n)) : Object.keys(BENCHMARKS);

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const began = Date.now();
  const log = (line: string) => console.log(`[${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const host = machine();
  console.log(`TradeGuard benchmarks, ${new Date(began).toISOString()}`);
  console.log(`machine: ${host.nproc} CPU(s), ${host.memoryGiB} GiB, ${host.cpuModel}; Node ${host.node}`);
  console.log(`BENCH_SCALE=${scale}; benchmarks: ${selected.join(', ')}`);
  if (scale >= 1) console.log('A full run (BENCH_SCALE=1) took about 12.5 minutes on a shared 2-CPU machine (see README, Benchmarks).');

  const stack = await startBenchStack(log);
  // Interrupted (Ctrl-C, or npm run cluster stopping): stop what the stack started before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the stack`);
      void stack.stop().finally(() => process.exit(130));
    });
  }
  log(`stack up: ${stack.temporalKind} on ${stack.temporalAddress}, API ${stack.apiUrl}, ${stack.databaseKind}`);
  const ctx: BenchContext = { stack, call: apiClient(stack.apiUrl), scale, log };
  let failed = false;
  try {
    for (const name of selected) {
      log(`--- ${name}`);
      const started = Date.now();
      try {
        const result = await BENCHMARKS[name](ctx);
        const file = writeResult(name, {
          benchmark: name,
          ranAt: new Date(started).toISOString(),
          durationSeconds: Math.round((Date.now() - started) / 100) / 10,
          scale,
          machine: host,
          stack: { temporal: stack.temporalKind, database: stack.databaseKind, worker: `${stack.workerPids.length} separate process(es)`, api: 'separate process' },
          ...result,
        });
        log(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s; results in ${file}`);
      } catch (err) {
        failed = true;
        console.error(`${name} failed: ${(err as Error).stack ?? err}`);
      }
    }
  } finally {
    log('stopping the stack');
    await stack.stop();
  }
  log(`all done in ${((Date.now() - began) / 1000).toFixed(0)} s`);
  if (failed) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
