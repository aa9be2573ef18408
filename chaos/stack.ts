/**
 * The stack a chaos run breaks, started fresh for the run in a temporary folder: embedded PostgreSQL
 * (stopped and started again on the same data folder and port), a Temporal dev server with its
 * history in a SQLite file (restarted on the same file and port) or, with CHAOS_TEMPORAL_ADDRESS, an
 * existing multi-service Temporal server whose services the parent process (`npm run cluster`)
 * restarts when asked over IPC, a real SMTP server on 127.0.0.1, the worker (CHAOS_WORKERS child
 * processes, default 1; killed with SIGKILL and started again), and in this process the
 * mail relay and the API over HTTP, with the embedded sandbox card gateway whose charges the checks
 * count; and, for experiment (e), mail relays as child processes (`npm run mail-relay`) to kill.
 */
import { ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createMailer } from '../adapters/mailer';
import { SandboxCardGateway } from '../adapters/payments';
import { LocalFileStorage } from '../adapters/storage';
import { createApp } from '../api/app';
import { createHealthCheck } from '../api/health';
import { createApiKey } from '../api/keys';
import { DEFAULT_REQUEST_LIMITS } from '../api/limits';
import { Db, createDb } from '../infra/db';
import { EmbeddedDatabase, startEmbeddedDatabase } from '../infra/embedded-db';
import { applyMigrations } from '../infra/migrate';
import { projectRoot } from '../infra/paths';
import { ensureTemporalCli } from '../infra/temporal-binaries';
import { DevServer, freePort, startTemporalDevServer } from '../infra/temporal-dev-server';
import { startMailRelay } from '../worker/mail-relay';
import { workflowsPath } from '../worker/worker';
import { startSmtpServer } from '../test/support/smtp';
import { SEARCH_ATTRIBUTES } from '../workflows/common';

export const TASK_QUEUE = 'tradeguard-chaos';
export const DEADLINE_TASK_QUEUE = 'tradeguard-chaos-deadlines';

type Log = (line: string) => void;

/** What the sandbox gateways of the chaos run's processes were asked to charge, from their journal. */
export function chargeCalls(journal: string): { idempotencyKey: string; status: string }[] {
  if (!fs.existsSync(journal)) return [];
  return fs
    .readFileSync(journal, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { kind: string; idempotencyKey: string; status: string })
    .filter((e) => e.kind === 'charge');
}

export async function startChaosStack(log: Log) {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: Error) => log(`while stopping: ${err.message}`));
  };
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-chaos-'));
    fs.chmodSync(dir, 0o755);
    stops.push(async () => fs.rmSync(dir, { recursive: true, force: true }));

    const smtp = await startSmtpServer();
    stops.push(smtp.stop);

    const pgPort = await freePort();
    const pgOptions = { dataDir: path.join(dir, 'postgres'), port: pgPort, database: 'tradeguard' };
    log(`starting embedded PostgreSQL on 127.0.0.1:${pgPort}`);
    let pg: EmbeddedDatabase | undefined = await startEmbeddedDatabase(pgOptions);
    const databaseUrl = pg.url;
    stops.push(async () => pg?.stop());
    await applyMigrations(databaseUrl);

    const existingTemporal = process.env.CHAOS_TEMPORAL_ADDRESS;
    let temporal: DevServer | undefined;
    let temporalAddress: string;
    let restartTemporalServices: (services: string[], downMs: number, signal?: 'SIGTERM' | 'SIGKILL') => Promise<void>;
    if (existingTemporal) {
      if (!process.send) throw new Error('CHAOS_TEMPORAL_ADDRESS needs a parent process that restarts the Temporal services (npm run cluster)');
      temporalAddress = existingTemporal;
      log(`using the Temporal server at ${temporalAddress}`);
      restartTemporalServices = (services, downMs, signal = 'SIGTERM') => askParentToRestart(services, downMs, signal);
    } else {
      const temporalPort = await freePort();
      const temporalOptions = {
        cliPath: ensureTemporalCli(log),
        dbFile: path.join(dir, 'temporal.db'),
        port: temporalPort,
        headless: true,
        searchAttributes: SEARCH_ATTRIBUTES,
      };
      log(`starting Temporal dev server on 127.0.0.1:${temporalPort} (history in ${temporalOptions.dbFile})`);
      temporal = await startTemporalDevServer(temporalOptions);
      stops.push(async () => temporal?.stop());
      temporalAddress = temporal.address;
      // The dev server is one process: any service restarts with all the others.
      restartTemporalServices = async (_services, downMs) => {
        await temporal?.stop();
        temporal = undefined;
        await sleep(downMs);
        temporal = await startTemporalDevServer(temporalOptions);
      };
    }

    log('bundling the workflows once for every worker start');
    const bundle = path.join(dir, 'workflows.bundle.js');
    fs.writeFileSync(bundle, (await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietBundler })).code);
    const deadlineBundle = path.join(dir, 'deadlines.bundle.js');
    fs.writeFileSync(deadlineBundle, (await bundleWorkflowCode({ workflowsPath: require.resolve('../bench/baseline.workflows'), logger: quietBundler })).code);

    const db: Db = createDb(databaseUrl);
    stops.push(() => db.$disconnect());
    const opsKey = (await createApiKey(db, { name: 'chaos ops', role: 'ops' })).key;

    const paymentsJournal = path.join(dir, 'payments.jsonl');
    const workerEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress,
      DATABASE_URL: databaseUrl,
      TRADEGUARD_DATA_DIR: path.join(dir, 'data'),
      TRADEGUARD_TASK_QUEUE: TASK_QUEUE,
      CHAOS_DEADLINE_TASK_QUEUE: DEADLINE_TASK_QUEUE,
      CHAOS_BUNDLE: bundle,
      CHAOS_DEADLINE_BUNDLE: deadlineBundle,
      // The workers charge cards: each one's sandbox gateway appends what it was asked to one journal.
      SANDBOX_PAYMENTS_JOURNAL: paymentsJournal,
    };
    const workerLog = path.join(dir, 'worker.log');
    const workerCount = Number(process.env.CHAOS_WORKERS ?? '1');
    if (!Number.isInteger(workerCount) || workerCount < 1) throw new Error(`CHAOS_WORKERS=${process.env.CHAOS_WORKERS} is not a positive whole number`);
    const workers: (ChildProcess | undefined)[] = new Array(workerCount).fill(undefined);
    let workerStarts = 0;
    const running = (child: ChildProcess | undefined): child is ChildProcess => Boolean(child) && child!.exitCode === null && child!.signalCode === null;
    /** Starts the worker in every slot where none runs (after a kill, the one that was killed). */
    const startWorker = async () => {
      await Promise.all(workers.map(async (current, slot) => {
        if (running(current)) return;
        const out = fs.openSync(workerLog, 'a');
        const child = fork(path.join(projectRoot, 'chaos', 'worker-process.ts'), [], { env: workerEnv, execArgv: ['--import', 'tsx'], stdio: ['ignore', out, out, 'ipc'], cwd: projectRoot });
        fs.closeSync(out);
        workers[slot] = child;
        workerStarts++;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the worker did not start within 120 s:\n${tail(workerLog)}`)), 120_000);
          child.on('message', (m: { type?: string }) => {
            if (m?.type === 'ready') {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once('exit', (code, signal) => {
            clearTimeout(timer);
            reject(new Error(`the worker exited (${code ?? signal}) while starting:\n${tail(workerLog)}`));
          });
        });
      }));
    };
    /** SIGKILL of one worker process (of several, the one in `slot`): no shutdown, no finished activities, no goodbye to the server. */
    const killWorker = async (slot = 0) => {
      const child = workers[slot % workerCount];
      if (!running(child)) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    };
    stops.push(async () => {
      await Promise.all(workers.map(async (child) => {
        if (!running(child)) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }));
    });
    log(`starting ${workerCount} worker process${workerCount > 1 ? 'es' : ''}`);
    await startWorker();

    // The mail relay runs here, beside the API, and sends what the worker's activities put in the
    // outbox; experiment (a) kills the worker, not this relay ((e) kills relays of its own).
    const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: path.join(dir, 'mail'), from: 'TradeGuard <no-reply@tradeguard.local>' });
    const relay = startMailRelay({ db, mailer, queue: TASK_QUEUE, log: (line) => log(line) });
    stops.push(async () => {
      await relay.stop();
      mailer.close();
    });

    const connection = await Connection.connect({ address: temporalAddress });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const payments = new SandboxCardGateway(paymentsJournal);
    const storageDir = path.join(dir, 'files');
    const health = createHealthCheck({ client, db, address: temporalAddress, namespace: 'default', taskQueue: TASK_QUEUE });
    const app = createApp({
      client,
      db,
      taskQueue: TASK_QUEUE,
      health,
      storage: new LocalFileStorage(storageDir),
      payments,
      limits: { ...DEFAULT_REQUEST_LIMITS, ratePerMinute: 1_000_000, burst: 1_000_000 },
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    stops.push(() => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
    const apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    // Relays as child processes (experiment (e) kills them), each on the queue it is given.
    const relayLog = path.join(dir, 'relay.log');
    const relayChildren = new Set<ChildProcess>();
    const startRelayProcess = (queue: string, leaseMs: number): ChildProcess => {
      const out = fs.openSync(relayLog, 'a');
      const child = fork(path.join(projectRoot, 'worker', 'mail-relay-main.ts'), [], {
        env: { ...workerEnv, SMTP_URL: smtp.url, TRADEGUARD_TASK_QUEUE: queue, MAIL_RELAY_LEASE_MS: String(leaseMs) },
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', out, out, 'ipc'],
        cwd: projectRoot,
      });
      fs.closeSync(out);
      relayChildren.add(child);
      child.once('exit', () => relayChildren.delete(child));
      return child;
    };
    stops.push(async () => {
      for (const child of relayChildren) child.kill('SIGKILL');
    });

    return {
      dir,
      apiUrl,
      startRelayProcess,
      relayLog,
      temporalAddress,
      databaseUrl,
      client,
      db,
      opsKey,
      payments,
      chargeCalls: () => chargeCalls(paymentsJournal),
      mail: smtp.messages,
      workerLog,
      workerStarts: () => workerStarts,
      startWorker,
      killWorker,
      workerCount,
      /** Whether Temporal's services are separate processes (a cluster) rather than one dev server. */
      temporalServicesSeparate: Boolean(existingTemporal),
      /** Stops every Temporal service (the dev server, or each service of the cluster) and starts it again. */
      async restartTemporal(downMs: number) {
        await restartTemporalServices(['frontend', 'history', 'matching', 'worker'], downMs);
      },
      /**
       * Stops the given Temporal services (SIGTERM: a graceful stop; SIGKILL: a crash) and starts them
       * again after `downMs` (the dev server: all of it).
       */
      restartTemporalServices,
      /** Stops PostgreSQL for `downMs` and starts it again on the same data folder and port. */
      async stopDatabaseFor(downMs: number, onStopped?: () => void) {
        await pg?.stop();
        pg = undefined;
        onStopped?.();
        await sleep(downMs);
        pg = await startEmbeddedDatabase(pgOptions);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type ChaosStack = Awaited<ReturnType<typeof startChaosStack>>;

let restartRequests = 0;

/** Asks the parent (`npm run cluster`), which runs the Temporal services, to restart some of them; resolves when they serve again. */
function askParentToRestart(services: string[], downMs: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const id = ++restartRequests;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error(`the Temporal services ${services.join(', ')} were not restarted within 180 s`));
    }, 180_000);
    const onMessage = (m: { type?: string; id?: number; error?: string }) => {
      if (m?.type !== 'temporal-restarted' || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (m.error) reject(new Error(m.error));
      else resolve();
    };
    process.on('message', onMessage);
    process.send!({ type: 'restart-temporal', id, services, downMs, signal });
  });
}

const quietBundler = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
  log: () => undefined,
};

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}
