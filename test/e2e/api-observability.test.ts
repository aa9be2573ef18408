/**
 * The API's request ids, request log lines and Prometheus metrics, over HTTP against the suite's
 * Temporal dev server and PostgreSQL (no worker needed: nothing here starts a workflow).
 */
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import { LocalFileStorage } from '../../adapters/storage';
import { createApp } from '../../api/app';
import { conflict, errorHandler, unavailable } from '../../api/errors';
import { createHealthCheck } from '../../api/health';
import { createApiKey } from '../../api/keys';
import { ApiMetrics, requestContext } from '../../api/observability';
import { Db, createDb } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import { testDatabaseUrl, testTemporalAddress, uniqueId } from '../support/env';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let db: Db;
let connection: Connection;
let client: Client;
let storageDir: string;
let opsKey: string;
const servers: http.Server[] = [];

/** Log lines as the app wrote them, parsed. */
type LogLine = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function serve(app: express.Express): Promise<string> {
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An API whose logs are captured in memory; with Prometheus metrics when `metrics` is given. */
async function startApi(metrics?: ApiMetrics) {
  const raw: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void raw.push(line) } });
  const taskQueue = uniqueId('obs');
  const address = testTemporalAddress();
  const health = createHealthCheck({ client, db, address, namespace: 'default', taskQueue });
  const url = await serve(createApp({ client, db, taskQueue, health, storage: new LocalFileStorage(storageDir), logger, metrics }));
  return { url, raw, lines: (): LogLine[] => raw.map((l) => JSON.parse(l)) };
}

beforeAll(async () => {
  db = createDb(testDatabaseUrl());
  connection = await Connection.connect({ address: testTemporalAddress() });
  client = new Client({ connection, namespace: 'default' });
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-obs-'));
  opsKey = (await createApiKey(db, { name: uniqueId('ops'), role: 'ops' })).key;
});

afterAll(async () => {
  for (const s of servers) {
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
  await connection.close();
  await db.$disconnect();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

/**
 * The request line is written when the server closes the response, which can come just after the
 * client has read it: poll for the line (bounded) instead of assuming it is already there.
 */
async function logged(lines: () => LogLine[], match: (l: LogLine) => boolean): Promise<LogLine> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = lines().find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such log line among:\n${lines().map((l) => JSON.stringify(l)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function send(url: string, route: string, init: { method?: string; key?: string; requestId?: string; body?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.requestId !== undefined) headers['x-request-id'] = init.requestId;
  return fetch(`${url}${route}`, { method: init.method ?? 'GET', headers, body: init.body });
}

describe('request ids', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  beforeAll(async () => {
    api = await startApi();
  });

  it('generates a fresh id for each request without one', async () => {
    const a = await send(api.url, '/health');
    const b = await send(api.url, '/health');
    expect(a.headers.get('x-request-id')).toMatch(UUID);
    expect(b.headers.get('x-request-id')).toMatch(UUID);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it("echoes a well-formed incoming id and replaces a malformed one", async () => {
    const echoed = await send(api.url, '/health', { requestId: 'lb-7f3a.2026:abc_1' });
    expect(echoed.headers.get('x-request-id')).toBe('lb-7f3a.2026:abc_1');

    for (const bad of ['has spaces in it', 'x'.repeat(129), 'semi;colon', '']) {
      const res = await send(api.url, '/health', { requestId: bad });
      expect(res.headers.get('x-request-id')).toMatch(UUID);
    }
  });

  it.each([
    ['401 without a key', { route: '/orders', method: 'GET' }, 401, 'unauthenticated'],
    ['400 invalid input', { route: '/orders', method: 'POST', key: true, body: '{"buyerId":""}' }, 400, 'invalid_input'],
    ['400 invalid JSON', { route: '/orders', method: 'POST', key: true, body: '{oops' }, 400, 'invalid_json'],
    ['404 unknown route', { route: '/no-such-thing', method: 'GET', key: true }, 404, 'not_found'],
    ['404 unknown order (answered by Temporal)', { route: '/orders/PO-NOPE-OBS', method: 'GET', key: true }, 404, 'not_found'],
  ] as const)('puts the request id in the error body: %s', async (_name, req, status, code) => {
    const withId = await send(api.url, req.route, { method: req.method, key: 'key' in req ? opsKey : undefined, body: 'body' in req ? req.body : undefined, requestId: `err-${status}-${code}` });
    expect(withId.status).toBe(status);
    const body = (await withId.json()) as { error: { code: string; requestId: string } };
    expect(body.error).toMatchObject({ status, code, requestId: `err-${status}-${code}` });

    const generated = await send(api.url, req.route, { method: req.method, key: 'key' in req ? opsKey : undefined, body: 'body' in req ? req.body : undefined });
    const generatedBody = (await generated.json()) as { error: { requestId: string } };
    expect(generatedBody.error.requestId).toMatch(UUID);
    expect(generatedBody.error.requestId).toBe(generated.headers.get('x-request-id'));
  });
});

describe('request log lines', () => {
  it("logs one JSON line per request with its id, route template, status, duration and the caller's role, never the key", async () => {
    const api = await startApi();
    const res = await send(api.url, '/orders/PO-NOPE-LOG', { key: opsKey, requestId: 'log-line-1' });
    expect(res.status).toBe(404);
    await res.text();

    const line = await logged(api.lines, (l) => l.requestId === 'log-line-1' && l.msg === 'request');
    expect(line).toMatchObject({
      level: 'info',
      service: 'tradeguard',
      method: 'GET',
      route: '/orders/:orderId',
      path: '/orders/PO-NOPE-LOG',
      status: 404,
      errorCode: 'not_found',
      principal: { role: 'ops', keyId: expect.any(String) },
    });
    expect(typeof line!.durationMs).toBe('number');
    expect(line!.durationMs).toBeGreaterThanOrEqual(0);
    expect(api.raw.join('')).not.toContain(opsKey);
  });

  it('names the route template of a request refused before routing (401)', async () => {
    const api = await startApi();
    await (await send(api.url, '/orders/PO-NOPE-401', { requestId: 'log-401', key: 'tg_not-a-real-key' })).text();
    const line = await logged(api.lines, (l) => l.requestId === 'log-401');
    expect(line).toMatchObject({ route: '/orders/:orderId', status: 401, errorCode: 'unauthenticated' });
    expect(line).not.toHaveProperty('principal');
    expect(api.raw.join('')).not.toContain('tg_not-a-real-key');
  });

  it('never writes a card number to the logs', async () => {
    const api = await startApi();
    const card = { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' };
    const res = await send(api.url, '/monitoring/PM-NOPE-CARD/pay', { method: 'POST', key: opsKey, requestId: 'log-card', body: JSON.stringify({ card }) });
    await res.text();
    expect(await logged(api.lines, (l) => l.requestId === 'log-card')).toMatchObject({ route: '/monitoring/:monitoringId/pay', status: res.status });
    expect(api.raw.join('')).not.toContain('4242424242424242');
    expect(api.raw.join('')).not.toContain(opsKey);
  });

  it('logs an unexpected error with its stack and the request id, and answers 500 in the error shape', async () => {
    const raw: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void raw.push(line) } });
    const app = express();
    app.use(requestContext(logger));
    app.get('/boom', () => {
      throw new Error('ledger invariant broken');
    });
    app.use(errorHandler(logger));
    const url = await serve(app);

    const res = await send(url, '/boom', { requestId: 'boom-1' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { status: 500, code: 'internal', message: expect.any(String), requestId: 'boom-1' } });
    const lines = () => raw.map((l) => JSON.parse(l) as LogLine);
    const error = lines().find((l) => l.level === 'error');
    expect(error).toMatchObject({ requestId: 'boom-1', msg: 'internal error', err: { message: 'ledger invariant broken' } });
    expect(error!.err.stack).toMatch(/Error: ledger invariant broken\n\s+at /);
    expect(await logged(lines, (l) => l.msg === 'request')).toMatchObject({ requestId: 'boom-1', status: 500, route: '/boom' });
  });

  it("logs what Temporal said behind a 503 (never in the body), and a refusal's cause not at all", async () => {
    const raw: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void raw.push(line) } });
    const app = express();
    app.use(requestContext(logger));
    const busy = Object.assign(new Error('8 RESOURCE_EXHAUSTED: consistent query buffer is full'), { code: 8, details: 'consistent query buffer is full' });
    app.get('/busy', () => {
      throw unavailable('the workflow service is unavailable; retry shortly', busy);
    });
    app.get('/refused', () => {
      throw conflict('order PO-1 is cancelled');
    });
    app.use(errorHandler(logger));
    const url = await serve(app);

    const res = await send(url, '/busy', { requestId: 'busy-1' });
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toEqual({ error: { status: 503, code: 'unavailable', message: 'the workflow service is unavailable; retry shortly', requestId: 'busy-1' } });
    expect(JSON.stringify(body)).not.toContain('RESOURCE_EXHAUSTED');
    expect((await send(url, '/refused', { requestId: 'refused-1' })).status).toBe(409);
    const lines = () => raw.map((l) => JSON.parse(l) as LogLine);
    await logged(lines, (l) => l.msg === 'request' && l.requestId === 'refused-1');
    expect(lines().filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ requestId: 'busy-1', status: 503, msg: 'the workflow service is unavailable; retry shortly', err: expect.objectContaining({ code: 8, details: 'consistent query buffer is full' }) }),
    ]);
  });
});

describe('Prometheus metrics of the API', () => {
  it('counts requests and their latency by method, route template and status on GET /metrics', async () => {
    const api = await startApi(new ApiMetrics());
    for (const id of ['PO-NOPE-M1', 'PO-NOPE-M2', 'PO-NOPE-M3']) {
      await (await send(api.url, `/orders/${id}`, { key: opsKey })).text();
    }
    await (await send(api.url, '/orders', { method: 'POST', key: opsKey, body: '{}' })).text();
    // Each request is counted when its response closes; the last one's line is logged after that.
    await logged(api.lines, (l) => l.method === 'POST' && l.route === '/orders');

    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('tradeguard_http_requests_total{method="GET",route="/orders/:orderId",status="404"} 3');
    expect(text).toContain('tradeguard_http_requests_total{method="POST",route="/orders",status="400"} 1');
    expect(text).toContain('tradeguard_http_request_duration_seconds_count{method="GET",route="/orders/:orderId",status="404"} 3');
    expect(text).toMatch(/tradeguard_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/orders\/:orderId",status="404"\} 3/);
    // Route templates, never concrete ids: the label set stays bounded.
    expect(text).not.toContain('PO-NOPE-M1');
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('answers 404 on /metrics when metrics are disabled, in the error shape', async () => {
    const api = await startApi();
    const res = await send(api.url, '/metrics', { requestId: 'metrics-off' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { status: 404, code: 'not_found', message: 'metrics are disabled: set METRICS_ENABLED=true', requestId: 'metrics-off' },
    });
  });
});
