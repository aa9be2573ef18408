/**
 * Request limits on the real stack, with tiny limits given to createApp: a key that makes more
 * requests than its bucket holds is answered 429 with Retry-After, other keys are not; a client
 * address that keeps sending no key or bad keys is answered 429 before any lookup, other addresses
 * and known keys are not, nor the lookups of a key found valid a moment ago; a JSON body over the limit and a file over its route's limit are
 * answered 413. All in the one error shape.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { LocalFileStorage } from '../../adapters/storage';
import { createApp } from '../../api/app';
import { errorBodySchema } from '../../api/errors';
import { createApiKey, Role } from '../../api/keys';
import type { OpenApiDocument } from '../../api/openapi';
import { uniqueId } from '../support/env';
import { apiClient, expectError, Reply, startTestStack, TestStack } from '../support/stack';

let stack: TestStack;
let call: ReturnType<typeof apiClient>;
// The rate limiter's clock, moved by the test: no test here waits for real time to pass.
const clock = { now: Date.parse('2026-11-02T08:00:00Z') };
const limits = { ratePerMinute: 2, burst: 3, jsonBodyBytes: 1024, unauthenticatedPerMinute: 6, unauthenticatedBurst: 5 };

beforeAll(async () => {
  stack = await startTestStack({ app: { limits, now: () => clock.now } });
  call = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

/** A fresh key, straight from the database, so that making it costs no request. */
async function freshKey(role: Role = 'ops'): Promise<string> {
  return (await createApiKey(stack.db, { name: uniqueId('limits'), role })).key;
}

/** `size` bytes that start with the signature of `type` (the API checks it before anything else of the file). */
function fileOf(type: string, size: number): Buffer {
  const signatures: Record<string, Buffer> = {
    'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    'image/jpeg': Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
    'application/pdf': Buffer.from('%PDF-1.7\n'),
    'video/mp4': Buffer.concat([Buffer.from([0, 0, 0, 16]), Buffer.from('ftypmp42'), Buffer.from([0, 0, 0, 0])]),
  };
  const file = Buffer.alloc(size, 1);
  signatures[type].copy(file);
  return file;
}

function expectErrorShape(res: Reply): void {
  expect(errorBodySchema.safeParse(res.body)).toMatchObject({ success: true });
}

describe('rate limit per API key', () => {
  it('answers 429 with Retry-After once a key has used its burst, leaves other keys alone, and refills with time', async () => {
    const key = await freshKey('support');
    const statuses: number[] = [];
    for (let i = 0; i < limits.burst; i++) statuses.push((await call(key, 'GET', '/orders?limit=1')).status);
    expect(statuses).toEqual([200, 200, 200]);

    const res = await fetch(`${stack.apiUrl}/orders?limit=1`, { headers: { authorization: `Bearer ${key}` } });
    const limited: Reply = { status: res.status, body: await res.json() };
    expectError(limited, 429, 'rate_limited');
    expectErrorShape(limited);
    expect(limited.body.error.message).toBe('too many requests for this API key: at most 2 a minute (bursts of 3); retry after 30 s');
    expect(res.headers.get('retry-after')).toBe('30');

    // Another key has its own bucket; public routes need no key and take no token.
    expect((await call(await freshKey('support'), 'GET', '/orders?limit=1')).status).toBe(200);
    expect((await fetch(`${stack.apiUrl}/openapi.json`)).status).toBe(200);

    // Still refused a moment before the next token; allowed once it has come.
    clock.now += 29_000;
    expectError(await call(key, 'GET', '/orders?limit=1'), 429, 'rate_limited');
    clock.now += 2_000;
    expect((await call(key, 'GET', '/orders?limit=1')).status).toBe(200);
    expectError(await call(key, 'GET', '/orders?limit=1'), 429, 'rate_limited');
  });

  it('counts refused requests against the key too, so a key cannot probe past its limit', async () => {
    const key = await freshKey('support');
    for (let i = 0; i < limits.burst; i++) expect((await call(key, 'POST', '/parties', {})).status).toBe(403);
    expectError(await call(key, 'POST', '/parties', {}), 429, 'rate_limited');
  });
});

describe('request body size', () => {
  it('answers 413 for a JSON body over the limit, and reads one at the limit', async () => {
    const key = await freshKey();
    const body = (size: number) => {
      const skeleton = JSON.stringify({ id: 'p-1', kind: 'buyer', name: '', email: 'a@b.example' });
      return JSON.stringify({ id: 'p-1', kind: 'buyer', name: 'n'.repeat(size - skeleton.length), email: 'a@b.example' });
    };
    expect(Buffer.byteLength(body(limits.jsonBodyBytes))).toBe(limits.jsonBodyBytes);

    const tooLarge = await call(key, 'POST', '/parties', undefined, body(limits.jsonBodyBytes + 1));
    expectError(tooLarge, 413, 'payload_too_large');
    expectErrorShape(tooLarge);
    expect(tooLarge.body.error.message).toBe('request body exceeds the limit of 1024 bytes');
    expect(tooLarge.body.error.fields).toEqual([{ field: '(body)', reason: 'must be at most 1024 bytes' }]);

    // At the limit the body is read and validated: the name is too long for a party, and the answer says so.
    const atLimit = await call(key, 'POST', '/parties', undefined, body(limits.jsonBodyBytes));
    expectError(atLimit, 400, 'invalid_input');
    expect(atLimit.body.error.fields).toEqual([{ field: 'name', reason: 'must be at most 200 characters' }]);
  });

  it('answers 413 for a file over the limit its route documents, for every upload route', async () => {
    const doc = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as OpenApiDocument;
    const uploads = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.values(methods).flatMap((op) => {
        const content = op?.requestBody?.content ?? {};
        const types = Object.keys(content).filter((t) => t !== 'application/json');
        return types.length ? [{ path, type: types[0], maxBytes: (content[types[0]].schema as { maxLength: number }).maxLength }] : [];
      }),
    );
    expect(uploads.map((u) => u.path).sort()).toEqual([
      '/cases/{caseId}/evidence',
      '/monitoring/{monitoringId}/product-pictures',
      '/monitoring/{monitoringId}/progress-photos',
      '/monitoring/{monitoringId}/report',
      '/orders/{orderId}/claims/{claimId}/evidence',
    ]);
    for (const upload of uploads) {
      expect(upload.maxBytes).toBe(10 * 1024 * 1024);
      const url = stack.apiUrl + upload.path.replace('{orderId}', 'PO-NOT-THERE').replace('{claimId}', 'C1').replace('{monitoringId}', 'PM-NOT-THERE').replace('{caseId}', 'CS-NOT-THERE');
      const send = async (size: number): Promise<Reply> => {
        const res = await fetch(`${url}?name=big.bin`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await freshKey()}`, 'content-type': upload.type },
          body: fileOf(upload.type, size),
        });
        return { status: res.status, body: await res.json() };
      };
      const over = await send(upload.maxBytes + 1);
      expect({ path: upload.path, status: over.status, code: over.body.error.code }).toEqual({ path: upload.path, status: 413, code: 'payload_too_large' });
      expectErrorShape(over);
      expect(over.body.error.message).toBe(`request body exceeds the limit of ${upload.maxBytes} bytes`);
      // At the limit the file is taken; the answer is about the task or order, not the size.
      const at = await send(upload.maxBytes);
      const expected = upload.path.endsWith('progress-photos') ? 400 : 404; // progress photos also need their query fields
      expect({ path: upload.path, status: at.status }).toEqual({ path: upload.path, status: expected });
    }
  });
});

describe('requests without a valid key, per client address', () => {
  /** A GET from a given local address (all of 127.0.0.0/8 is this machine). */
  function from(address: string, path: string, key?: string): Promise<Reply & { retryAfter?: string }> {
    const { port } = new URL(stack.apiUrl);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, localAddress: address, headers: key ? { authorization: `Bearer ${key}` } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), retryAfter: res.headers['retry-after'] as string | undefined }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('answers 429 before any key lookup once an address has used its allowance, and leaves other addresses and valid keys alone', async () => {
    const lookups = { n: 0 };
    const findUnique = stack.db.apiKey.findUnique;
    stack.db.apiKey.findUnique = ((...args: Parameters<typeof findUnique>) => {
      lookups.n++;
      return findUnique.apply(stack.db.apiKey, args);
    }) as unknown as typeof findUnique;
    try {
      // 300 requests with made-up keys from one address, ten at a time.
      const answers: (Reply & { retryAfter?: string })[] = [];
      for (let i = 0; i < 30; i++) {
        answers.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => from('127.0.0.2', '/orders?limit=1', `tg_guess-${i}-${j}`)))));
      }
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(limits.unauthenticatedBurst);
      expect(statuses.filter((s) => s === 429)).toHaveLength(300 - limits.unauthenticatedBurst);
      expect(lookups.n).toBe(limits.unauthenticatedBurst);
      const limited = answers.find((a) => a.status === 429)!;
      expectError(limited, 429, 'rate_limited');
      expectErrorShape(limited);
      expect(limited.body.error.message).toBe('too many requests without a valid API key from this address: at most 6 a minute (bursts of 5); retry after 10 s');
      expect(limited.retryAfter).toBe('10');
      // No key at all counts the same.
      expectError(await from('127.0.0.2', '/orders?limit=1'), 429, 'rate_limited');

      // Another address has an allowance of its own.
      expectError(await from('127.0.0.3', '/orders?limit=1', 'tg_guess-elsewhere'), 401, 'unauthenticated');
      // A key this API process already knows valid still works from the limited address, with no lookup.
      const known = await freshKey('support');
      expect((await call(known, 'GET', '/orders?limit=1')).status).toBe(200);
      const before = lookups.n;
      expect((await from('127.0.0.2', '/orders?limit=1', known)).status).toBe(200);
      expect(lookups.n).toBe(before);
      // A key it has not looked up yet waits for the address's next token, as any unchecked key does.
      const unchecked = await freshKey('support');
      expectError(await from('127.0.0.2', '/orders?limit=1', unchecked), 429, 'rate_limited');
      // Ten seconds give the address one token: the valid key takes it and gives it back, a bad key then uses it up.
      clock.now += 10_000;
      expect((await from('127.0.0.2', '/orders?limit=1', unchecked)).status).toBe(200);
      expectError(await from('127.0.0.2', '/orders?limit=1', 'tg_guess-again'), 401, 'unauthenticated');
      expectError(await from('127.0.0.2', '/orders?limit=1', 'tg_guess-once-more'), 429, 'rate_limited');
    } finally {
      stack.db.apiKey.findUnique = findUnique;
    }
  });

  it("looks a recently valid key up again, once its cache time is over, without taking from its address's allowance", async () => {
    // An API process whose key cache keeps a key 1 ms, so that every request of a valid key is a
    // lookup, with this file's allowance for addresses and room enough per key.
    const server = http.createServer(
      createApp({
        client: stack.client,
        db: stack.db,
        taskQueue: stack.taskQueue,
        health: async () => ({ status: 'ok' }) as never,
        storage: new LocalFileStorage(stack.storageDir),
        limits: { ...limits, ratePerMinute: 100_000, burst: 1_000 },
        now: () => clock.now,
        keyCacheTtlMs: 1,
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    const get = (key: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/orders?limit=1', localAddress: '127.0.0.5', headers: { authorization: `Bearer ${key}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      const key = await createApiKey(stack.db, { name: uniqueId('busy'), role: 'support' });
      expect(await get(key.key)).toBe(200);
      await new Promise((r) => setTimeout(r, 5));
      // Four times the address's burst of lookups at once, all of a key found valid a moment ago.
      const statuses = await Promise.all(Array.from({ length: limits.unauthenticatedBurst * 4 }, () => get(key.key)));
      expect(statuses).toEqual(statuses.map(() => 200));
      // Revoked: refused at its next lookup, and from then on a stranger again, paid for by its address.
      await stack.db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
      await new Promise((r) => setTimeout(r, 5));
      const after = [];
      for (let i = 0; i <= limits.unauthenticatedBurst + 1; i++) after.push(await get(key.key));
      expect(after).toEqual([...Array.from({ length: limits.unauthenticatedBurst + 1 }, () => 401), 429]);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  });

  it('takes nothing from an address for requests whose keys are valid', async () => {
    // More valid first requests from one address than its allowance of bad ones: each is looked up and all pass.
    const keys = await Promise.all(Array.from({ length: limits.unauthenticatedBurst * 2 }, () => freshKey('support')));
    const statuses = [];
    for (const key of keys) statuses.push((await from('127.0.0.4', '/orders?limit=1', key)).status);
    expect(statuses).toEqual(keys.map(() => 200));
    // Its allowance for bad keys is whole.
    const bad = [];
    for (let i = 0; i <= limits.unauthenticatedBurst; i++) bad.push((await from('127.0.0.4', '/orders?limit=1', `tg_bad-${i}`)).status);
    expect(bad).toEqual([...Array.from({ length: limits.unauthenticatedBurst }, () => 401), 429]);
  });
});
