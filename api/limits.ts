/**
 * Request limits: how many requests an API key may make, how many requests without a valid key
 * one client address may make, and how large a JSON body may be. Upload routes carry their own
 * size limit in their route description (see api/routes.ts).
 */
import type { Db } from '../infra/db';
import { isDatabaseUnreachable } from './errors';

export interface RequestLimits {
  /** Sustained requests per minute for one API key. */
  ratePerMinute: number;
  /** Requests one API key may make at once before the sustained rate applies. */
  burst: number;
  /** Largest JSON request body, in bytes. */
  jsonBodyBytes: number;
  /**
   * Sustained requests per minute from one client address that present no valid API key (none, an
   * unknown, revoked or expired one): checked before the key is looked up, so a flood of bad keys
   * costs no database lookup once its address has used its allowance.
   */
  unauthenticatedPerMinute: number;
  /** Such requests one client address may make at once before the sustained rate applies. */
  unauthenticatedBurst: number;
}

export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = {
  ratePerMinute: 600,
  burst: 200,
  jsonBodyBytes: 256 * 1024,
  unauthenticatedPerMinute: 60,
  unauthenticatedBurst: 20,
};

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name}=${raw} is not a positive whole number`);
  return value;
}

/**
 * RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST, JSON_BODY_LIMIT_BYTES, RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE
 * and RATE_LIMIT_UNAUTHENTICATED_BURST, with the defaults above.
 */
export function requestLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RequestLimits {
  return {
    ratePerMinute: positiveInteger(env, 'RATE_LIMIT_PER_MINUTE', DEFAULT_REQUEST_LIMITS.ratePerMinute),
    burst: positiveInteger(env, 'RATE_LIMIT_BURST', DEFAULT_REQUEST_LIMITS.burst),
    jsonBodyBytes: positiveInteger(env, 'JSON_BODY_LIMIT_BYTES', DEFAULT_REQUEST_LIMITS.jsonBodyBytes),
    unauthenticatedPerMinute: positiveInteger(env, 'RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', DEFAULT_REQUEST_LIMITS.unauthenticatedPerMinute),
    unauthenticatedBurst: positiveInteger(env, 'RATE_LIMIT_UNAUTHENTICATED_BURST', DEFAULT_REQUEST_LIMITS.unauthenticatedBurst),
  };
}

/**
 * TRUST_PROXY: which proxies in front of the API may say who the client is (X-Forwarded-For), in
 * Express's terms: unset or "false", none (the client is the connection's address); "true", any; a
 * number, that many hops; otherwise addresses, subnets or "loopback", "linklocal", "uniquelocal",
 * comma-separated. Behind a proxy that is not trusted, every client has the proxy's address.
 */
export function trustProxyFromEnv(env: NodeJS.ProcessEnv = process.env): boolean | number | string {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

export type TakeResult = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

/** Takes one request's token from a key's bucket. */
export interface RateLimiter {
  take(key: string): Promise<TakeResult>;
}

/** When a bucket without enough tokens has its next one, in whole seconds (at least 1). */
function retryAfter(tokens: number, perMs: number): number {
  const untilNextToken = (1 - tokens) / perMs / 1000;
  // The epsilon keeps a float like 6.000000001 s from being announced as 7.
  return Math.max(1, Math.ceil(untilNextToken - 1e-6));
}

/**
 * One token bucket per API key, in memory: a bucket holds up to `burst` tokens and refills at
 * `ratePerMinute`; each request takes one. In-memory means per API process: with several API
 * replicas, each would enforce the limit on its own share of the traffic, so the API uses
 * `SharedTokenBuckets` and this only while the database cannot be reached.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly limits: Pick<RequestLimits, 'ratePerMinute' | 'burst'>,
    private readonly now: () => number = Date.now,
    private readonly maxTracked = 10_000,
  ) {
    this.perMs = limits.ratePerMinute / 60_000;
  }

  /** Puts back a token `take` took for a request that turned out not to count (at most up to the burst). */
  giveBack(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.limits.burst, bucket.tokens + 1);
  }

  take(key: string): TakeResult {
    const now = this.now();
    const bucket = this.refilled(this.buckets.get(key), now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.store(key, bucket, now);
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    this.store(key, bucket, now);
    return { allowed: false, retryAfterSeconds: retryAfter(bucket.tokens, this.perMs) };
  }

  private refilled(bucket: { tokens: number; at: number } | undefined, now: number) {
    if (!bucket) return { tokens: this.limits.burst, at: now };
    const elapsed = Math.max(0, now - bucket.at);
    return { tokens: Math.min(this.limits.burst, bucket.tokens + elapsed * this.perMs), at: now };
  }

  private store(key: string, bucket: { tokens: number; at: number }, now: number): void {
    this.buckets.set(key, bucket);
    if (this.buckets.size <= this.maxTracked) return;
    // A bucket that has refilled completely says nothing a new bucket would not; forget those.
    for (const [k, b] of this.buckets) {
      if (k !== key && this.refilled(b, now).tokens >= this.limits.burst) this.buckets.delete(k);
    }
  }

  /** How many keys currently have a bucket. */
  get size(): number {
    return this.buckets.size;
  }
}

/**
 * The same token buckets, kept in PostgreSQL so that every API replica takes from one bucket per
 * key: N replicas together allow `burst` at once and `ratePerMinute` sustained, as documented, not
 * N times that. Each request is one atomic upsert (the row's lock orders concurrent requests of a
 * key; other keys do not wait), with time from the database's clock, so replicas on hosts whose
 * clocks differ still agree. `now`, when given (tests), replaces that clock.
 *
 * While the database cannot be reached, the request is not refused for that: the process's own
 * buckets (`TokenBuckets`) limit it until the database answers again, and `onFallback` is told once
 * per outage.
 */
export class SharedTokenBuckets implements RateLimiter {
  private readonly perSecond: number;
  private readonly local: TokenBuckets;
  private fallingBack = false;

  constructor(
    private readonly db: Db,
    private readonly limits: Pick<RequestLimits, 'ratePerMinute' | 'burst'>,
    private readonly now?: () => number,
    private readonly onFallback: (err: Error) => void = () => undefined,
  ) {
    this.perSecond = limits.ratePerMinute / 60;
    this.local = new TokenBuckets(limits, now);
  }

  async take(keyId: string): Promise<TakeResult> {
    let row: { tokens: number; allowed: boolean } | undefined;
    try {
      row = await this.takeShared(keyId);
    } catch (err) {
      if (!isDatabaseUnreachable(err)) throw err;
      if (!this.fallingBack) this.onFallback(err as Error);
      this.fallingBack = true;
      return this.local.take(keyId);
    }
    this.fallingBack = false;
    if (row.allowed) return { allowed: true, remaining: Math.floor(row.tokens) };
    return { allowed: false, retryAfterSeconds: retryAfter(row.tokens, this.perSecond / 1000) };
  }

  /**
   * Refill by the time since the row's `refilledAt`, then take a token if there is a whole one; the
   * SET expressions all read the row as it was. `refilledAt` never moves back: a request that waited
   * for the row's lock behind a later one refills nothing twice.
   */
  private async takeShared(keyId: string): Promise<{ tokens: number; allowed: boolean }> {
    const at = this.now ? new Date(this.now()) : null;
    const burst = this.limits.burst;
    const perSecond = this.perSecond;
    const rows = await this.db.$queryRaw<{ tokens: number; allowed: boolean }[]>`
      INSERT INTO "RateLimitBucket" AS b ("keyId", "tokens", "refilledAt", "allowed")
      VALUES (${keyId}, ${burst}::float8 - 1, COALESCE(${at}::timestamptz, clock_timestamp()), true)
      ON CONFLICT ("keyId") DO UPDATE SET
        "tokens" = LEAST(${burst}::float8, b."tokens" + GREATEST(0, EXTRACT(EPOCH FROM EXCLUDED."refilledAt" - b."refilledAt")::float8) * ${perSecond}::float8)
          - CASE WHEN LEAST(${burst}::float8, b."tokens" + GREATEST(0, EXTRACT(EPOCH FROM EXCLUDED."refilledAt" - b."refilledAt")::float8) * ${perSecond}::float8) >= 1 THEN 1 ELSE 0 END,
        "allowed" = LEAST(${burst}::float8, b."tokens" + GREATEST(0, EXTRACT(EPOCH FROM EXCLUDED."refilledAt" - b."refilledAt")::float8) * ${perSecond}::float8) >= 1,
        "refilledAt" = GREATEST(b."refilledAt", EXCLUDED."refilledAt")
      RETURNING "tokens", "allowed"`;
    return rows[0];
  }
}
