/**
 * `npm run api`: the API alone, against an existing Temporal cluster and database
 * (TEMPORAL_ADDRESS, DATABASE_URL). `npm start` runs it in-process with everything else.
 */
import http from 'node:http';
import { Client } from '@temporalio/client';
import { loadConfig } from '../infra/config';
import { createDb } from '../infra/db';
import { createLogger } from '../infra/logger';
import { tracingFromEnv } from '../infra/tracing';
import { connectClient, temporalSettingsFromEnv } from '../infra/temporal-connection';
import { storageFromEnv } from '../adapters/storage';
import { paymentGatewayFromEnv } from '../adapters/payments';
import { createApp } from './app';
import { createHealthCheck } from './health';
import { ApiMetrics } from './observability';
import { requestLimitsFromEnv, trustProxyFromEnv } from './limits';
import { keyCacheTtlFromEnv } from './keys';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress || !config.databaseUrl) {
    throw new Error('set TEMPORAL_ADDRESS (or TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE) and DATABASE_URL (or use npm start for the embedded stack)');
  }
  const logger = createLogger({ level: config.logLevel, base: { service: 'tradeguard-api' } });
  const tracing = tracingFromEnv(process.env, 'tradeguard-api');
  const settings = temporalSettingsFromEnv(process.env, config.temporalAddress);
  const db = createDb(config.databaseUrl);
  const connection = await connectClient(settings);
  const client = new Client({ connection, namespace: settings.namespace, interceptors: { workflow: tracing?.clientInterceptors() ?? [] } });
  // Several replicas, on several hosts, need storage they share: S3-compatible (STORAGE_S3_BUCKET).
  const storage = storageFromEnv(config.storageDir);
  await storage.check();
  const health = createHealthCheck({ client, db, address: settings.address, namespace: settings.namespace, taskQueue: config.taskQueue });
  const app = createApp({
    client,
    db,
    taskQueue: config.taskQueue,
    health,
    storage,
    payments: paymentGatewayFromEnv(),
    logger,
    metrics: config.metricsEnabled ? new ApiMetrics() : undefined,
    limits: requestLimitsFromEnv(),
    trustProxy: trustProxyFromEnv(),
    keyCacheTtlMs: keyCacheTtlFromEnv(),
  });
  const server = http.createServer(app);
  server.listen(config.apiPort, config.apiHost, () =>
    logger.info({ url: `http://${config.apiHost}:${config.apiPort}`, files: storage.describe, metrics: config.metricsEnabled, tracing: Boolean(tracing) }, 'TradeGuard API listening'),
  );
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void connection
      .close()
      .then(() => storage.close?.())
      .then(() => db.$disconnect())
      .then(() => tracing?.shutdown())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
