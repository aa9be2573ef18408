/**
 * The worker process of a benchmark run: TradeGuard's worker (real activities against the run's
 * database; emails as .eml files in the run's data folder) and, on its own task queue, the baseline
 * worker. Answers status requests from the driver over the IPC channel.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, WorkerStatus } from '@temporalio/worker';
import { createActivities } from '../activities';
import { SimulatedCarrier } from '../adapters/carrier';
import { createMailer } from '../adapters/mailer';
import { paymentGatewayFromEnv } from '../adapters/payments';
import { loadConfig } from '../infra/config';
import { createDb } from '../infra/db';
import { startMailRelay } from '../worker/mail-relay';
import { createTradeGuardWorker } from '../worker/worker';
import { createBaselineActivities } from './baseline.activities';

export interface WorkerReport {
  rss: number;
  heapUsed: number;
  workers: Record<string, WorkerStatus & { maxCachedWorkflows: number }>;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = loadConfig();
  const address = config.temporalAddress;
  const baselineQueue = process.env.BENCH_BASELINE_TASK_QUEUE;
  if (!address || !config.databaseUrl || !baselineQueue) throw new Error('TEMPORAL_ADDRESS, DATABASE_URL and BENCH_BASELINE_TASK_QUEUE must be set');
  const db = createDb(config.databaseUrl);
  const mailer = createMailer({ outboxDir: config.outboxDir, from: config.mailFrom });
  const connection = await NativeConnection.connect({ address });
  const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  const tradeguard = await createTradeGuardWorker({
    connection,
    namespace: 'default',
    taskQueue: config.taskQueue,
    activities: createActivities({
      db,
      carrier: new SimulatedCarrier(),
      opsAddresses: { ops: config.opsEmail, opsLeads: config.opsLeadsEmail },
      payments: paymentGatewayFromEnv(),
      temporal: { client, taskQueue: config.taskQueue },
    }),
  });
  const baseline = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: baselineQueue,
    workflowsPath: require.resolve('./baseline.workflows'),
    activities: createBaselineActivities(),
  });
  // The relay sends the outbox the activities write (to .eml files), as `npm start` does beside its worker.
  const relay = startMailRelay({ db, mailer, queue: config.taskQueue });
  const workers = { tradeguard, baseline };
  process.on('message', (m: { type?: string; id?: number }) => {
    if (m?.type !== 'status') return;
    const mem = process.memoryUsage();
    const report: WorkerReport = {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      workers: Object.fromEntries(
        Object.entries(workers).map(([name, w]) => [name, { ...w.getStatus(), maxCachedWorkflows: w.options.maxCachedWorkflows }]),
      ),
    };
    process.send?.({ type: 'status', id: m.id, report });
  });
  const running = Promise.all([tradeguard.run(), baseline.run()]);
  process.send?.({ type: 'ready' });
  // The SDK shuts both workers down gracefully on SIGINT/SIGTERM.
  await running;
  await connection.close();
  await relay.stop();
  mailer.close();
  await db.$disconnect();
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
