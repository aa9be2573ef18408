/**
 * Retry-safe POSTs, as Stripe's idempotency keys: a POST may carry `Idempotency-Key: <key>`. The
 * first request with a key runs and its answer (status, body, Content-Type and Location) is kept
 * in PostgreSQL for 24 hours; a request with the same key and the same request (method, path, query
 * and body) gets that answer back (`Idempotent-Replayed: true`, `Original-Request-Id`) on any API
 * process, without acting again; one that arrives while the first is still running waits for it.
 * The same key with another request is refused (422). Keys belong to the caller: a buyer's or
 * supplier's or inspector's party, or an ops or support key.
 *
 * What is kept: answers the endpoint gave once it started (2xx and 4xx, refusals included). Not
 * kept: a request refused before it started (no key, no role, invalid input, too large), which may
 * be corrected and sent again with the same key, and a 5xx, after which a retry runs again. For the
 * rare retry that runs again after the first one acted (its process died, or its answer was a 503
 * while the action went on), the ids a request generates and the Update it sends are derived from
 * the key, so the second run finds the first one's work instead of doing it twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Db } from '../infra/db';
import { ApiError, badRequest } from './errors';
import type { Principal } from './keys';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** 1 to 255 visible ASCII characters; a UUID is a good key. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;
export const IDEMPOTENCY_RETENTION_HOURS = 24;

export interface IdempotencySettings {
  /** How long an answer is kept and the key bound to its request. */
  retentionMs: number;
  /** How long a running request holds its key before another may take it over (its process is presumed dead); renewed while it runs. */
  leaseMs: number;
  /** How long a duplicate waits for the first request to finish before it is answered 409 idempotency_key_in_use. */
  waitMs: number;
}

export const DEFAULT_IDEMPOTENCY_SETTINGS: Readonly<IdempotencySettings> = {
  retentionMs: IDEMPOTENCY_RETENTION_HOURS * 3_600_000,
  leaseMs: 30_000,
  waitMs: 30_000,
};

/** The key a request runs under: who, which key, and what "the same request" is. */
export interface IdempotentCall {
  scope: string;
  key: string;
  fingerprint: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set on a POST that carries an Idempotency-Key, once the request is valid. */
    idempotency?: IdempotentCall;
  }
}

/** The request's Idempotency-Key, or undefined; a malformed one is a 400 naming the header. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  if (!IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw badRequest([{ field: IDEMPOTENCY_HEADER, reason: 'must be 1 to 255 visible ASCII characters, sent once (a UUID is a good key)' }]);
  }
  return value;
}

/** Whose keys these are: a party's keys share them (a rotated key retries what the old one sent); ops and support keys each have their own. */
export function scopeOf(p: Principal): string {
  return p.partyId ? `${p.role}:${p.partyId}` : `key:${p.keyId}`;
}

/** JSON with every object's keys in order: the same body however its fields were ordered. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** What makes two requests the same: method, path, query (in any order) and body (a file by its bytes and type). */
export function fingerprintOf(req: Request, file?: { bytes: Buffer; contentType: string }): string {
  const search = new URLSearchParams(req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '');
  const query = [...search.entries()].sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1));
  const body = file ? `file:${file.contentType}:${sha256(file.bytes)}` : canonicalJson(req.body ?? {});
  return sha256(JSON.stringify([req.method, req.path, query, body]));
}

/**
 * An id for a record a request creates: derived from its idempotency key when it has one (so that a
 * retry that runs again names the same record, and finds it), otherwise random. `PO-1A2B3C4D5E6F`.
 */
export function newRecordId(req: Request, prefix: string): string {
  const call = req.idempotency;
  const digits = call ? sha256(`${call.scope}\n${call.key}\n${call.fingerprint}`).slice(0, 12) : randomUUID().replace(/-/g, '').slice(0, 12);
  return `${prefix}-${digits.toUpperCase()}`;
}

/** Whether `id` is the one newRecordId derived for this request (so "already exists" is this request's own earlier run). */
export function isDerivedRecordId(req: Request, prefix: string, id: string): boolean {
  return req.idempotency !== undefined && newRecordId(req, prefix) === id;
}

/** The Update ID of a request's workflow Update: derived from its idempotency key, so Temporal runs a retried Update once. */
export function updateIdOf(req: Request): string | undefined {
  const call = req.idempotency;
  return call ? `idempotency:${sha256(`${call.scope}\n${call.key}\n${call.fingerprint}`)}` : undefined;
}

type Row = NonNullable<Awaited<ReturnType<Db['idempotentRequest']['findUnique']>>>;

type Claim = { kind: 'claimed'; token: string } | { kind: 'done'; row: Row } | { kind: 'other-request'; row: Row } | { kind: 'running' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The kept answers, in PostgreSQL: shared by every API process. */
export class IdempotencyStore {
  private lastPurge = 0;

  constructor(
    private readonly db: Db,
    private readonly settings: IdempotencySettings = DEFAULT_IDEMPOTENCY_SETTINGS,
    private readonly now: () => number = Date.now,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /**
   * Runs `handler` for the first request with this key and keeps its answer; answers a repeat with
   * the kept answer, a duplicate under way after it finishes, another request with 422.
   */
  async run(req: Request, res: Response, call: IdempotentCall, handler: () => Promise<void>): Promise<void> {
    const started = this.now();
    for (let attempt = 0; ; attempt++) {
      const claim = await this.claim(req, call);
      if (claim.kind === 'claimed') return this.runClaimed(req, res, call, claim.token, handler);
      if (claim.kind === 'done') return replay(res, claim.row);
      if (claim.kind === 'other-request') {
        throw new ApiError(
          422,
          'idempotency_key_reused',
          `Idempotency-Key ${call.key} was used for another request (${claim.row.method} ${claim.row.path}, another body or query) in the last ${IDEMPOTENCY_RETENTION_HOURS} hours; send a new key with a new request`,
          [{ field: IDEMPOTENCY_HEADER, reason: 'was used for another request' }],
        );
      }
      if (this.now() - started >= this.settings.waitMs) {
        res.set('Retry-After', '1');
        throw new ApiError(409, 'idempotency_key_in_use', `a request with Idempotency-Key ${call.key} is still under way; retry it shortly to get its answer`);
      }
      await sleep(Math.min(500, 25 * 2 ** Math.min(attempt, 5)));
    }
  }

  private async claim(req: Request, call: IdempotentCall): Promise<Claim> {
    const now = this.now();
    this.purge(now);
    const token = randomUUID();
    const fresh = {
      fingerprint: call.fingerprint,
      method: req.method,
      path: req.path,
      state: 'running',
      claimToken: token,
      lockedUntil: new Date(now + this.settings.leaseMs),
      status: null,
      contentType: null,
      location: null,
      body: null,
      requestId: null,
      completedAt: null,
    };
    const created = await this.db.idempotentRequest.createMany({ data: [{ scope: call.scope, key: call.key, ...fresh, createdAt: new Date(now) }], skipDuplicates: true });
    if (created.count === 1) return { kind: 'claimed', token };
    const row = await this.db.idempotentRequest.findUnique({ where: { scope_key: { scope: call.scope, key: call.key } } });
    if (!row) return { kind: 'running' }; // released a moment ago: try again
    const expired = row.createdAt.getTime() + this.settings.retentionMs <= now;
    if (!expired && row.fingerprint !== call.fingerprint) return { kind: 'other-request', row };
    if (!expired && row.state === 'done') return { kind: 'done', row };
    // A key past its retention is free; a running request whose process stopped renewing its hold is taken over.
    if (expired || row.lockedUntil.getTime() <= now) {
      const taken = await this.db.idempotentRequest.updateMany({
        where: { scope: call.scope, key: call.key, claimToken: row.claimToken },
        data: { ...fresh, ...(expired ? { createdAt: new Date(now) } : {}) },
      });
      if (taken.count === 1) return { kind: 'claimed', token };
    }
    return { kind: 'running' };
  }

  private async runClaimed(req: Request, res: Response, call: IdempotentCall, token: string, handler: () => Promise<void>): Promise<void> {
    const where = { scope: call.scope, key: call.key, claimToken: token };
    const renewal = setInterval(() => {
      this.db.idempotentRequest.updateMany({ where: { ...where, state: 'running' }, data: { lockedUntil: new Date(this.now() + this.settings.leaseMs) } }).catch(this.onError);
    }, Math.max(1_000, this.settings.leaseMs / 3));
    renewal.unref();
    req.idempotency = call;
    // The answer is kept before it is sent: a retry that comes after the caller has it finds it.
    const send = res.send;
    res.send = (body?: unknown) => {
      if (typeof body !== 'string' && !Buffer.isBuffer(body)) return send.call(res, body); // an object: res.send turns it into JSON and comes back
      res.send = send;
      clearInterval(renewal);
      const status = res.statusCode;
      const kept =
        status >= 500
          ? this.db.idempotentRequest.deleteMany({ where })
          : this.db.idempotentRequest.updateMany({
            where,
            data: {
              state: 'done',
              status,
              body: Buffer.isBuffer(body) ? body.toString('utf8') : body,
              contentType: res.get('Content-Type') ?? null,
              location: res.get('Location') ?? null,
              requestId: req.requestId ?? null,
              completedAt: new Date(this.now()),
            },
          });
      kept.catch(this.onError).finally(() => send.call(res, body));
      return res;
    };
    // The handler's answer, or the error handler's if it throws, goes through res.send above.
    await handler();
  }

  /** Deletes answers past their retention, at most every ten minutes per process, in the background. */
  private purge(now: number): void {
    if (now - this.lastPurge < 600_000) return;
    this.lastPurge = now;
    this.db.idempotentRequest.deleteMany({ where: { createdAt: { lt: new Date(now - this.settings.retentionMs) } } }).catch(this.onError);
  }
}

function replay(res: Response, row: Row): void {
  res.status(row.status ?? 200);
  if (row.contentType) res.set('Content-Type', row.contentType);
  if (row.location) res.set('Location', row.location);
  res.set('Idempotent-Replayed', 'true');
  if (row.requestId) res.set('Original-Request-Id', row.requestId);
  if ((row.status ?? 200) >= 400) {
    try {
      res.locals.errorCode = (JSON.parse(row.body ?? '') as { error?: { code?: string } }).error?.code;
    } catch {
      // not the error shape: no code to log
    }
  }
  res.locals.idempotentReplay = true;
  res.send(row.body ?? '');
}
