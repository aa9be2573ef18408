import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Db } from '../infra/db';

export interface ComponentHealth {
  status: 'up' | 'down';
  detail?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  temporal: ComponentHealth & { address: string; namespace: string };
  database: ComponentHealth;
  worker: ComponentHealth & { taskQueue: string; pollers: number };
}

export interface HealthDeps {
  client: Client;
  db: Db;
  address: string;
  namespace: string;
  taskQueue: string;
}

const POLLER_FRESH_MS = 90_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** Checks Temporal, the database and that a worker is polling the task queue. */
export function createHealthCheck(deps: HealthDeps): () => Promise<HealthReport> {
  return async () => {
    const [temporalHealth, database, worker] = await Promise.all([
      withTimeout(deps.client.workflowService.getSystemInfo({}), 3000, 'Temporal')
        .then((): ComponentHealth => ({ status: 'up' }))
        .catch((err: Error): ComponentHealth => ({ status: 'down', detail: err.message })),
      withTimeout(deps.db.$queryRaw`SELECT 1`, 3000, 'the database')
        .then((): ComponentHealth => ({ status: 'up' }))
        .catch((err: Error): ComponentHealth => ({ status: 'down', detail: err.message })),
      withTimeout(
        deps.client.workflowService.describeTaskQueue({
          namespace: deps.namespace,
          taskQueue: { name: deps.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
        3000,
        'Temporal',
      )
        .then((res) => {
          const now = Date.now();
          const fresh = (res.pollers ?? []).filter((p) => {
            const t = p.lastAccessTime;
            const ms = t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
            return now - ms < POLLER_FRESH_MS;
          });
          return fresh.length > 0
            ? { status: 'up' as const, pollers: fresh.length }
            : { status: 'down' as const, pollers: 0, detail: `no worker polls task queue ${deps.taskQueue}` };
        })
        .catch((err: Error) => ({ status: 'down' as const, pollers: 0, detail: err.message })),
    ]);
    const allUp = temporalHealth.status === 'up' && database.status === 'up' && worker.status === 'up';
    return {
      status: allUp ? 'ok' : 'degraded',
      temporal: { ...temporalHealth, address: deps.address, namespace: deps.namespace },
      database,
      worker: { ...worker, taskQueue: deps.taskQueue },
    };
  };
}
