/**
 * `npm run worker`: a standalone worker against an existing Temporal cluster and database
 * (TEMPORAL_ADDRESS, DATABASE_URL). Its activities write email to the outbox; `npm run mail-relay`
 * sends it. `npm start` runs both in-process instead.
 */
import { createActivities } from '../activities';
import { carrierFromEnv } from '../adapters/carrier-http';
import { paymentGatewayFromEnv } from '../adapters/payments';
import { loadConfig } from '../infra/config';
import { createDb } from '../infra/db';
import { ensureSelfCheckSchedule, selfCheckTimeFromEnv } from '../infra/schedules';
import { Client } from '@temporalio/client';
import { createLogger, lineLogger } from '../infra/logger';
import { installTemporalRuntime } from '../infra/temporal-runtime';
import { tracingFromEnv } from '../infra/tracing';
import { connectClient, connectWorker, ensureSearchAttributes, temporalSettingsFromEnv } from '../infra/temporal-connection';
import { createTradeGuardWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress || !config.databaseUrl) {
    throw new Error('set TEMPORAL_ADDRESS (or TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE) and DATABASE_URL (or use npm start for the embedded stack)');
  }
  const logger = createLogger({ level: config.logLevel, base: { service: 'tradeguard-worker' } });
  installTemporalRuntime({ logger, metricsAddress: config.temporalMetricsAddress });
  const tracing = tracingFromEnv(process.env, 'tradeguard-worker');
  const settings = temporalSettingsFromEnv(process.env, config.temporalAddress);
  const db = createDb(config.databaseUrl);
  await ensureSearchAttributes(settings, lineLogger(logger));
  const connection = await connectWorker(settings);
  const clientConnection = await connectClient(settings);
  const client = new Client({ connection: clientConnection, namespace: settings.namespace, interceptors: { workflow: tracing?.clientInterceptors() ?? [] } });
  const worker = await createTradeGuardWorker({
    connection,
    namespace: settings.namespace,
    taskQueue: config.taskQueue,
    activities: createActivities({
      db,
      carrier: carrierFromEnv(),
      opsAddresses: { ops: config.opsEmail, opsLeads: config.opsLeadsEmail },
      payments: paymentGatewayFromEnv(),
      temporal: { client, taskQueue: config.taskQueue },
    }),
    tracing,
  });
  if (config.temporalMetricsAddress) logger.info({ address: config.temporalMetricsAddress }, 'worker metrics for Prometheus on /metrics');
  await ensureSelfCheckSchedule(client, { taskQueue: config.taskQueue, at: selfCheckTimeFromEnv() }, lineLogger(logger));
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM.
  await worker.run();
  await connection.close();
  await clientConnection.close();
  await db.$disconnect();
  await tracing?.shutdown();
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
