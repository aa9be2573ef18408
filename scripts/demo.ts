/**
 * `npm run demo`: drives one sample order through the running stack's API, printing each step.
 * Every POST carries an Idempotency-Key, as a client that may retry should send it; one payment is
 * sent again with its key, as after a dropped connection, and answered as the first time.
 * Start the stack first (`npm start`). Uses TRADEGUARD_API_URL (default http://127.0.0.1:3000) and
 * TRADEGUARD_API_KEY (an ops key; default: the first ops key in the data folder).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../infra/config';

const config = loadConfig();
const apiUrl = process.env.TRADEGUARD_API_URL ?? `http://127.0.0.1:${config.apiPort}`;
const uiUrl = process.env.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.temporalUiPort}`;

function opsKey(): string {
  if (process.env.TRADEGUARD_API_KEY) return process.env.TRADEGUARD_API_KEY;
  const file = path.join(config.dataDir, 'ops-api-key');
  if (!fs.existsSync(file)) {
    throw new Error(`no ops key: set TRADEGUARD_API_KEY, or start the stack once with npm start (it writes ${file})`);
  }
  return fs.readFileSync(file, 'utf8').trim();
}

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  replayed: boolean;
}

/** Calls the API; a POST carries an Idempotency-Key (a new one unless the caller retries with its own). */
async function call(key: string, method: string, route: string, body?: unknown, idempotencyKey?: string): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  if (method === 'POST') headers['idempotency-key'] = idempotencyKey ?? randomUUID();
  const res = await fetch(`${apiUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json(), replayed: res.headers.get('idempotent-replayed') === 'true' };
}

let step = 0;
function show(title: string, reply: Reply, detail?: string): void {
  step += 1;
  const outcome = reply.status < 300 ? 'ok' : `refused: ${reply.body?.error?.message}`;
  console.log(`${String(step).padStart(2)}. ${title.padEnd(46)} ${reply.status} ${outcome}${detail ? `  ${detail}` : ''}`);
}

function expectOk(reply: Reply, title: string): Reply {
  if (reply.status >= 300) throw new Error(`${title} failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply;
}

async function main(): Promise<void> {
  const health = (await fetch(`${apiUrl}/health`)
    .then((r) => r.json())
    .catch(() => undefined)) as { status: string } | undefined;
  if (!health) throw new Error(`the API at ${apiUrl} does not answer; start it with npm start`);
  console.log(`TradeGuard at ${apiUrl}: ${health.status}\n`);

  const ops = opsKey();
  const suffix = Date.now().toString(36);
  const buyerId = `demo-buyer-${suffix}`;
  const supplierId = `demo-supplier-${suffix}`;
  show('ops registers the buyer', expectOk(await call(ops, 'POST', '/parties', { id: buyerId, kind: 'buyer', name: 'Demo Buyer Ltd', email: `${buyerId}@example.com` }), 'register buyer'));
  show('ops registers the supplier', expectOk(await call(ops, 'POST', '/parties', { id: supplierId, kind: 'supplier', name: 'Demo Supplier Co', email: `${supplierId}@example.com` }), 'register supplier'));
  show(
    'ops grants the supplier Trade Assurance (gold)',
    expectOk(await call(ops, 'PUT', `/suppliers/${supplierId}/assurance`, { qualification: 'gold', currency: 'USD' }), 'assurance'),
  );
  const buyer = expectOk(await call(ops, 'POST', '/api-keys', { name: 'demo buyer', role: 'buyer', partyId: buyerId }), 'buyer key').body.apiKey.key;
  const supplier = expectOk(await call(ops, 'POST', '/api-keys', { name: 'demo supplier', role: 'supplier', partyId: supplierId }), 'supplier key').body.apiKey.key;
  show('ops issues API keys to both parties', { status: 201, body: {}, replayed: false });

  const shippingDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const requested = expectOk(
    await call(buyer, 'POST', '/po-requests', {
      supplierId,
      items: [
        { sku: 'BT-SPK-200', description: 'Bluetooth speaker, black', quantity: 500 },
        { sku: 'USB-C-1M', description: 'USB-C cable, 1 m', quantity: 500 },
      ],
      desiredShippingDate: shippingDate,
      qualityRequirements: 'Per approved golden sample',
      message: 'As discussed: please draft the purchase order',
    }),
    'purchase order request',
  );
  const requestId: string = requested.body.requestId;
  show('buyer sends the supplier a purchase order request', requested, `request ${requestId}`);
  const created = expectOk(
    await call(supplier, 'POST', '/orders', {
      requestId,
      buyerId,
      currency: 'USD',
      items: [
        { sku: 'BT-SPK-200', description: 'Bluetooth speaker, black', quantity: 500, unitPrice: 1250 },
        { sku: 'USB-C-1M', description: 'USB-C cable, 1 m', quantity: 500, unitPrice: 150 },
      ],
      depositAmount: 210_000,
      shippingDate,
      qualityRequirements: 'Per approved golden sample',
      shippingMarks: 'DEMO / PO / C/NO. 1-UP',
      packaging: 'Export carton, 20 units each',
    }),
    'draft order',
  );
  const orderId: string = created.body.orderId;
  show('supplier drafts the purchase order from the request', created, `order ${orderId}, 7,000.00 USD`);
  console.log(`    watch it: ${uiUrl}/namespaces/${process.env.TEMPORAL_NAMESPACE ?? 'default'}/workflows/order:${orderId}\n`);

  const act = (key: string, action: string, body: unknown = {}, idempotencyKey?: string) => call(key, 'POST', `/orders/${orderId}/${action}`, body, idempotencyKey);
  show('supplier tries to ship before payment', await act(supplier, 'ship', { carrier: 'DHL', trackingNumber: 'JD0146000012345' }));
  show('buyer confirms the purchase order', expectOk(await act(buyer, 'confirm-by-buyer'), 'buyer confirm'));
  show('supplier confirms, accepting all terms', expectOk(await act(supplier, 'confirm-by-supplier'), 'supplier confirm'));
  const depositKey = randomUUID();
  const deposit = { kind: 'deposit', amount: 210_000, reference: `WIRE-${suffix}-1` };
  show('buyer pays the deposit (held in escrow)', expectOk(await act(buyer, 'pay', deposit, depositKey), 'deposit'));
  const retried = expectOk(await act(buyer, 'pay', deposit, depositKey), 'deposit retry');
  show('buyer retries the deposit, same Idempotency-Key', retried, retried.replayed ? 'the first answer again (Idempotent-Replayed), paid once' : 'acted again');
  show('supplier tries to ship with the balance unpaid', await act(supplier, 'ship', { carrier: 'DHL', trackingNumber: 'JD0146000012345' }));
  show('buyer pays the balance', expectOk(await act(buyer, 'pay', { kind: 'balance', amount: 490_000, reference: `WIRE-${suffix}-2` }), 'balance'));
  show('supplier ships', expectOk(await act(supplier, 'ship', { carrier: 'DHL', trackingNumber: 'JD0146000012345' }), 'ship'));
  show('ops records the delivery', expectOk(await act(ops, 'mark-delivered'), 'delivered'));
  show('buyer confirms receipt', expectOk(await act(buyer, 'confirm-receipt'), 'receipt'));

  let state: Reply = await call(ops, 'GET', `/orders/${orderId}`);
  for (let i = 0; i < 50 && state.body.order?.status !== 'COMPLETED'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    state = await call(ops, 'GET', `/orders/${orderId}`);
  }
  const a = state.body.order.amounts;
  show('order state (from the workflow)', state, `${state.body.order.status}: paid ${a.paid}, held ${a.held}, released ${a.released} (minor units)`);
  const deadlines = expectOk(await call(ops, 'GET', `/orders/${orderId}/deadlines`), 'deadlines');
  console.log('\nOpen deadlines:');
  for (const d of deadlines.body.deadlines) console.log(`  ${d.dueAt}  ${d.kind.padEnd(20)} ${d.onExpiry}`);

  // The timeline is written by activities just after each change; wait for the last entry.
  let timeline = expectOk(await call(ops, 'GET', `/orders/${orderId}/timeline`), 'timeline');
  for (let i = 0; i < 50 && timeline.body.events.at(-1)?.type !== 'FUNDS_RELEASED'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    timeline = expectOk(await call(ops, 'GET', `/orders/${orderId}/timeline`), 'timeline');
  }
  console.log('\nTimeline (from the database):');
  for (const e of timeline.body.events) {
    console.log(`  ${e.at}  ${e.actor.role.padEnd(8)} ${e.summary}`);
  }
  const ledger = expectOk(await call(ops, 'GET', `/orders/${orderId}/ledger`), 'ledger');
  console.log('\nLedger:');
  for (const t of ledger.body.transactions) {
    console.log(`  ${t.id}  ${t.entries.map((e: { account: string; amount: number }) => `${e.account} ${e.amount > 0 ? '+' : ''}${e.amount}`).join(', ')}`);
  }
  console.log(`\nEmails went to ${config.smtpUrl ? 'the SMTP server' : path.join(config.dataDir, 'mail')}.`);
}

main().catch((err: Error) => {
  console.error(`demo failed: ${err.message}`);
  process.exit(1);
});
