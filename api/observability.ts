/**
 * What the API tells operators about each request: a request id (echoed from a well-formed
 * X-Request-Id header, else generated) on the response, on every error body and on every log
 * line of the request; one JSON log line per request; and, when enabled, Prometheus metrics.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../infra/logger';

declare module 'express-serve-static-core' {
  interface Request {
    /** This request's id, also in the X-Request-Id response header. */
    requestId?: string;
    /** The app's logger with this request's id bound to every line. */
    log?: Logger;
  }
}

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Letters, digits and `._:-`, at most 128: safe in a header and a log line, and fits UUIDs and trace ids. */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function isWellFormedRequestId(value: string | undefined): value is string {
  return value !== undefined && WELL_FORMED_REQUEST_ID.test(value);
}

/** The id of this request; assigns one (and sets the response header) if no middleware did yet. */
export function requestIdOf(req: Request, res: Response): string {
  if (!req.requestId) {
    const incoming = req.get(REQUEST_ID_HEADER);
    req.requestId = isWellFormedRequestId(incoming) ? incoming : randomUUID();
    if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, req.requestId);
  }
  return req.requestId;
}

/** Prometheus metrics of the API, in a registry of its own (one per app, so tests never collide). */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'tradeguard_http_requests_total',
    help: 'API requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'tradeguard_http_request_duration_seconds',
    help: 'API request latency in seconds, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }
}


interface RouterLayer {
  route?: { path: unknown; _handlesMethod?(method: string): boolean };
  match?(path: string): unknown;
}

/**
 * The route template ("/orders/:orderId"), never the concrete path: a bounded label for metrics.
 * A request refused before routing (401 from the key check) is looked up in the app's routes;
 * a path that no route serves is "(unmatched)".
 */
export function routeTemplate(req: Request): string {
  const matched = (req as { route?: { path?: unknown } }).route?.path;
  if (typeof matched === 'string') return `${req.baseUrl ?? ''}${matched}`;
  try {
    const stack = ((req.app as unknown as { router?: { stack?: RouterLayer[] } }).router?.stack ?? []);
    for (const layer of stack) {
      if (!layer.route || typeof layer.route.path !== 'string' || !layer.match) continue;
      if (layer.match(req.path) && (layer.route._handlesMethod?.(req.method) ?? false)) return layer.route.path;
    }
  } catch {
    // The router's internals changed shape; the label falls back to "(unmatched)".
  }
  return '(unmatched)';
}

/**
 * First middleware of the app: assigns the request id, binds it to a child logger, and when the
 * response is done writes the request's log line and records its metrics. The line carries the
 * caller's role and key id (never the key), and no body: card numbers and keys never reach logs.
 */
export function requestContext(logger: Logger, metrics?: ApiMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const startedAt = process.hrtime.bigint();
    const requestId = requestIdOf(req, res);
    req.log = logger.child({ requestId });
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      // A response closed before it finished: the caller went away ("client closed request").
      const status = res.writableFinished ? res.statusCode : 499;
      const route = routeTemplate(req);
      metrics?.observe(req.method, route, status, seconds);
      const p = req.principal;
      req.log?.info(
        {
          method: req.method,
          route,
          path: req.path,
          status,
          durationMs: Math.round(seconds * 1e6) / 1e3,
          ...(typeof res.locals.errorCode === 'string' ? { errorCode: res.locals.errorCode } : {}),
          ...(res.locals.idempotentReplay === true ? { idempotentReplay: true } : {}),
          ...(p ? { principal: { role: p.role, keyId: p.keyId, ...(p.partyId ? { partyId: p.partyId } : {}) } } : {}),
        },
        'request',
      );
    });
    next();
  };
}
