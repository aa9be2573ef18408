/**
 * The main job's composition root (`npm start`): database, Temporal, worker, mail relay and API wired
 * together, each embedded unless configured. It sits beside its entry point, not in infra/: the
 * migration and API-key scripts need only the database (infra/database.ts), not the whole app.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { carrierFromEnv } from '../adapters/carrier-http';
import { paymentGatewayFromEnv } from '../adapters/payments';
import { createMailer } from '../adapters/mailer';
import { startMailRelay } from '../worker/mail-relay';
import { storageFromEnv } from '../adapters/storage';
import { createApp } from '../api/app';
import { type ErrorBody, RETRY_AFTER_SECONDS } from '../api/errors';
import { requestLimitsFromEnv, trustProxyFromEnv } from '../api/limits';
import { createHealthCheck } from '../api/health';
import { ApiMetrics } from '../api/observability';
import { createApiKey, keyCacheTtlFromEnv } from '../api/keys';
import { createTradeGuardWorker } from '../worker/worker';
import type { TradeGuardConfig } from '../infra/config';
import { Db, createDb } from '../infra/db';
import { openDatabase } from '../infra/database';
import { type Logger, lineLogger } from '../infra/logger';
import { ensureTemporalCli } from '../infra/temporal-binaries';
import { connectClient, connectWorker, ensureSearchAttributes, temporalSettingsFromEnv } from '../infra/temporal-connection';
import { startTemporalDevServer } from '../infra/temporal-dev-server';
import { installTemporalRuntime } from '../infra/temporal-runtime';
import { tracingFromEnv } from '../infra/tracing';
import { ensureSelfCheckSchedule, selfCheckTimeFromEnv } from '../infra/schedules';
import { SEARCH_ATTRIBUTES } from '../workflows/common';

type Log = (line: string) => void;

export interface RunningStack {
  apiUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  databaseUrl: string;
  /** The embedded PostgreSQL's data folder (unset with DATABASE_URL). */
  databaseDataDir?: string;
  opsKeyFile?: string;
  stop(): Promise<void>;
}

/** How long requests under way when the stack stops may take to finish, against Temporal and the database still up. */
const REQUEST_GRACE_MS = 5000;

/**
 * The whole main job: database, Temporal, worker and API, each embedded unless configured.
 * It installs the process's Temporal Runtime (logger, worker metrics), so it runs once per process.
 * The caller handles signals: the embedded servers run in process groups of their own, so a terminal's
 * Ctrl-C reaches only the caller, and stop() ends them after what depends on them. An aborted
 * `signal` (Ctrl-C while starting) stops what was started and rejects.
 */
export async function startStack(config: TradeGuardConfig, logger: Logger, signal?: AbortSignal): Promise<RunningStack> {
  const log: Log = lineLogger(logger);
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) {
      await s().catch((err: Error) => log(`while stopping: ${err.message}`));
    }
  };
  try {
    installTemporalRuntime({ logger, metricsAddress: config.temporalMetricsAddress, handleSignals: false });
    const tracing = tracingFromEnv(process.env, 'tradeguard');
    if (tracing) stoppers.push(() => tracing.shutdown());
    fs.mkdirSync(config.dataDir, { recursive: true });
    const database = await openDatabase(config, log, { ownProcessGroup: true });
    stoppers.push(database.stop);
    signal?.throwIfAborted();
    const db: Db = createDb(database.url);
    stoppers.push(() => db.$disconnect());

    let address = config.temporalAddress;
    let uiUrl: string | undefined;
    if (!address) {
      const cliPath = ensureTemporalCli(log);
      log(`starting Temporal dev server on 127.0.0.1:${config.temporalPort} (history in ${path.join(config.dataDir, 'temporal.db')})`);
      const server = await startTemporalDevServer({
        cliPath,
        dbFile: path.join(config.dataDir, 'temporal.db'),
        port: config.temporalPort,
        uiPort: config.temporalUiPort,
        searchAttributes: SEARCH_ATTRIBUTES,
        ownProcessGroup: true,
      });
      stoppers.push(server.stop);
      signal?.throwIfAborted();
      address = server.address;
      uiUrl = server.uiUrl;
    }
    const settings = temporalSettingsFromEnv(process.env, address);
    await ensureSearchAttributes(settings, log);

    const opsKeyFile = await bootstrapOpsKey(db, config, log);

    const mailer = createMailer({ smtpUrl: config.smtpUrl, outboxDir: config.outboxDir, from: config.mailFrom, log });
    stoppers.push(async () => mailer.close());
    // The mail relay sends the outbox the activities write (stopped after the worker, so it sends their last rows).
    const relay = startMailRelay({ db, mailer, queue: config.taskQueue, log });
    stoppers.push(() => relay.stop());

    // One gateway for the worker and the API: the sandbox keeps its charges in memory.
    const payments = paymentGatewayFromEnv();
    // One carrier too: the simulated carrier ops drive through the API is the one the worker asks.
    const carrier = carrierFromEnv();
    const clientConnection = await connectClient(settings);
    stoppers.push(() => clientConnection.close());
    const client = new Client({
      connection: clientConnection,
      namespace: settings.namespace,
      interceptors: { workflow: tracing?.clientInterceptors() ?? [] },
    });
    const workerConnection = await connectWorker(settings);
    stoppers.push(() => workerConnection.close());
    signal?.throwIfAborted();
    const worker = await createTradeGuardWorker({
      connection: workerConnection,
      namespace: settings.namespace,
      taskQueue: config.taskQueue,
      activities: createActivities({
        db,
        carrier,
        opsAddresses: { ops: config.opsEmail, opsLeads: config.opsLeadsEmail },
        payments,
        temporal: { client, taskQueue: config.taskQueue },
      }),
      tracing,
    });
    await ensureSelfCheckSchedule(client, { taskQueue: config.taskQueue, at: selfCheckTimeFromEnv() }, log);
    const workerRun = worker.run();
    workerRun.catch((err: Error) => log(`worker stopped: ${err.message}`));
    stoppers.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun.catch(() => undefined);
    });
    signal?.throwIfAborted();

    const storage = storageFromEnv(config.storageDir);
    await storage.check();
    stoppers.push(async () => storage.close?.());
    if (storage.describe !== config.storageDir) log(`uploaded files in ${storage.describe}`);
    const health = createHealthCheck({ client, db, address, namespace: settings.namespace, taskQueue: config.taskQueue });
    const app = createApp({
      client,
      db,
      taskQueue: config.taskQueue,
      health,
      storage,
      payments,
      logger,
      metrics: config.metricsEnabled ? new ApiMetrics() : undefined,
      limits: requestLimitsFromEnv(),
      trustProxy: trustProxyFromEnv(),
      keyCacheTtlMs: keyCacheTtlFromEnv(),
      carrier,
    });
    // While stopping, requests under way finish (the worker, Temporal and the database are still up)
    // and new ones, on connections kept alive, are refused with a 503 the client may retry.
    let stopping = false;
    const underWay = new Set<http.ServerResponse>();
    const server = http.createServer((req, res) => {
      if (stopping) return refuseWhileStopping(res);
      underWay.add(res);
      res.once('close', () => underWay.delete(res));
      app(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.apiPort, config.apiHost, () => resolve());
    });
    stoppers.push(async () => {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const deadline = Date.now() + REQUEST_GRACE_MS; underWay.size > 0 && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      if (underWay.size > 0) log(`stopping with ${underWay.size} request(s) still under way after ${REQUEST_GRACE_MS} ms`);
      server.closeAllConnections();
      await closed;
    });
    signal?.throwIfAborted();
    if (config.metricsEnabled) log(`API metrics for Prometheus on http://${config.apiHost}:${config.apiPort}/metrics`);
    if (config.temporalMetricsAddress) log(`worker metrics for Prometheus on http://${config.temporalMetricsAddress}/metrics`);
    if (tracing) log(`tracing to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}`);
    return {
      apiUrl: `http://${config.apiHost}:${config.apiPort}`,
      temporalAddress: address,
      temporalUiUrl: uiUrl,
      databaseUrl: database.url,
      databaseDataDir: database.dataDir,
      opsKeyFile,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function refuseWhileStopping(res: http.ServerResponse): void {
  const requestId = crypto.randomUUID();
  const body: ErrorBody = {
    error: { status: 503, code: 'unavailable', message: 'TradeGuard is stopping; retry shortly', requestId },
  };
  res.writeHead(503, {
    'content-type': 'application/json; charset=utf-8',
    'retry-after': String(RETRY_AFTER_SECONDS),
    'x-request-id': requestId,
    connection: 'close',
  });
  res.end(JSON.stringify(body));
}

/** On a database without keys, creates the first ops key and keeps it in the data folder (mode 600). */
async function bootstrapOpsKey(db: Db, config: TradeGuardConfig, log: Log): Promise<string | undefined> {
  const file = path.join(config.dataDir, 'ops-api-key');
  if ((await db.apiKey.count()) > 0) return fs.existsSync(file) ? file : undefined;
  const key = await createApiKey(db, { name: 'first ops key (created at first start)', role: 'ops' });
  fs.writeFileSync(file, `${key.key}\n`, { mode: 0o600 });
  log(`created the first ops API key; it is in ${file}`);
  return file;
}
