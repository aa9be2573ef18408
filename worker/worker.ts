import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { Tracing } from '../infra/tracing';

export interface TradeGuardWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** A prebuilt bundle (tests build it once per file); otherwise the workflows folder is bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * Traces workflows and activities. With a prebuilt bundle, the bundle must have been built with
   * `WORKFLOW_TRACING_MODULE` among its interceptor modules for workflow spans.
   */
  tracing?: Tracing;
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

export function createTradeGuardWorker(opts: TradeGuardWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    ...(opts.tracing ? opts.tracing.workerOptions() : {}),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: workflowsPath() }),
  });
}
