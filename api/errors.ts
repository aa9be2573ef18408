import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z, ZodError } from 'zod';
import { type Logger, silentLogger } from '../infra/logger';
import { requestIdOf } from './observability';

/**
 * Every error the API returns has this one shape. The OpenAPI document's `Error` component is
 * generated from this schema, and every 4xx/5xx response refers to it.
 */
export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      status: z.number().int().min(400).max(599).describe('the HTTP status, repeated'),
      code: z
        .string()
        .describe(
          'what happened: invalid_input, invalid_json, unauthenticated, forbidden, not_found, conflict, action_refused, ' +
            'payment_declined, payload_too_large, rate_limited, idempotency_key_reused, idempotency_key_in_use, internal, unavailable',
        ),
      message: z.string().describe('a sentence a person can act on'),
      fields: z
        .array(z.strictObject({ field: z.string().describe('e.g. items[0].quantity, orderId, Content-Type'), reason: z.string() }))
        .optional()
        .describe('with 400: each field that is wrong, and why'),
      requestId: z.string().describe("the request's id (also the X-Request-Id response header): quote it to find the request's log lines"),
    }),
  });
export type ErrorBody = z.infer<typeof errorBodySchema>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: { field: string; reason: string }[],
    /** What a dependency said when this is a 5xx answering for it: logged, never sent to the caller. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** Seconds a client is asked to wait (Retry-After) before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

export const badRequest = (fields: { field: string; reason: string }[]) =>
  new ApiError(400, 'invalid_input', fields.map((f) => `${f.field}: ${f.reason}`).join('; '), fields);
export const unauthenticated = (message: string) => new ApiError(401, 'unauthenticated', message);
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const conflict = (message: string, code = 'conflict') => new ApiError(409, code, message);
export const unavailable = (message: string, cause?: unknown) => new ApiError(503, 'unavailable', message, undefined, cause);
export const payloadTooLarge = (limit: number) =>
  new ApiError(413, 'payload_too_large', `request body exceeds the limit of ${limit} bytes`, [{ field: '(body)', reason: `must be at most ${limit} bytes` }]);
export const rateLimited = (message: string) => new ApiError(429, 'rate_limited', message);

/** "items[0].quantity" from a zod issue path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(body)';
}

export function fromZod(err: ZodError, prefix?: string): ApiError {
  return badRequest(
    err.issues.map((issue) => ({
      field: prefix ? (issue.path.length ? `${prefix}.${fieldPath(issue.path)}` : prefix) : fieldPath(issue.path),
      reason: issue.message,
    })),
  );
}

export const notFoundRoute: RequestHandler = (req) => {
  throw notFound(`no route ${req.method} ${req.path}`);
};

// Prisma's "cannot reach / timed out reaching / connection closed" (P1001, P1002, P1017), and what
// @prisma/adapter-pg reports under meta.driverAdapterError (checked against Prisma 7 with adapter-pg:
// a refused port gives P1001 DatabaseNotReachable, a reset P1017 ConnectionClosed, a server shutting
// down or starting up P2039 kind postgres with the SQLSTATE, too many clients P2037).
const UNREACHABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017']);
const UNREACHABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
// admin_shutdown, crash_shutdown, cannot_connect_now, and class 08 (connection exception).
const UNREACHABLE_SQLSTATE = /^(57P0[123]|08...)$/;
// node-postgres, passed on by Prisma as it is, when the server goes away under an open connection
// (no code), or a connect times out.
const UNREACHABLE_PG_MESSAGES = /^Connection terminated (unexpectedly|due to connection timeout)$/;

/** PostgreSQL cannot be reached (down, restarting, refusing connections): not a fault of the request. */
export function isDatabaseUnreachable(err: unknown): boolean {
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as Record<string, unknown> | undefined, depth++) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && UNREACHABLE_PRISMA_CODES.has(code)) return true;
    const adapter = (e.meta as { driverAdapterError?: { cause?: { kind?: string; code?: string; originalCode?: string } } } | undefined)?.driverAdapterError?.cause;
    if (adapter?.kind && UNREACHABLE_ADAPTER_KINDS.has(adapter.kind)) return true;
    if (adapter && UNREACHABLE_SQLSTATE.test(adapter.originalCode ?? adapter.code ?? '')) return true;
    // A pg error that Prisma passed on unwrapped. A bare socket code (ECONNREFUSED …) is not taken as
    // the database's: the mailer, the carrier and the card gateway have sockets too.
    if (code && typeof e.severity === 'string' && UNREACHABLE_SQLSTATE.test(code)) return true;
    if (e instanceof Error && !code && UNREACHABLE_PG_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** The gRPC status code of a Temporal client error (the client wraps it in a ServiceError). */
function grpcCodeOf(err: unknown): unknown {
  const grpc = err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : err;
  return (grpc as { code?: unknown } | undefined)?.code;
}

/**
 * Temporal refused an Update because the workflow already has as many in flight as it takes
 * (`history.maxInFlightUpdates`): the caller's many actions on one record at once, not an outage.
 */
export function isTooManyUpdatesInFlight(err: unknown): boolean {
  const grpc = err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : err;
  const { details, message } = (grpc ?? {}) as { details?: unknown; message?: unknown };
  return grpcCodeOf(err) === 8 && /in-flight update/i.test(`${String(details ?? '')} ${String(message ?? '')}`);
}

/**
 * A Query was refused or not answered in time because its workflow is busy: RESOURCE_EXHAUSTED
 * (Temporal buffers one Query per workflow while a workflow task runs) or DEADLINE_EXCEEDED (the
 * worker did not take the Query while Updates kept the workflow running), not the Update limit.
 */
export function isWorkflowBusy(err: unknown): boolean {
  const code = grpcCodeOf(err);
  return (code === 8 && !isTooManyUpdatesInFlight(err)) || code === 4;
}

/**
 * Temporal did not answer: unreachable, too slow, or too busy (e.g. a Query to a workflow whose
 * consistent-query buffer stays full while Updates keep it running) even after the client's own
 * retries.
 */
export function isTemporalUnavailable(err: unknown): boolean {
  const code = grpcCodeOf(err);
  return code === 14 || code === 4 || code === 8; // gRPC UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
}

/**
 * The last middleware: maps any error to the one error shape. An unexpected error is logged with
 * its stack on the request's logger (so the line carries the request id) and answered with a 500.
 */
export function errorHandler(logger: Logger = silentLogger()): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const requestId = requestIdOf(req, res);
    let e: ApiError;
    if (err instanceof ApiError) {
      e = err;
      if (e.status >= 500 && e.cause !== undefined) {
        (req.log ?? logger.child({ requestId })).error({ err: describeCause(e.cause), status: e.status }, e.message);
      }
    }
    else if (err instanceof ZodError) e = fromZod(err);
    else if (err?.type === 'entity.parse.failed') e = new ApiError(400, 'invalid_json', `request body is not valid JSON: ${err.message}`, [{ field: '(body)', reason: 'not valid JSON' }]);
    else if (err?.type === 'entity.too.large') e = payloadTooLarge(Number(err.limit));
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      e = new ApiError(err.status, 'bad_request', String(err.message));
    } else if (isDatabaseUnreachable(err)) {
      (req.log ?? logger.child({ requestId })).error({ err: describeCause(err), dependency: 'database' }, 'database unreachable');
      e = unavailable('the database is unreachable; retry shortly');
    } else if (isTemporalUnavailable(err)) {
      (req.log ?? logger.child({ requestId })).error({ err: describeCause(err), dependency: 'temporal' }, 'workflow service unreachable');
      e = unavailable('the workflow service is unavailable; retry shortly');
    } else {
      (req.log ?? logger.child({ requestId })).error({ err }, 'internal error');
      e = new ApiError(500, 'internal', 'internal error; the request may be retried');
    }
    res.locals.errorCode = e.code;
    if ((e.status === 503 || e.status === 429) && !res.get('Retry-After')) res.set('Retry-After', String(e.status === 429 ? 1 : RETRY_AFTER_SECONDS));
    const body: ErrorBody = {
      error: { status: e.status, code: e.code, message: e.message, ...(e.fields ? { fields: e.fields } : {}), requestId },
    };
    res.status(e.status).json(body);
  };
}

/** What a log line needs of a dependency's failure: its kind and codes, not a page of stack. */
function describeCause(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; code?: unknown; details?: unknown; message?: string; meta?: { driverAdapterError?: { cause?: unknown } }; cause?: { code?: unknown; details?: unknown } };
  return {
    type: e?.name,
    code: e?.code ?? e?.cause?.code,
    message: String(e?.message ?? err).split('\n').filter(Boolean).at(-1),
    ...(e?.meta?.driverAdapterError?.cause ? { driver: e.meta.driverAdapterError.cause } : {}),
    ...(e?.details || e?.cause?.details ? { details: e.details || e.cause?.details } : {}),
  };
}
