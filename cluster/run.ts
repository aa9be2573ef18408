/**
 * `npm run cluster`: TradeGuard's lifecycle benchmark and chaos experiments on a multi-service
 * Temporal server with PostgreSQL persistence, on this machine.
 *
 *  1. the Temporal server and temporal-sql-tool, built from the Go module once and cached under
 *     `.tools/temporal-cluster/` (cluster/provision.ts);
 *  2. the cluster in a temporary folder: embedded PostgreSQL, schemas, frontend, history, matching
 *     and worker as separate processes, namespace and search attributes (cluster/server.ts);
 *  3. `npm run bench` (BENCH_ONLY=lifecycle by default) against it with CLUSTER_WORKERS worker
 *     processes, its CPU measured over every process of the run, this one's children included;
 *  4. `npm run chaos` against it with CLUSTER_WORKERS workers, experiment (f) restarting the history
 *     service and (b) every service, which this process does when the chaos run asks over IPC.
 *
 *   npm run cluster
 *   CLUSTER_RUN=chaos CHAOS_ONLY=f npm run cluster
 *   CLUSTER_WORKERS=3 CHAOS_SCALE=1 npm run cluster
 *
 * Everything it started is stopped on exit and on Ctrl-C.
 */
import { ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../infra/paths';
import { TEMPORAL_SERVICES, TemporalService } from './config';
import { ensureClusterBinaries } from './provision';
import { TemporalCluster, startTemporalCluster } from './server';

const began = Date.now();
function log(line: string): void {
  console.log(`[cluster ${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}`);
}

interface RestartRequest {
  type?: string;
  id?: number;
  services?: string[];
  downMs?: number;
  signal?: 'SIGTERM' | 'SIGKILL';
}

let cluster: TemporalCluster | undefined;
let dir: string | undefined;
let current: ChildProcess | undefined;
let stopping: Promise<void> | undefined;

function stopEverything(): Promise<void> {
  stopping ??= (async () => {
    if (current && current.exitCode === null && current.signalCode === null) {
      const exited = new Promise<void>((resolve) => current!.once('exit', () => resolve()));
      current.kill('SIGINT');
      const timer = setTimeout(() => current?.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    log('stopping the Temporal services and their PostgreSQL');
    await cluster?.stop();
    if (dir && !process.env.CLUSTER_KEEP_DIR) fs.rmSync(dir, { recursive: true, force: true });
  })();
  return stopping;
}

/** Runs a TypeScript entry point as a child (its output is this process's), answering its restart requests. */
function runChild(entry: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = fork(path.join(projectRoot, entry), [], { env: { ...process.env, ...env }, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: projectRoot });
    current = child;
    child.on('message', (m: RestartRequest) => {
      if (m?.type !== 'restart-temporal') return;
      const services = (m.services ?? []).filter((s): s is TemporalService => (TEMPORAL_SERVICES as readonly string[]).includes(s));
      const what = `${services.join(', ')} (${m.signal === 'SIGKILL' ? 'killed' : 'stopped'}, down ${((m.downMs ?? 0) / 1000).toFixed(1)} s)`;
      log(`restarting Temporal ${what}`);
      cluster!
        .restart(services, m.downMs ?? 0, m.signal)
        .then(() => {
          log(`Temporal ${services.join(', ')} serving again`);
          child.send({ type: 'temporal-restarted', id: m.id });
        })
        .catch((err: Error) => child.send({ type: 'temporal-restarted', id: m.id, error: err.message }));
    });
    child.once('exit', (code, signal) => {
      current = undefined;
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function main(): Promise<void> {
  const workers = Number(process.env.CLUSTER_WORKERS ?? '2');
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`CLUSTER_WORKERS=${process.env.CLUSTER_WORKERS} is not a positive whole number`);
  const parts = (process.env.CLUSTER_RUN ?? 'bench,chaos').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = parts.filter((p) => p !== 'bench' && p !== 'chaos');
  if (unknown.length > 0) throw new Error(`CLUSTER_RUN: unknown part(s) ${unknown.join(', ')}; choose from bench, chaos`);
  console.log(`TradeGuard on a Temporal cluster, ${new Date(began).toISOString()}; ${os.cpus().length} CPU(s), Node ${process.version}`);

  const binaries = ensureClusterBinaries(log);
  log(`Temporal server ${binaries.server}`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-cluster-'));
  // As root, PostgreSQL runs as the postgres user, which must enter this folder.
  fs.chmodSync(dir, 0o755);
  cluster = await startTemporalCluster({ dir, binaries, log });
  log(`cluster up at ${cluster.address} in ${((Date.now() - began) / 1000).toFixed(0)} s: ${cluster.description}; logs in ${dir}`);

  const results: Record<string, number> = {};
  if (parts.includes('bench')) {
    log(`--- benchmark (${process.env.BENCH_ONLY ?? 'lifecycle'}, ${workers} worker processes)`);
    results.bench = await runChild('bench/run.ts', {
      BENCH_TEMPORAL_ADDRESS: cluster.address,
      BENCH_TEMPORAL_KIND: cluster.description,
      BENCH_WORKERS: String(workers),
      BENCH_ONLY: process.env.BENCH_ONLY ?? 'lifecycle',
      BENCH_CPU_ROOT_PID: String(process.pid),
      BENCH_RESULTS_SUFFIX: process.env.BENCH_RESULTS_SUFFIX ?? '-cluster',
    });
  }
  if (parts.includes('chaos') && !stopping) {
    log(`--- chaos (${workers} worker processes)`);
    results.chaos = await runChild('chaos/run.ts', {
      CHAOS_TEMPORAL_ADDRESS: cluster.address,
      CHAOS_TEMPORAL_KIND: cluster.description,
      CHAOS_WORKERS: String(workers),
      CHAOS_SCALE: process.env.CHAOS_SCALE ?? '0.25',
    });
  }
  await stopEverything();
  const failed = Object.entries(results).filter(([, code]) => code !== 0);
  log(`done in ${((Date.now() - began) / 1000).toFixed(0)} s: ${Object.entries(results).map(([part, code]) => `${part} ${code === 0 ? 'passed' : `failed (exit ${code})`}`).join(', ')}`);
  if (failed.length > 0) process.exitCode = 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void stopEverything().finally(() => process.exit(130));
  });
}

main().catch(async (err: Error) => {
  console.error(err);
  await stopEverything().catch(() => undefined);
  process.exit(1);
});
