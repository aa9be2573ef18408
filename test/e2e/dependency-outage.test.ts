/**
 * The API while PostgreSQL or Temporal cannot be reached: a 503 `unavailable` in the error shape,
 * with Retry-After, naming the dependency, and logged as such; never a 500 `internal`. Real refused
 * connections: a port where nothing listens, and a TCP server that answers PostgreSQL's startup the
 * way a server shutting down or restarting does.
 */
import fs from 'node:fs';
import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import express from 'express';
import { LocalFileStorage } from '../../adapters/storage';
import { createApp } from '../../api/app';
import { errorBodySchema } from '../../api/errors';
import { createHealthCheck } from '../../api/health';
import { createApiKey } from '../../api/keys';
import { Db, createDb } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import { testDatabaseUrl, testTemporalAddress, uniqueId } from '../support/env';

type LogLine = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const closers: (() => Promise<unknown>)[] = [];
let storageDir: string;
let temporal: Client;

beforeAll(async () => {
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-outage-'));
  const connection = await Connection.connect({ address: testTemporalAddress() });
  closers.push(() => connection.close());
  temporal = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  fs.rmSync(storageDir, { recursive: true, force: true });
});

/** A port nothing listens on (taken, then given back). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server on 127.0.0.1 that treats every connection with `onConnection`. */
async function fakePostgres(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

/** PostgreSQL's ErrorResponse message, as a server sends it in answer to a startup packet. */
function fatal(sqlstate: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlstate}\0M${message}\0\0`);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

async function startApi(db: Db, client: Client) {
  const raw: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void raw.push(line) } });
  const taskQueue = uniqueId('outage');
  const health = createHealthCheck({ client, db, address: testTemporalAddress(), namespace: 'default', taskQueue });
  const server = http.createServer(createApp({ client, db, taskQueue, health, storage: new LocalFileStorage(storageDir), logger }) as express.Express);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(() => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }));
  closers.push(() => db.$disconnect());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines: (): LogLine[] => raw.map((l) => JSON.parse(l)) };
}

async function expectUnavailable(res: Response, dependency: RegExp): Promise<void> {
  const body = await res.json();
  expect({ status: res.status, body }).toEqual({
    status: 503,
    body: { error: { status: 503, code: 'unavailable', message: expect.stringMatching(dependency), requestId: res.headers.get('x-request-id') } },
  });
  expect(errorBodySchema.safeParse(body).success).toBe(true);
  expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
}

const get = (url: string, route: string, key = 'tg_some-key-the-database-would-check') =>
  fetch(`${url}${route}`, { headers: { authorization: `Bearer ${key}` } });

describe('PostgreSQL unreachable', () => {
  it('answers 503 unavailable with Retry-After when the database refuses connections, and logs it as such', async () => {
    const api = await startApi(createDb(`postgresql://tradeguard:secret@127.0.0.1:${await deadPort()}/tradeguard`), temporal);
    const res = await get(api.url, '/orders?limit=1');
    const requestId = res.headers.get('x-request-id');
    await expectUnavailable(res, /database is unreachable/);
    const logged = api.lines().find((l) => l.requestId === requestId && l.level === 'error');
    expect(logged).toMatchObject({ msg: 'database unreachable', dependency: 'database', err: { code: 'P1001' } });
    expect(api.lines().some((l) => l.msg === 'internal error')).toBe(false);
  });

  it.each([
    ['shutting down (57P01)', (s: net.Socket) => s.once('data', () => s.end(fatal('57P01', 'terminating connection due to administrator command')))],
    ['starting up (57P03)', (s: net.Socket) => s.once('data', () => s.end(fatal('57P03', 'the database system is starting up')))],
    ['out of connections (53300)', (s: net.Socket) => s.once('data', () => s.end(fatal('53300', 'sorry, too many clients already')))],
    ['resetting the connection', (s: net.Socket) => s.resetAndDestroy()],
    ['closing the connection', (s: net.Socket) => s.destroy()],
  ])('answers 503 when the server is %s', async (_what, onConnection) => {
    const api = await startApi(createDb(`postgresql://tradeguard:secret@127.0.0.1:${await fakePostgres(onConnection)}/tradeguard`), temporal);
    await expectUnavailable(await get(api.url, '/parties/anyone'), /database is unreachable/);
  });
});

describe('Temporal unreachable', () => {
  it('answers 503 unavailable with Retry-After when the workflow service does not answer', async () => {
    const db = createDb(testDatabaseUrl());
    const opsKey = (await createApiKey(db, { name: uniqueId('ops'), role: 'ops' })).key;
    // The client's own retries, cut short so that the test does not wait for ten of them.
    const connection = Connection.lazy({
      address: `127.0.0.1:${await deadPort()}`,
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))],
    });
    closers.push(() => connection.close());
    const api = await startApi(db, new Client({ connection, namespace: 'default' }));
    await expectUnavailable(await get(api.url, '/orders/PO-ANY', opsKey), /workflow service is unavailable/);
    await expectUnavailable(await get(api.url, '/monitoring/PM-ANY', opsKey), /workflow service is unavailable/);
  });
});
