/**
 * Run by telemetry.test.ts in a process of its own, because Temporal's Runtime (logger, Prometheus
 * endpoint) and OpenTelemetry's tracer provider are installed once per process.
 *
 * Wires observability the way `npm start` does, with the suite's Temporal dev server and
 * PostgreSQL: the Runtime with a pino logger at debug and a Prometheus address, tracing into an
 * in-memory exporter, the worker and the API. It drafts one order over HTTP, waits until the
 * first activity's spans are exported, scrapes the worker's metrics, and prints one line
 * `RESULT {...}` after its JSON log lines.
 */
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { SimulatedCarrier } from '../../adapters/carrier';
import { SandboxCardGateway } from '../../adapters/payments';
import { LocalFileStorage } from '../../adapters/storage';
import { createApp } from '../../api/app';
import { createHealthCheck } from '../../api/health';
import { createApiKey } from '../../api/keys';
import { createDb } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import { installTemporalRuntime } from '../../infra/temporal-runtime';
import { createTracing } from '../../infra/tracing';
import { createTradeGuardWorker } from '../../worker/worker';
import { orderWorkflowId } from '../../workflows/order.messages';
import { testDatabaseUrl, testTemporalAddress, uniqueId } from '../support/env';

async function main(): Promise<void> {
  const metricsAddress = process.argv[2];
  if (!metricsAddress) throw new Error('usage: telemetry-child.ts <host:port for worker metrics>');
  const logger = createLogger({ level: 'debug', base: { service: 'tradeguard-test' } });
  installTemporalRuntime({ logger, metricsAddress });
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName: 'tradeguard-test', exporter });

  const address = testTemporalAddress();
  const db = createDb(testDatabaseUrl());
  const taskQueue = uniqueId('telemetry');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-telemetry-'));
  const payments = new SandboxCardGateway();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default', interceptors: { workflow: tracing.clientInterceptors() } });
  const workerConnection = await NativeConnection.connect({ address });
  const worker = await createTradeGuardWorker({
    connection: workerConnection,
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      db,
      carrier: new SimulatedCarrier(),
      opsAddresses: { ops: 'ops@tradeguard.test', opsLeads: 'ops-leads@tradeguard.test' },
      payments,
      temporal: { client, taskQueue },
    }),
    tracing,
  });
  const health = createHealthCheck({ client, db, address, namespace: 'default', taskQueue });
  const app = createApp({ client, db, taskQueue, health, storage: new LocalFileStorage(path.join(tmp, 'files')), payments, logger });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const buyerId = uniqueId('buyer');
  const supplierId = uniqueId('supplier');
  await db.party.createMany({
    data: [
      { id: buyerId, kind: 'buyer', name: 'Buyer Ltd', email: `${buyerId}@buyer.example` },
      { id: supplierId, kind: 'supplier', name: 'Supplier Co', email: `${supplierId}@supplier.example` },
    ],
  });
  const opsKey = (await createApiKey(db, { name: uniqueId('ops'), role: 'ops' })).key;

  const result = await worker.runUntil(async () => {
    const res = await fetch(`${apiUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opsKey}`, 'content-type': 'application/json', 'x-request-id': 'telemetry-draft-1' },
      body: JSON.stringify({
        buyerId,
        supplierId,
        currency: 'USD',
        items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1250 }],
        depositAmount: 100_000,
        shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
      }),
    });
    const body = (await res.json()) as { orderId: string };
    if (res.status !== 201) throw new Error(`drafting the order answered ${res.status}: ${JSON.stringify(body)}`);
    const workflowId = orderWorkflowId(body.orderId);

    // The workflow's own spans reach the exporter through a sink once the activity has completed.
    const deadline = Date.now() + 30_000;
    const exported = () => exporter.getFinishedSpans().map((s) => s.name);
    while (!(exported().includes('StartActivity:recordOrderChange') && exported().includes('RunActivity:recordOrderChange'))) {
      if (Date.now() > deadline) throw new Error(`spans not exported: ${exported().join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const scrape = await fetch(`http://${metricsAddress}/metrics`);
    const metrics = { status: scrape.status, text: await scrape.text() };
    const runId = (await client.workflow.getHandle(workflowId).describe()).runId;
    await client.workflow.getHandle(workflowId).terminate('telemetry test done');
    return { workflowId, runId, metrics };
  });

  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await connection.close();
  await workerConnection.close();
  // Read the spans before shutdown: shutting the in-memory exporter down empties it.
  await tracing.spanProcessor.forceFlush();
  const spans = exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanId,
    service: s.resource.attributes['service.name'],
  }));
  await tracing.shutdown();
  await db.$disconnect();
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(`RESULT ${JSON.stringify({ taskQueue, ...result, spans })}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
