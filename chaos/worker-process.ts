/**
 * The worker process of a chaos run: TradeGuard's worker (real activities against the run's database;
 * their emails go to the outbox, which the driver's mail relay sends) and, on its own task queue, the deadline workflows the
 * timer check keeps open. Both load workflow bundles the driver built once (CHAOS_BUNDLE,
 * CHAOS_DEADLINE_BUNDLE), so a restart after SIGKILL is quick. Tells the driver "ready" over IPC.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { SimulatedCarrier } from '../adapters/carrier';
import { SandboxCardGateway } from '../adapters/payments';
import { loadConfig } from '../infra/config';
import { createDb } from '../infra/db';
import { createTradeGuardWorker } from '../worker/worker';
import { createBaselineActivities } from '../bench/baseline.activities';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = loadConfig();
  const address = config.temporalAddress;
  const deadlineQueue = process.env.CHAOS_DEADLINE_TASK_QUEUE;
  const bundle = process.env.CHAOS_BUNDLE;
  const deadlineBundle = process.env.CHAOS_DEADLINE_BUNDLE;
  if (!address || !config.databaseUrl || !deadlineQueue || !bundle || !deadlineBundle) {
    throw new Error('TEMPORAL_ADDRESS, DATABASE_URL, CHAOS_DEADLINE_TASK_QUEUE, CHAOS_BUNDLE and CHAOS_DEADLINE_BUNDLE must be set');
  }
  const db = createDb(config.databaseUrl);
  const connection = await NativeConnection.connect({ address });
  const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  const tradeguard = await createTradeGuardWorker({
    connection,
    namespace: 'default',
    taskQueue: config.taskQueue,
    workflowBundle: { codePath: bundle },
    activities: createActivities({
      db,
      carrier: new SimulatedCarrier(),
      opsAddresses: { ops: config.opsEmail, opsLeads: config.opsLeadsEmail },
      // Monitoring fees are charged by the API; the worker's gateway only refunds cancelled services.
      payments: new SandboxCardGateway(process.env.SANDBOX_PAYMENTS_JOURNAL || undefined),
      temporal: { client, taskQueue: config.taskQueue },
    }),
  });
  const deadlines = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: deadlineQueue,
    workflowBundle: { codePath: deadlineBundle },
    activities: createBaselineActivities(),
  });
  const running = Promise.all([tradeguard.run(), deadlines.run()]);
  process.send?.({ type: 'ready' });
  await running;
  await connection.close();
  await db.$disconnect();
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
