/**
 * Managing API keys through the API, against the suite's PostgreSQL and two API processes sharing
 * it (each with its own key cache, as separate hosts would have): ops list keys without their
 * secrets, revoke and rotate them; a party's key revokes itself and no other; a revoked key stops at
 * once in the process that revoked it and within KEY_CACHE_TTL_MS in the other; a rotated key keeps
 * working for its overlap and then stops; a key with an expiry stops at it, cached or not.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { LocalFileStorage } from '../../adapters/storage';
import { createApp } from '../../api/app';
import { createHealthCheck } from '../../api/health';
import { createApiKey, KEY_CACHE_TTL_MS } from '../../api/keys';
import { Db, createDb } from '../../infra/db';
import { testDatabaseUrl, testTemporalAddress, uniqueId } from '../support/env';
import { apiClient, expectError } from '../support/stack';

let db: Db;
let connection: Connection;
let storageDir: string;
const servers: http.Server[] = [];
/** Two API processes on the same database, each with the default cache time. */
let one: ReturnType<typeof apiClient>;
let two: ReturnType<typeof apiClient>;
let opsKey: string;

async function startApi(): Promise<string> {
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = uniqueId('keys');
  const health = createHealthCheck({ client, db, address: testTemporalAddress(), namespace: 'default', taskQueue });
  const server = http.createServer(createApp({ client, db, taskQueue, health, storage: new LocalFileStorage(storageDir) }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  db = createDb(testDatabaseUrl());
  connection = await Connection.connect({ address: testTemporalAddress() });
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-key-management-'));
  one = apiClient(await startApi());
  two = apiClient(await startApi());
  opsKey = (await createApiKey(db, { name: uniqueId('ops'), role: 'ops' })).key;
});

afterAll(async () => {
  for (const s of servers) await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  await connection?.close();
  await db?.$disconnect();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const works = async (api: ReturnType<typeof apiClient>, key: string) => (await api(key, 'GET', '/orders?limit=1')).status;

async function buyerWithKey() {
  const buyerId = uniqueId('buyer');
  expect((await one(opsKey, 'POST', '/parties', { id: buyerId, kind: 'buyer', name: 'Buyer', email: `${buyerId}@example.com` })).status).toBe(201);
  const created = await one(opsKey, 'POST', '/api-keys', { name: `${buyerId} integration`, role: 'buyer', partyId: buyerId });
  expect(created.status).toBe(201);
  return { buyerId, id: created.body.apiKey.id as string, key: created.body.apiKey.key as string };
}

describe('listing keys', () => {
  it('shows ops and support every key with its status and prefix, never a secret or a hash; others may not list', async () => {
    const b = await buyerWithKey();
    const supportKey = (await one(opsKey, 'POST', '/api-keys', { name: 'support desk', role: 'support' })).body.apiKey.key as string;
    // Each key comes with what the caller may do to it now: ops revoke and rotate an active key; support reads.
    for (const [key, actions] of [[opsKey, ['revoke', 'rotate']], [supportKey, []]] as const) {
      const listed = await one(key, 'GET', `/api-keys?partyId=${b.buyerId}`);
      expect(listed.status).toBe(200);
      expect(listed.body.apiKeys).toEqual([
        { id: b.id, name: `${b.buyerId} integration`, role: 'buyer', partyId: b.buyerId, keyPrefix: b.key.slice(0, 7), status: 'active', createdAt: expect.any(String), actions },
      ]);
    }
    const all = await one(opsKey, 'GET', '/api-keys?limit=500');
    const text = JSON.stringify(all.body);
    expect(text).not.toContain(b.key);
    expect(text).not.toContain(opsKey);
    expect(text).not.toMatch(/keyHash|"key"/);
    expectError(await one(b.key, 'GET', '/api-keys'), 403, 'forbidden');
    // A revoked key can no longer be rotated: the list says so by the rule the rotation applies.
    expect((await one(opsKey, 'POST', `/api-keys/${b.id}/revoke`, {})).status).toBe(200);
    expect((await one(opsKey, 'GET', `/api-keys?partyId=${b.buyerId}`)).body.apiKeys[0].actions).toEqual(['revoke']);
    expect((await one(opsKey, 'POST', `/api-keys/${b.id}/rotate`, {})).status).toBe(409);
  });
});

describe('revoking a key', () => {
  it(`stops it at once in the API process that revoked it and within KEY_CACHE_TTL_MS (${KEY_CACHE_TTL_MS} ms) in every other`, async () => {
    const b = await buyerWithKey();
    expect([await works(one, b.key), await works(two, b.key)]).toEqual([200, 200]);
    const revoked = await one(opsKey, 'POST', `/api-keys/${b.id}/revoke`, {});
    expect(revoked.status).toBe(200);
    expect(revoked.body.apiKey).toMatchObject({ id: b.id, status: 'revoked', revokedAt: expect.any(String), revokedBy: expect.any(String) });
    expect(await works(one, b.key)).toBe(401);
    // The other process still trusts what it looked up a moment ago, no longer than its cache time.
    const revokedAt = Date.now();
    let stoppedAfter: number | undefined;
    while (Date.now() - revokedAt < KEY_CACHE_TTL_MS + 1_000) {
      if ((await works(two, b.key)) === 401) {
        stoppedAfter = Date.now() - revokedAt;
        break;
      }
      await sleep(100);
    }
    expect(stoppedAfter).toBeDefined();
    expect(stoppedAfter!).toBeLessThanOrEqual(KEY_CACHE_TTL_MS + 200);
    // Revoking again answers as the first revocation did.
    const again = await one(opsKey, 'POST', `/api-keys/${b.id}/revoke`, {});
    expect(again.body.apiKey).toEqual(revoked.body.apiKey);
    expectError(await one(opsKey, 'POST', '/api-keys/no-such-key/revoke', {}), 404, 'not_found');
  });

  it("lets a party's key revoke itself, and no other key: another key is answered as a missing one", async () => {
    const b = await buyerWithKey();
    const other = await buyerWithKey();
    const probe = await one(b.key, 'POST', `/api-keys/${other.id}/revoke`, {});
    const missing = await one(b.key, 'POST', '/api-keys/no-such-key/revoke', {});
    expectError(probe, 404, 'not_found');
    expect(probe.body.error.message).toBe(`no API key ${other.id}`);
    expect(missing.body.error.message).toBe('no API key no-such-key');
    expect(await works(one, other.key)).toBe(200);

    const self = await one(b.key, 'POST', '/api-keys/current/revoke', {});
    expect(self.status).toBe(200);
    expect(self.body.apiKey).toMatchObject({ id: b.id, status: 'revoked' });
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: b.id } })).revokedBy).toBe(b.id);
    expectError(await one(b.key, 'GET', '/orders?limit=1'), 401, 'unauthenticated');
  });
});

describe('rotating a key', () => {
  it('gives a new secret for the same name, role and party; the old one works for the overlap, then stops in every process', async () => {
    const b = await buyerWithKey();
    expect([await works(one, b.key), await works(two, b.key)]).toEqual([200, 200]);
    const before = Date.now();
    const rotated = await one(opsKey, 'POST', `/api-keys/${b.id}/rotate`, { overlapSeconds: 3 });
    expect(rotated.status).toBe(201);
    const fresh = rotated.body.apiKey;
    expect(fresh).toMatchObject({ role: 'buyer', partyId: b.buyerId, name: `${b.buyerId} integration`, key: expect.stringMatching(/^tg_/) });
    expect(fresh.key).not.toBe(b.key);
    expect(rotated.body.previous).toMatchObject({ id: b.id, status: 'expiring' });
    expect(Math.abs(Date.parse(rotated.body.previous.expiresAt) - (before + 3_000))).toBeLessThan(1_500);
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: fresh.id } })).rotatedFromId).toBe(b.id);

    // Both work during the overlap, in both processes.
    expect([await works(one, fresh.key), await works(two, fresh.key), await works(one, b.key), await works(two, b.key)]).toEqual([200, 200, 200, 200]);
    // After it, the old key stops: at its expiry where the process knows it, within the cache time elsewhere.
    await sleep(Date.parse(rotated.body.previous.expiresAt) - Date.now() + 100);
    expect(await works(one, b.key)).toBe(401);
    await sleep(KEY_CACHE_TTL_MS);
    expect(await works(two, b.key)).toBe(401);
    expect([await works(one, fresh.key), await works(two, fresh.key)]).toEqual([200, 200]);
    const listed = await one(opsKey, 'GET', `/api-keys?partyId=${b.buyerId}`);
    expect(listed.body.apiKeys.map((k: { id: string; status: string }) => [k.id, k.status])).toEqual([[fresh.id, 'active'], [b.id, 'expired']]);

    // A revoked or expired key has nothing to carry over.
    expectError(await one(opsKey, 'POST', `/api-keys/${b.id}/rotate`, {}), 409, 'action_refused');
    const overlap = await one(opsKey, 'POST', `/api-keys/${fresh.id}/rotate`, { overlapSeconds: 31 * 86_400 });
    expectError(overlap, 400, 'invalid_input');
    expect(overlap.body.error.fields[0].field).toBe('overlapSeconds');
  });
});

describe('a key with an expiry', () => {
  it('works until it and not a moment after, even from the cache', async () => {
    const buyerId = uniqueId('buyer');
    expect((await one(opsKey, 'POST', '/parties', { id: buyerId, kind: 'buyer', name: 'Buyer', email: `${buyerId}@example.com` })).status).toBe(201);
    const past = await one(opsKey, 'POST', '/api-keys', { name: 'late', role: 'buyer', partyId: buyerId, expiresAt: new Date(Date.now() - 1_000).toISOString() });
    expectError(past, 400, 'invalid_input');
    expect(past.body.error.fields).toEqual([{ field: 'expiresAt', reason: 'must be in the future' }]);

    const expiresAt = new Date(Date.now() + 2_000).toISOString();
    const created = await one(opsKey, 'POST', '/api-keys', { name: 'short-lived', role: 'buyer', partyId: buyerId, expiresAt });
    expect(created.status).toBe(201);
    expect(created.body.apiKey.expiresAt).toBe(expiresAt);
    expect([await works(one, created.body.apiKey.key), await works(two, created.body.apiKey.key)]).toEqual([200, 200]);
    await sleep(Date.parse(expiresAt) - Date.now() + 50);
    expect([await works(one, created.body.apiKey.key), await works(two, created.body.apiKey.key)]).toEqual([401, 401]);
  });
});
