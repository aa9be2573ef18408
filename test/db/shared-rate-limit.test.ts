/**
 * Rate limits shared by API replicas through PostgreSQL: two limiters with database connections of
 * their own (as two API processes have) take from one bucket per key, so together they allow the
 * documented burst and rate, not twice it; and while the database cannot be reached each limits by
 * itself instead of refusing everything.
 */
import { createApiKey } from '../../api/keys';
import { SharedTokenBuckets, TakeResult } from '../../api/limits';
import { Db, createDb } from '../../infra/db';
import { freePort } from '../../infra/temporal-dev-server';
import { testDatabaseUrl, uniqueId } from '../support/env';

let replicaA: Db;
let replicaB: Db;

beforeAll(() => {
  replicaA = createDb(testDatabaseUrl());
  replicaB = createDb(testDatabaseUrl());
});

afterAll(async () => {
  await replicaA?.$disconnect();
  await replicaB?.$disconnect();
});

async function newKeyId(): Promise<string> {
  return (await createApiKey(replicaA, { name: uniqueId('limit'), role: 'support' })).id;
}

const allowedOf = (results: TakeResult[]) => results.filter((r) => r.allowed).length;

describe('SharedTokenBuckets', () => {
  it('lets two replicas together take the burst once, not once each, even all at the same moment', async () => {
    const limits = { ratePerMinute: 60, burst: 40 };
    const clock = { now: Date.parse('2026-12-07T08:00:00Z') };
    const a = new SharedTokenBuckets(replicaA, limits, () => clock.now);
    const b = new SharedTokenBuckets(replicaB, limits, () => clock.now);
    const keyId = await newKeyId();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).take(keyId)));
    expect(allowedOf(results)).toBe(40);
    const refused = results.filter((r): r is Extract<TakeResult, { allowed: false }> => !r.allowed);
    expect(refused).toHaveLength(60);
    expect(new Set(refused.map((r) => r.retryAfterSeconds))).toEqual(new Set([1]));
  });

  it('refills at the documented rate whichever replica asks, and answers Retry-After from the shared bucket', async () => {
    const limits = { ratePerMinute: 2, burst: 3 };
    const clock = { now: Date.parse('2026-12-07T09:00:00Z') };
    const a = new SharedTokenBuckets(replicaA, limits, () => clock.now);
    const b = new SharedTokenBuckets(replicaB, limits, () => clock.now);
    const keyId = await newKeyId();
    expect(await a.take(keyId)).toEqual({ allowed: true, remaining: 2 });
    expect(await b.take(keyId)).toEqual({ allowed: true, remaining: 1 });
    expect(await a.take(keyId)).toEqual({ allowed: true, remaining: 0 });
    expect(await b.take(keyId)).toEqual({ allowed: false, retryAfterSeconds: 30 });
    clock.now += 29_000;
    expect(await a.take(keyId)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.now += 1_000;
    expect(await b.take(keyId)).toEqual({ allowed: true, remaining: 0 });
    expect(await a.take(keyId)).toEqual({ allowed: false, retryAfterSeconds: 30 });
    // A long pause fills the bucket to its burst, no further.
    clock.now += 3_600_000;
    const after = await Promise.all([a.take(keyId), b.take(keyId), a.take(keyId), b.take(keyId)]);
    expect(allowedOf(after)).toBe(3);
  });

  it('keeps the limit on the database clock when no clock is given: 2 replicas, 200 requests at once, burst 50', async () => {
    const limits = { ratePerMinute: 600, burst: 50 };
    const a = new SharedTokenBuckets(replicaA, limits);
    const b = new SharedTokenBuckets(replicaB, limits);
    const keyId = await newKeyId();
    const began = Date.now();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).take(keyId)));
    const seconds = (Date.now() - began) / 1000;
    // 50 at once, plus what 10 a second refilled while the requests were being answered.
    expect(allowedOf(results)).toBeGreaterThanOrEqual(50);
    expect(allowedOf(results)).toBeLessThanOrEqual(50 + Math.ceil(seconds * 10));
  });

  it('keys do not share buckets, and a deleted key takes its bucket with it', async () => {
    const limits = { ratePerMinute: 1, burst: 1 };
    const a = new SharedTokenBuckets(replicaA, limits);
    const [k1, k2] = [await newKeyId(), await newKeyId()];
    expect((await a.take(k1)).allowed).toBe(true);
    expect((await a.take(k1)).allowed).toBe(false);
    expect((await a.take(k2)).allowed).toBe(true);
    await replicaA.apiKey.delete({ where: { id: k1 } });
    expect(await replicaA.rateLimitBucket.findUnique({ where: { keyId: k1 } })).toBeNull();
  });

  it('limits by itself while the database cannot be reached, says so once, and does not refuse requests for it', async () => {
    const port = await freePort();
    const unreachable = createDb(`postgresql://tradeguard:tradeguard@127.0.0.1:${port}/tradeguard`);
    const told: Error[] = [];
    const limiter = new SharedTokenBuckets(unreachable, { ratePerMinute: 60, burst: 2 }, undefined, (err) => told.push(err));
    const results = [await limiter.take('k'), await limiter.take('k'), await limiter.take('k')];
    expect(results.map((r) => r.allowed)).toEqual([true, true, false]);
    expect(told).toHaveLength(1);
    await unreachable.$disconnect();
  });
});
