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
            'payment_declined, payload_too_large, rate_limited, internal, unavailable',
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
  ) {
    super(message);
  }
}

export const badRequest = (fields: { field: string; reason: string }[]) =>
  new ApiError(400, 'invalid_input', fields.map((f) => `${f.field}: ${f.reason}`).join('; '), fields);
export const unauthenticated = (message: string) => new ApiError(401, 'unauthenticated', message);
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const conflict = (message: string, code = 'conflict') => new ApiError(409, code, message);
export const unavailable = (message: string) => new ApiError(503, 'unavailable', message);
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

/**
 * The last middleware: maps any error to the one error shape. An unexpected error is logged with
 * its stack on the request's logger (so the line carries the request id) and answered with a 500.
 */
export function errorHandler(logger: Logger = silentLogger()): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const requestId = requestIdOf(req, res);
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err instanceof ZodError) e = fromZod(err);
    else if (err?.type === 'entity.parse.failed') e = new ApiError(400, 'invalid_json', `request body is not valid JSON: ${err.message}`, [{ field: '(body)', reason: 'not valid JSON' }]);
    else if (err?.type === 'entity.too.large') e = payloadTooLarge(Number(err.limit));
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      e = new ApiError(err.status, 'bad_request', String(err.message));
    } else {
      (req.log ?? logger.child({ requestId })).error({ err }, 'internal error');
      e = new ApiError(500, 'internal', 'internal error; the request may be retried');
    }
    res.locals.errorCode = e.code;
    const body: ErrorBody = {
      error: { status: e.status, code: e.code, message: e.message, ...(e.fields ? { fields: e.fields } : {}), requestId },
    };
    res.status(e.status).json(body);
  };
}
