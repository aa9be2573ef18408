import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { SimulatedCarrier } from '../../adapters/carrier';
import { PaymentGateway, SandboxCardGateway } from '../../adapters/payments';
import { createMailer } from '../../adapters/mailer';
import { LocalFileStorage } from '../../adapters/storage';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiDeps, createApp } from '../../api/app';
import { createHealthCheck } from '../../api/health';
import { createApiKey } from '../../api/keys';
import { Db, createDb } from '../../infra/db';
import { createLogger, logLevelFromEnv } from '../../infra/logger';
import { startMailRelay } from '../../worker/mail-relay';
import { createTradeGuardWorker } from '../../worker/worker';
import { testDatabaseUrl, testTemporalAddress, uniqueId } from './env';
import { startSmtpServer } from './smtp';

/** A Temporal service the caller runs (e.g. the time-skipping test server), instead of the suite's dev server. */
export interface StackTemporal {
  client: Client;
  nativeConnection: NativeConnection;
  /** A prebuilt workflow bundle, so the worker does not bundle again. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}

/**
 * The real stack for end-to-end tests: the suite's Temporal dev server and PostgreSQL, a worker
 * on its own task queue, the API over HTTP on a free port, a real SMTP server and the mail relay
 * that sends the worker's outbox to it. `databaseUrl` and `temporal` put the same stack on another
 * database or Temporal service; the caller closes what it passes in.
 */
export async function startTestStack(
  opts: { payments?: PaymentGateway; app?: Pick<ApiDeps, 'limits' | 'now' | 'clock'>; databaseUrl?: string; temporal?: StackTemporal } = {},
) {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier test file in this worker process.
  }
  const taskQueue = uniqueId('e2e');
  const smtp = await startSmtpServer();
  const db: Db = createDb(opts.databaseUrl ?? testDatabaseUrl());
  const mailer = createMailer({ smtpUrl: smtp.url, outboxDir: '/nonexistent', from: 'TradeGuard <no-reply@tradeguard.local>' });
  const address = opts.temporal ? 'caller-provided' : testTemporalAddress();
  const carrier = new SimulatedCarrier();
  const payments = opts.payments ?? new SandboxCardGateway();
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-files-'));
  const storage = new LocalFileStorage(storageDir);
  const connection = opts.temporal ? undefined : await Connection.connect({ address });
  const client = opts.temporal?.client ?? new Client({ connection, namespace: 'default' });
  const workerConnection = opts.temporal?.nativeConnection ?? (await NativeConnection.connect({ address }));
  const worker = await createTradeGuardWorker({
    connection: workerConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: opts.temporal?.workflowBundle,
    activities: createActivities({ db, carrier, opsAddresses: { ops: 'ops@tradeguard.test', opsLeads: 'ops-leads@tradeguard.test' }, payments, temporal: { client, taskQueue } }),
  });
  const workerRun = worker.run();
  const relay = startMailRelay({ db, mailer, queue: taskQueue, pollMs: 50 });
  const health = createHealthCheck({ client, db, address, namespace: 'default', taskQueue });
  // The API's error lines are kept (unless LOG_LEVEL asks for them on stdout), so a test that meets a
  // 5xx can show why the API answered it.
  const errorLines: string[] = [];
  const logger = process.env.LOG_LEVEL
    ? createLogger({ level: logLevelFromEnv(process.env, 'silent') })
    : createLogger({ level: 'error', destination: { write: (line: string) => void errorLines.push(line) } });
  const app = createApp({ client, db, taskQueue, health, storage, payments, carrier, ...opts.app, logger });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const opsKey = (await createApiKey(db, { name: uniqueId('ops'), role: 'ops' })).key;

  return {
    apiUrl,
    /** The Express app itself, for tests that inspect its routes. */
    app,
    db,
    client,
    mail: smtp.messages,
    opsKey,
    taskQueue,
    carrier,
    payments,
    /** Where uploaded files are stored (removed by stop). */
    storageDir,
    /** The API's error log lines about one request (by its id). */
    loggedErrors: (requestId: string): unknown[] => errorLines.filter((l) => l.includes(requestId)).map((l) => JSON.parse(l)),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      worker.shutdown();
      await workerRun;
      if (!opts.temporal) {
        await connection?.close();
        await workerConnection.close();
      }
      await relay.stop();
      mailer.close();
      await smtp.stop();
      await db.$disconnect();
      fs.rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

export type TestStack = Awaited<ReturnType<typeof startTestStack>>;

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A small HTTP client for the API. */
export function apiClient(apiUrl: string) {
  return async function call(key: string | undefined, method: string, route: string, body?: unknown, rawBody?: string): Promise<Reply> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(`${apiUrl}${route}`, {
      method,
      headers,
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Polls `probe` until `ok` holds (activities write the read model just after each change). */
export async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  let last = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  return last;
}

/** The reply is an error of this status and code, in the API's one error shape. */
export function expectError(res: Reply, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.error.status).toBe(status);
  expect(typeof res.body.error.message).toBe('string');
}

/** A buyer and a supplier registered through the API, each with a key of its own. */
export interface Parties {
  buyerId: string;
  supplierId: string;
  buyerEmail: string;
  supplierEmail: string;
  buyerKey: string;
  supplierKey: string;
}

/** Registers a fresh buyer and supplier (the supplier Gold-qualified unless `assurance` is false). */
export async function registerParties(stack: TestStack, opts: { assurance?: boolean } = {}): Promise<Parties> {
  const call = apiClient(stack.apiUrl);
  const buyerId = uniqueId('buyer');
  const supplierId = uniqueId('supplier');
  const buyerEmail = `${buyerId}@buyer.example`;
  const supplierEmail = `${supplierId}@supplier.example`;
  expect((await call(stack.opsKey, 'POST', '/parties', { id: buyerId, kind: 'buyer', name: 'Buyer Ltd', email: buyerEmail })).status).toBe(201);
  expect((await call(stack.opsKey, 'POST', '/parties', { id: supplierId, kind: 'supplier', name: 'Supplier Co', email: supplierEmail })).status).toBe(201);
  if (opts.assurance ?? true) {
    expect((await call(stack.opsKey, 'PUT', `/suppliers/${supplierId}/assurance`, { qualification: 'gold', currency: 'USD' })).status).toBe(200);
  }
  const buyerKey = (await call(stack.opsKey, 'POST', '/api-keys', { name: 'buyer', role: 'buyer', partyId: buyerId })).body.apiKey.key;
  const supplierKey = (await call(stack.opsKey, 'POST', '/api-keys', { name: 'supplier', role: 'supplier', partyId: supplierId })).body.apiKey.key;
  return { buyerId, supplierId, buyerEmail, supplierEmail, buyerKey, supplierKey };
}

/**
 * Drafts an order as a supplier does: the buyer's purchase order request to the supplier, then the
 * supplier's draft from it (`body` is the POST /orders body, without `requestId`). Answers the draft.
 */
export async function draftFromRequest(
  apiUrl: string,
  keys: { buyerKey: string; supplierKey: string; supplierId: string },
  body: { buyerId: string; items: { sku: string; description: string; quantity: number; unitPrice: number }[]; shippingDate: string } & Record<string, unknown>,
): Promise<Reply> {
  const call = apiClient(apiUrl);
  const request = await call(keys.buyerKey, 'POST', '/po-requests', {
    supplierId: keys.supplierId,
    items: body.items.map((i) => ({ sku: i.sku, description: i.description, quantity: i.quantity })),
    desiredShippingDate: body.shippingDate,
    message: 'please draft the purchase order',
  });
  if (request.status !== 201) return request;
  return call(keys.supplierKey, 'POST', '/orders', { ...body, requestId: request.body.requestId });
}

/** An order of 7,000.00 USD (2,100.00 deposit) drafted by the supplier and taken through the API as far as `until`. */
export async function orderThrough(stack: TestStack, p: Parties, until: 'paid' | 'delivered'): Promise<string> {
  const call = apiClient(stack.apiUrl);
  const res = await draftFromRequest(stack.apiUrl, p, {
    buyerId: p.buyerId,
    currency: 'USD',
    items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1400 }],
    depositAmount: 210_000,
    shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
  });
  expect(res.status).toBe(201);
  const orderId: string = res.body.orderId;
  const act = async (key: string, action: string, body: unknown = {}) => expect((await call(key, 'POST', `/orders/${orderId}/${action}`, body)).status).toBe(200);
  await act(p.buyerKey, 'confirm-by-buyer');
  await act(p.supplierKey, 'confirm-by-supplier');
  await act(p.buyerKey, 'pay', { kind: 'deposit', amount: 210_000, reference: 'WIRE-1' });
  await act(p.buyerKey, 'pay', { kind: 'balance', amount: 490_000, reference: 'WIRE-2' });
  if (until === 'delivered') {
    await act(p.supplierKey, 'ship', { carrier: 'DHL', trackingNumber: `JD${Date.now().toString().slice(-8)}` });
    await act(stack.opsKey, 'mark-delivered');
  }
  return orderId;
}
