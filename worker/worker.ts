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
  /** The memory the workflow cache may use (default: WORKFLOW_CACHE_MB, else 512 MiB); sizes maxCachedWorkflows. */
  workflowCacheMiB?: number;
}

/**
 * What one cached order workflow adds to the worker's resident memory: the scale benchmark measured
 * 2,310 cached orders adding 1,015 MiB (0.44 MiB each); rounded up for the larger claim histories.
 */
export const CACHED_WORKFLOW_MIB = 0.5;
export const DEFAULT_WORKFLOW_CACHE_MIB = 512;

/** WORKFLOW_CACHE_MB: the memory the worker's workflow cache may use, in MiB. */
export function workflowCacheMiBFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WORKFLOW_CACHE_MB?.trim();
  if (!raw) return DEFAULT_WORKFLOW_CACHE_MIB;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 16) throw new Error(`WORKFLOW_CACHE_MB=${raw} is not a whole number of MiB, 16 or more`);
  return value;
}

/**
 * How many workflows the worker keeps cached within `cacheMiB`. Beyond it the least recently used
 * is evicted and replayed from its history when it next gets work: slower, never wrong. The SDK's
 * own default grows with the heap limit (2,310 on a 24 GiB machine, 1.6 GiB resident).
 */
export function maxCachedWorkflowsFor(cacheMiB: number): number {
  return Math.max(1, Math.floor(cacheMiB / CACHED_WORKFLOW_MIB));
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
    maxCachedWorkflows: maxCachedWorkflowsFor(opts.workflowCacheMiB ?? workflowCacheMiBFromEnv()),
    ...(opts.tracing ? opts.tracing.workerOptions() : {}),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: workflowsPath() }),
  });
}
