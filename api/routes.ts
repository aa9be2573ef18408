/**
 * The route registry. Every route is added here with a description of who may call it and what it
 * takes; the registry then enforces that description (API key, rate limit, role, body size,
 * parameters, query and body validated by the very zod schemas the description names) before the
 * handler runs, and the OpenAPI document (api/openapi.ts) is generated from the same descriptions.
 * A route module receives the registry and adds its routes:
 *
 *   routes.add({ method: 'get', path: '/cases/:caseId', tag: 'cases', summary: 'Read a case',
 *                roles: ['ops', 'support'], params: caseParamsSchema, responses: { 200: 'the case' } },
 *              async (req, res, { params }) => { ... });
 */
import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Db } from '../infra/db';
import { badRequest, fromZod, rateLimited, unauthenticated } from './errors';
import { fileTypeMismatch } from './file-types';
import { DEFAULT_IDEMPOTENCY_SETTINGS, fingerprintOf, idempotencyKeyOf, IdempotencySettings, IdempotencyStore, scopeOf } from './idempotency';
import { allow, asyncRoute } from './http';
import { PrincipalCache, Role } from './keys';
import { RateLimiter, RequestLimits, SharedTokenBuckets, TokenBuckets } from './limits';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A raw file body: which media types are accepted and how large the file may be. */
export interface UploadSpec {
  contentTypes: readonly string[];
  maxBytes: number;
}

export interface ResponseSpec {
  description: string;
  /** Media type of a successful answer; application/json unless given. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** Express path syntax: /orders/:orderId. Every :param must be in `params`. */
  path: string;
  /** The group the operation is listed under (orders, claims, monitoring, …). */
  tag: string;
  /** An imperative phrase ("Draft a purchase order"); also completes the 403 message "a buyer key cannot …". */
  summary: string;
  description?: string;
  /** Roles whose keys may call the route, or 'public' for no key at all. */
  roles: readonly Role[] | 'public';
  /** How buyers and suppliers are further held to their own records ("their own orders only"). */
  ownership?: string;
  params?: P;
  query?: Q;
  /** A JSON body, validated by this schema. */
  body?: B;
  /** A raw file body instead of JSON. */
  upload?: UploadSpec;
  /** Successful answers, by status. */
  responses: Record<number, string | ResponseSpec>;
  /** Error answers this route gives beyond those the registry adds (400, 401, 403, 404, 413, 429, 500). */
  errors?: Record<number, string>;
}

export type AnyRouteSpec = RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface UploadedFile {
  bytes: Buffer;
  contentType: string;
}

export interface RouteInput<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  /** With `upload`: the file, its media type accepted by the route and matched by its bytes. */
  file: UploadedFile;
}

export type RouteHandler<P, Q, B> = (req: Request, res: Response, input: RouteInput<P, Q, B>) => Promise<void>;

export interface RouteRegistryDeps {
  db: Db;
  limits: RequestLimits;
  /** The rate limiter's clock; wall-clock time unless given. */
  now?: () => number;
  /** How long a looked-up API key is trusted before it is looked up again (KEY_CACHE_TTL_MS unless given; 0: every request). */
  keyCacheTtlMs?: number;
  /** Told when the shared rate limits cannot be read and the process limits by itself until they can. */
  onRateLimitFallback?: (err: Error) => void;
  /** How idempotency keys are held and kept; DEFAULT_IDEMPOTENCY_SETTINGS unless given. */
  idempotency?: IdempotencySettings;
  /** Where failures that no request can be answered with go (keeping an answer, renewing a hold). */
  onError?: (err: unknown) => void;
}

/** Express path (/orders/:orderId) → OpenAPI path (/orders/{orderId}). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
}

function objectKeys(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
  return Object.keys(json.properties ?? {});
}

export class RouteRegistry {
  private readonly specs: AnyRouteSpec[] = [];
  /** Requests per API key, shared by every API process through PostgreSQL. */
  private readonly buckets: RateLimiter;
  /** Requests without a valid API key, per client address (per API process: it guards this process's key lookups). */
  private readonly addresses: TokenBuckets;
  private readonly principals: PrincipalCache;
  private readonly idempotency: IdempotencyStore;

  constructor(
    readonly app: express.Express,
    private readonly deps: RouteRegistryDeps,
  ) {
    this.buckets = new SharedTokenBuckets(deps.db, deps.limits, deps.now, deps.onRateLimitFallback);
    this.addresses = new TokenBuckets({ ratePerMinute: deps.limits.unauthenticatedPerMinute, burst: deps.limits.unauthenticatedBurst }, deps.now);
    this.principals = new PrincipalCache(deps.db, deps.keyCacheTtlMs);
    this.idempotency = new IdempotencyStore(deps.db, deps.idempotency ?? DEFAULT_IDEMPOTENCY_SETTINGS, Date.now, deps.onError);
  }

  get limits(): RequestLimits {
    return this.deps.limits;
  }

  /** Stops trusting a key at once in this API process (it was just revoked); other processes follow within the cache time. */
  forgetKey(keyHash: string): void {
    this.principals.forget(keyHash);
  }

  /** Every route added so far, in the order added. */
  operations(): readonly AnyRouteSpec[] {
    return this.specs;
  }

  add<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<P, Q, B>,
    handler: RouteHandler<P, Q, B>,
  ): void {
    const declared = objectKeys(spec.params);
    const missing = pathParamNames(spec.path).filter((name) => !declared.includes(name));
    if (missing.length > 0) throw new Error(`${spec.method.toUpperCase()} ${spec.path}: path parameter(s) ${missing.join(', ')} not described in params`);
    if (spec.body && spec.upload) throw new Error(`${spec.method.toUpperCase()} ${spec.path}: a route takes a JSON body or an upload, not both`);
    if (this.specs.some((s) => s.method === spec.method && s.path === spec.path)) {
      throw new Error(`${spec.method.toUpperCase()} ${spec.path} is added twice`);
    }
    this.specs.push(spec as AnyRouteSpec);

    const chain: RequestHandler[] = [];
    if (spec.roles !== 'public') {
      const roles = spec.roles;
      const what = spec.summary.charAt(0).toLowerCase() + spec.summary.slice(1);
      chain.push(noStore, this.authenticate, this.rateLimit, (req, _res, next) => {
        allow(req, [...roles], what);
        next();
      });
    }
    if (spec.body) chain.push(express.json({ limit: this.deps.limits.jsonBodyBytes, verify: rejectMalformedUtf8 }));
    if (spec.upload) chain.push(express.raw({ type: () => true, limit: spec.upload.maxBytes }));
    // Every POST behind a key may carry an Idempotency-Key (api/idempotency.ts).
    const idempotent = spec.method === 'post' && spec.roles !== 'public';
    chain.push(
      asyncRoute(async (req, res) => {
        const input = {
          params: spec.params ? validate(spec.params, req.params) : undefined,
          query: spec.query ? validate(spec.query, req.query) : undefined,
          body: spec.body ? validate(spec.body, req.body) : undefined,
          file: spec.upload ? receiveFile(req, spec.upload) : { bytes: Buffer.alloc(0), contentType: '' },
        } as RouteInput<P, Q, B>;
        const key = idempotent ? idempotencyKeyOf(req) : undefined;
        if (key === undefined) return handler(req, res, input);
        const call = { scope: scopeOf(req.principal!), key, fingerprint: fingerprintOf(req, spec.upload ? input.file : undefined) };
        await this.idempotency.run(req, res, call, () => handler(req, res, input));
      }),
    );
    this.app[spec.method](spec.path, ...chain);
  }

  // "Authorization: Bearer tg_…" or "X-API-Key: tg_…".
  //
  // A key this process already found valid goes straight on to its own bucket (rateLimit). Any other
  // request may cost a lookup, so its client address pays a token for it first, from the bucket of
  // requests without a valid key, and gets it back when the key turns out valid: an address that
  // keeps sending no key or bad keys is answered 429 without a lookup once it has used its allowance.
  // A key found valid in the last minutes whose cache time is over is looked up again without taking
  // a token: its lookups, many at once from one busy address, must not use up that allowance.
  private readonly authenticate: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    const key = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? req.get('x-api-key');
    const known = key ? this.principals.known(key) : undefined;
    if (known) {
      req.principal = known;
      return next();
    }
    if (key && this.principals.recentlyValid(key)) {
      this.principals.find(key).then((found) => {
        if (!found) return next(unauthenticated('unknown, revoked or expired API key'));
        req.principal = found;
        next();
      }, next);
      return;
    }
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const taken = this.addresses.take(address);
    if (!taken.allowed) {
      const { unauthenticatedPerMinute, unauthenticatedBurst } = this.deps.limits;
      res.set('Retry-After', String(taken.retryAfterSeconds));
      return next(rateLimited(
        `too many requests without a valid API key from this address: at most ${unauthenticatedPerMinute} a minute (bursts of ${unauthenticatedBurst}); retry after ${taken.retryAfterSeconds} s`,
      ));
    }
    if (!key) return next(unauthenticated('missing API key: send "Authorization: Bearer <key>"'));
    this.principals.find(key).then((found) => {
      if (!found) return next(unauthenticated('unknown, revoked or expired API key'));
      this.addresses.giveBack(address);
      req.principal = found;
      next();
    }, (err: unknown) => {
      // The lookup failed (the database is down): not the caller's doing.
      this.addresses.giveBack(address);
      next(err);
    });
  };

  private readonly rateLimit: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    this.buckets.take(req.principal!.keyId).then((taken) => {
      if (taken.allowed) return next();
      const { ratePerMinute, burst } = this.deps.limits;
      res.set('Retry-After', String(taken.retryAfterSeconds));
      next(rateLimited(`too many requests for this API key: at most ${ratePerMinute} a minute (bursts of ${burst}); retry after ${taken.retryAfterSeconds} s`));
    }, next);
  };
}

/** What a key may read is the key holder's only: no cache, shared or private, keeps an answer (or a refusal). */
const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

function validate<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw fromZod(result.error);
  return result.data;
}

function receiveFile(req: Request, upload: UploadSpec): UploadedFile {
  const contentType = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!upload.contentTypes.includes(contentType)) {
    throw badRequest([{ field: 'Content-Type', reason: `must be one of ${upload.contentTypes.join(', ')} (got ${contentType || 'none'})` }]);
  }
  const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (bytes.length === 0) throw badRequest([{ field: '(body)', reason: 'the file is empty' }]);
  // The declared type must be what the bytes are: the type is stored with the file and is the only
  // type it is ever served as.
  const mismatch = fileTypeMismatch(contentType, bytes);
  if (mismatch) throw badRequest([{ field: '(body)', reason: mismatch }]);
  return { bytes, contentType };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A JSON body must be well-formed UTF-8, as sent: the JSON parser would otherwise read a malformed
 * sequence as U+FFFD and store that in place of what the caller meant. Refused as invalid JSON (400).
 */
function rejectMalformedUtf8(_req: unknown, _res: unknown, body: Buffer): void {
  try {
    strictUtf8.decode(body);
  } catch {
    throw Object.assign(new Error('the body is not well-formed UTF-8'), { type: 'entity.parse.failed' });
  }
}
