/**
 * `npm run api`: the API alone, against an existing Temporal cluster and database
 * (TEMPORAL_ADDRESS, DATABASE_URL). `npm start` runs it in-process with everything else.
 */
import http from 'node:http';
import { Client } from '@temporalio/client';
import { loadConfig } from '../infra/config';
import { createDb } from '../infra/db';
import { connectClient, temporalSettingsFromEnv } from '../infra/temporal-connection';
import { LocalFileStorage } from '../adapters/storage';
import { paymentGatewayFromEnv } from '../adapters/payments';
import { createApp } from './app';
import { createHealthCheck } from './health';
import { requestLimitsFromEnv } from './limits';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress || !config.databaseUrl) {
    throw new Error('set TEMPORAL_ADDRESS and DATABASE_URL (or use npm start for the embedded stack)');
  }
  const settings = temporalSettingsFromEnv(process.env, config.temporalAddress);
  const db = createDb(config.databaseUrl);
  const connection = await connectClient(settings);
  const client = new Client({ connection, namespace: settings.namespace });
  const health = createHealthCheck({ client, db, address: settings.address, namespace: settings.namespace, taskQueue: config.taskQueue });
  const server = http.createServer(createApp({ client, db, taskQueue: config.taskQueue, health, storage: new LocalFileStorage(config.storageDir), payments: paymentGatewayFromEnv(), limits: requestLimitsFromEnv(), log: console.error }));
  server.listen(config.apiPort, config.apiHost, () => console.log(`TradeGuard API on http://${config.apiHost}:${config.apiPort}`));
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void connection.close().then(() => db.$disconnect()).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
