/**
 * API keys over HTTP against the suite's PostgreSQL: a key looked up once is trusted for a short
 * while (no database round trip per request), and a key revoked or deleted in the database stops
 * working within that time; a key created a moment ago works at once. A draft's parties are
 * remembered the same way.
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
import { createApiKey, hashKey, KEY_CACHE_TTL_MS, keyCacheTtlFromEnv } from '../../api/keys';
import { Db, createDb } from '../../infra/db';
import { testDatabaseUrl, testTemporalAddress, uniqueId } from '../support/env';
import { sampleOrderInput } from '../support/order-fixtures';

let db: Db;
let connection: Connection;
let storageDir: string;
const servers: http.Server[] = [];

beforeAll(async () => {
  db = createDb(testDatabaseUrl());
  connection = await Connection.connect({ address: testTemporalAddress() });
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-keys-'));
});

afterAll(async () => {
  for (const s of servers) await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  await connection?.close();
  await db?.$disconnect();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

async function startApi(keyCacheTtlMs?: number): Promise<string> {
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = uniqueId('keys');
  const health = createHealthCheck({ client, db, address: testTemporalAddress(), namespace: 'default', taskQueue });
  const server = http.createServer(createApp({ client, db, taskQueue, health, storage: new LocalFileStorage(storageDir), keyCacheTtlMs }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const status = async (url: string, key: string) => (await fetch(`${url}/orders?limit=1`, { headers: { authorization: `Bearer ${key}` } })).status;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('API key lookups', () => {
  it(`stops a revoked key within KEY_CACHE_TTL_MS (${KEY_CACHE_TTL_MS} ms), the default`, async () => {
    const url = await startApi();
    const key = await createApiKey(db, { name: uniqueId('ops'), role: 'ops' });
    expect(await status(url, key.key)).toBe(200);
    await db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    await sleep(KEY_CACHE_TTL_MS + 100);
    expect(await status(url, key.key)).toBe(401);
  });

  it('stops a revoked or a deleted key once the cache time has passed', async () => {
    const url = await startApi(400);
    const revoked = await createApiKey(db, { name: uniqueId('ops'), role: 'ops' });
    const deleted = await createApiKey(db, { name: uniqueId('ops'), role: 'ops' });
    expect([await status(url, revoked.key), await status(url, deleted.key)]).toEqual([200, 200]);
    await db.apiKey.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    await db.apiKey.delete({ where: { id: deleted.id } });
    await sleep(500);
    expect([await status(url, revoked.key), await status(url, deleted.key)]).toEqual([401, 401]);
  });

  it('keeps no answer for an unknown key: a key stored a moment later works at once', async () => {
    const url = await startApi(60_000);
    const key = `tg_${uniqueId('fresh')}`;
    expect(await status(url, key)).toBe(401);
    await db.apiKey.create({ data: { id: uniqueId('key'), name: 'fresh', role: 'ops', keyHash: hashKey(key), keyPrefix: key.slice(0, 7) } });
    expect(await status(url, key)).toBe(200);
  });

  it('looks every request up when the cache time is 0', async () => {
    const url = await startApi(0);
    const key = await createApiKey(db, { name: uniqueId('ops'), role: 'ops' });
    expect(await status(url, key.key)).toBe(200);
    await db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    expect(await status(url, key.key)).toBe(401);
  });
});

describe("a draft's parties", () => {
  const draft = async (url: string, key: string, buyerId: string, supplierId: string) => {
    const { terms } = sampleOrderInput('unused', { shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10) });
    const res = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: uniqueId('PK'), buyerId, supplierId, ...terms }),
    });
    return { status: res.status, body: (await res.json()) as { error?: { fields?: unknown } } };
  };
  const register = (id: string, kind: string) => db.party.create({ data: { id, kind, name: id, email: `${id}@example.test` } });

  it('sees a party registered a moment after a draft was refused for it, and forgets one deleted by hand after the cache time', async () => {
    const url = await startApi(400);
    const ops = await createApiKey(db, { name: uniqueId('ops'), role: 'ops' });
    const buyerId = uniqueId('pk-buyer');
    const supplierId = uniqueId('pk-supplier');
    await register(supplierId, 'supplier');

    const refused = await draft(url, ops.key, buyerId, supplierId);
    expect(refused.status).toBe(400);
    expect(refused.body.error?.fields).toEqual([{ field: 'buyerId', reason: `no buyer with id ${buyerId}` }]);
    await register(buyerId, 'buyer');
    expect((await draft(url, ops.key, buyerId, supplierId)).status).toBe(201);

    // A buyer named as the supplier is refused whether its kind comes from memory or the database.
    expect((await draft(url, ops.key, buyerId, buyerId)).body.error?.fields).toEqual([{ field: 'supplierId', reason: `no supplier with id ${buyerId}` }]);

    await db.party.delete({ where: { id: buyerId } });
    await sleep(500);
    expect((await draft(url, ops.key, buyerId, supplierId)).status).toBe(400);
  });
});

test('KEY_CACHE_TTL_MS sets the time from the environment; a value that is not whole milliseconds is refused by name', () => {
  expect(keyCacheTtlFromEnv({})).toBe(KEY_CACHE_TTL_MS);
  expect(keyCacheTtlFromEnv({ KEY_CACHE_TTL_MS: '0' })).toBe(0);
  expect(keyCacheTtlFromEnv({ KEY_CACHE_TTL_MS: '250' })).toBe(250);
  expect(() => keyCacheTtlFromEnv({ KEY_CACHE_TTL_MS: '-1' })).toThrow('KEY_CACHE_TTL_MS=-1 is not a whole number of milliseconds');
  expect(() => keyCacheTtlFromEnv({ KEY_CACHE_TTL_MS: '1.5s' })).toThrow('KEY_CACHE_TTL_MS=1.5s');
});
