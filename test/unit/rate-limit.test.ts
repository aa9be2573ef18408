/**
 * The per-key token bucket and its settings, on a clock the test moves by hand.
 */
import { DEFAULT_REQUEST_LIMITS, requestLimitsFromEnv, TokenBuckets, trustProxyFromEnv } from '../../api/limits';

function bucketsAt(start: number, limits = { ratePerMinute: 60, burst: 3 }, maxTracked?: number) {
  const clock = { now: start };
  return { clock, buckets: new TokenBuckets(limits, () => clock.now, maxTracked) };
}

describe('TokenBuckets', () => {
  it('lets a key make `burst` requests at once, then refuses with the seconds until the next token', () => {
    const { buckets } = bucketsAt(0);
    expect([1, 2, 3].map(() => buckets.take('key-a'))).toEqual([
      { allowed: true, remaining: 2 },
      { allowed: true, remaining: 1 },
      { allowed: true, remaining: 0 },
    ]);
    expect(buckets.take('key-a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('keeps each key to its own bucket', () => {
    const { buckets } = bucketsAt(0);
    for (let i = 0; i < 3; i++) buckets.take('key-a');
    expect(buckets.take('key-a').allowed).toBe(false);
    expect(buckets.take('key-b')).toEqual({ allowed: true, remaining: 2 });
  });

  it('refills at the sustained rate and never above the burst', () => {
    const { clock, buckets } = bucketsAt(1_000_000, { ratePerMinute: 6, burst: 2 }); // one token every 10 s
    buckets.take('k');
    buckets.take('k');
    const refused = buckets.take('k');
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 10 });
    clock.now += 4_000;
    expect(buckets.take('k')).toEqual({ allowed: false, retryAfterSeconds: 6 });
    clock.now += 6_000;
    expect(buckets.take('k')).toEqual({ allowed: true, remaining: 0 });
    clock.now += 3_600_000; // an hour idle refills to the burst, not beyond
    expect([buckets.take('k'), buckets.take('k'), buckets.take('k')].map((t) => t.allowed)).toEqual([true, true, false]);
  });

  it('a refused request does not use up a token', () => {
    const { clock, buckets } = bucketsAt(0, { ratePerMinute: 60, burst: 1 });
    buckets.take('k');
    for (let i = 0; i < 5; i++) expect(buckets.take('k').allowed).toBe(false);
    clock.now += 1_000;
    expect(buckets.take('k').allowed).toBe(true);
  });

  it('takes back a token given back, up to the burst', () => {
    const { buckets } = bucketsAt(0, { ratePerMinute: 60, burst: 2 });
    buckets.take('k');
    buckets.take('k');
    expect(buckets.take('k').allowed).toBe(false);
    buckets.giveBack('k');
    expect(buckets.take('k')).toEqual({ allowed: true, remaining: 0 });
    buckets.giveBack('k');
    buckets.giveBack('k');
    buckets.giveBack('k');
    expect([buckets.take('k'), buckets.take('k'), buckets.take('k')].map((t) => t.allowed)).toEqual([true, true, false]);
  });

  it('forgets idle keys whose bucket is full again once it tracks too many', () => {
    const { clock, buckets } = bucketsAt(0, { ratePerMinute: 60, burst: 1 }, 3);
    for (const k of ['a', 'b', 'c']) buckets.take(k);
    clock.now += 1_000; // a, b and c are full again
    buckets.take('d');
    expect(buckets.size).toBe(1);
    // A forgotten key starts with a full bucket, which is what it had anyway.
    expect(buckets.take('a')).toEqual({ allowed: true, remaining: 0 });
  });
});

describe('requestLimitsFromEnv', () => {
  it('uses the defaults when nothing is set', () => {
    expect(requestLimitsFromEnv({})).toEqual(DEFAULT_REQUEST_LIMITS);
  });

  it('reads RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST, JSON_BODY_LIMIT_BYTES and the limits of requests without a valid key', () => {
    expect(requestLimitsFromEnv({
      RATE_LIMIT_PER_MINUTE: '30', RATE_LIMIT_BURST: '5', JSON_BODY_LIMIT_BYTES: '2048',
      RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '12', RATE_LIMIT_UNAUTHENTICATED_BURST: '4',
    })).toEqual({
      ratePerMinute: 30,
      burst: 5,
      jsonBodyBytes: 2048,
      unauthenticatedPerMinute: 12,
      unauthenticatedBurst: 4,
    });
  });

  it('refuses a value that is not a positive whole number, naming the variable', () => {
    expect(() => requestLimitsFromEnv({ RATE_LIMIT_PER_MINUTE: '0' })).toThrow('RATE_LIMIT_PER_MINUTE=0 is not a positive whole number');
    expect(() => requestLimitsFromEnv({ RATE_LIMIT_BURST: 'lots' })).toThrow('RATE_LIMIT_BURST=lots is not a positive whole number');
    expect(() => requestLimitsFromEnv({ JSON_BODY_LIMIT_BYTES: '1.5' })).toThrow('JSON_BODY_LIMIT_BYTES=1.5 is not a positive whole number');
    expect(() => requestLimitsFromEnv({ RATE_LIMIT_UNAUTHENTICATED_BURST: '-3' })).toThrow('RATE_LIMIT_UNAUTHENTICATED_BURST=-3 is not a positive whole number');
  });
});

describe('trustProxyFromEnv', () => {
  it("reads TRUST_PROXY in Express's terms: none unless set", () => {
    expect(trustProxyFromEnv({})).toBe(false);
    expect(trustProxyFromEnv({ TRUST_PROXY: 'false' })).toBe(false);
    expect(trustProxyFromEnv({ TRUST_PROXY: 'true' })).toBe(true);
    expect(trustProxyFromEnv({ TRUST_PROXY: '2' })).toBe(2);
    expect(trustProxyFromEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8' })).toBe('loopback, 10.0.0.0/8');
  });
});
