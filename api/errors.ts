import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { type Logger, silentLogger } from '../infra/logger';
import { requestIdOf } from './observability';

/** Every error the API returns has this one shape. */
export interface ErrorBody {
  error: {
    status: number;
    code: string;
    message: string;
    fields?: { field: string; reason: string }[];
    /** The request's id (also the X-Request-Id response header): quote it to find the request's log lines. */
    requestId: string;
  };
}

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
    else if (err?.type === 'entity.too.large') e = new ApiError(413, 'payload_too_large', `request body exceeds ${err.limit} bytes`);
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
