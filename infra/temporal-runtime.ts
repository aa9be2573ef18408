/**
 * The Temporal Runtime of a process that runs a worker: its logger (pino, so worker, workflow and
 * activity lines are JSON with workflowId, runId and activityType) and, when an address is given,
 * a Prometheus endpoint for the SDK's worker metrics. Runtime.install may be called once per
 * process, before the first NativeConnection.
 */
import { Runtime } from '@temporalio/worker';
import { type Logger, temporalLogger } from './logger';

export interface TemporalRuntimeOptions {
  logger: Logger;
  /** `host:port` where the SDK serves Prometheus metrics (GET /metrics); unset: no metrics. */
  metricsAddress?: string;
  /**
   * false: signals are left to the process, which stops its worker itself, in order with what else
   * it runs (`npm start`); by default the Runtime shuts the worker down on SIGINT and SIGTERM.
   */
  handleSignals?: boolean;
}

export function installTemporalRuntime(opts: TemporalRuntimeOptions): Runtime {
  return Runtime.install({
    ...(opts.handleSignals === false ? { shutdownSignals: [] } : {}),
    logger: temporalLogger(opts.logger),
    telemetryOptions: {
      // The SDK's native side logs warnings and errors through the same logger.
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(opts.metricsAddress ? { metrics: { prometheus: { bindAddress: opts.metricsAddress } } } : {}),
    },
  });
}
