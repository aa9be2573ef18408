/**
 * OpenTelemetry tracing through Temporal's interceptors, off unless OTEL_EXPORTER_OTLP_ENDPOINT is
 * set. One trace follows an order from the client's StartWorkflow through the workflow's
 * RunWorkflow and StartActivity spans (exported by the worker through a sink, since workflow code
 * cannot do I/O) to the worker's RunActivity spans.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as otel from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  SpanExporter,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { WorkerOptions } from '@temporalio/worker';

/**
 * The workflow-side interceptors (inbound, outbound, internals). Bundled into the workflow code
 * only when tracing is on; they add trace headers and sink calls, never commands, so histories
 * recorded with or without them replay either way.
 */
export const WORKFLOW_TRACING_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/**
 * Keeps the active span across awaits, so the client and activity interceptors put the current
 * trace into Temporal headers (the role of @opentelemetry/context-async-hooks, on Node's own
 * AsyncLocalStorage).
 */
class AsyncLocalStorageContextManager implements otel.ContextManager {
  private readonly storage = new AsyncLocalStorage<otel.Context>();

  active(): otel.Context {
    return this.storage.getStore() ?? otel.ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: otel.Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(context, () => fn.apply(thisArg, args));
  }

  bind<T>(context: otel.Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]) => this.with(context, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

export interface Tracing {
  readonly tracer: otel.Tracer;
  readonly resource: Resource;
  readonly spanProcessor: SpanProcessor;
  /** For `new Client({ interceptors: { workflow: … } })`: StartWorkflow, update, signal and query spans. */
  clientInterceptors(): WorkflowClientInterceptor[];
  /** Worker options that trace workflows (bundled interceptor module + exporter sink) and activities. */
  workerOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Exports what is still buffered and stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  exporter: SpanExporter;
  /** Batch spans before export (production); tests export each span as it ends. */
  batch?: boolean;
}

/**
 * Registers a tracer provider, the W3C trace-context propagator and an async context manager for
 * this process. Once per process, like Temporal's Runtime.
 */
export function createTracing(opts: TracingOptions): Tracing {
  const resource = new Resource({ 'service.name': opts.serviceName });
  const spanProcessor = opts.batch ? new BatchSpanProcessor(opts.exporter) : new SimpleSpanProcessor(opts.exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  const tracer = provider.getTracer('tradeguard');
  return {
    tracer,
    resource,
    spanProcessor,
    clientInterceptors: () => [new OpenTelemetryWorkflowClientInterceptor({ tracer })],
    workerOptions: () => workerTracingOptions({ tracer, spanProcessor, resource }),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The worker's share of tracing: the workflow interceptor module (bundled with the workflows),
 * the sink that exports the workflow's spans, and the activity interceptors. Also what a replay
 * worker needs to replay histories with tracing on.
 */
export function workerTracingOptions(t: { tracer: otel.Tracer; spanProcessor: SpanProcessor; resource: Resource }): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      workflowModules: [WORKFLOW_TRACING_MODULE],
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: t.tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(t.spanProcessor, t.resource) },
  };
}

/** OTLP/HTTP endpoint of a collector ("http://collector:4318"); spans go to its /v1/traces. */
export function otlpTracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** Tracing to OTEL_EXPORTER_OTLP_ENDPOINT when it is set; undefined (tracing off) otherwise. */
export function tracingFromEnv(env: NodeJS.ProcessEnv, defaultServiceName: string): Tracing | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  return createTracing({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || defaultServiceName,
    exporter: new OTLPTraceExporter({ url: otlpTracesUrl(endpoint) }),
    batch: true,
  });
}
