/**
 * `npm run chaos`: fault injection on a real stack (chaos/stack.ts). Five experiments, each with
 * checks that print PASS or FAIL; the run exits non-zero when any check fails, and writes every
 * figure to chaos/results/chaos.json.
 *
 *  (a) worker killed with SIGKILL at random moments across order lifecycles driven through the API,
 *      and started again: no order lost, no ledger transaction or entry twice, no email twice,
 *      each money movement exactly once;
 *  (b) the Temporal dev server restarted (same SQLite file) while deadlines are open: every timer fires;
 *  (c) PostgreSQL stopped mid-run: activities retry, no workflow fails, the read model converges;
 *  (d) duplicate and concurrent requests (double clicks on pay, ship, the monitoring card payment,
 *      the same draft twice): one effect each;
 *  (e) the mail relay (a child process) killed with SIGKILL at random moments while emails are
 *      written: every email delivered, a resend only for a claim the killed relay held, with the
 *      same Message-ID;
 *  (f) on a multi-service Temporal server (`npm run cluster`) only: the history service restarted
 *      twice (stopped, then killed) while lifecycles and deadlines are in flight: nothing lost.
 *
 *   CHAOS_SCALE=0.1 npm run chaos     # a reduced run (CI)
 *   CHAOS_SEED=7 CHAOS_DB_DOWN_SECONDS=30 npm run chaos
 *   CHAOS_ONLY=b,d npm run chaos      # some experiments only
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApiKey } from '../api/keys';
import { createOutbox } from '../activities/email';
import { projectRoot } from '../infra/paths';
import { monitoringWorkflowId } from '../workflows/monitoring.messages';
import { OrderState, getOrderQuery, orderWorkflowId } from '../workflows/order.messages';
import type { DeadlineRecord } from '../bench/baseline.workflows';
import { ChaosStack, DEADLINE_TASK_QUEUE, sleep, startChaosStack } from './stack';

const SCALE = Number(process.env.CHAOS_SCALE ?? '1');
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const DB_DOWN_MS = Number(process.env.CHAOS_DB_DOWN_SECONDS ?? '30') * 1000;
const scaled = (full: number, min: number) => Math.max(min, Math.round(full * SCALE));

/** A small seeded generator (mulberry32): the same CHAOS_SEED kills at the same moments. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const between = (min: number, max: number) => min + Math.floor(random() * (max - min));

interface Check {
  experiment: string;
  check: string;
  measured: string;
  pass: boolean;
}
const checks: Check[] = [];
const figures: Record<string, unknown> = {};
function check(experiment: string, name: string, measured: string | number, pass: boolean): void {
  checks.push({ experiment, check: name, measured: String(measured), pass });
  log(`${pass ? 'PASS' : 'FAIL'} ${experiment}: ${name}: ${measured}`);
}

const began = Date.now();
function log(line: string): void {
  console.log(`[${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}`);
}

// ---- the API, as a client that retries what it cannot know the outcome of ------------------------------------

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

let stack: ChaosStack;
const answers: Record<string, number> = {};

async function call(key: string, method: string, route: string, body?: unknown): Promise<Reply | undefined> {
  try {
    const res = await fetch(`${stack.apiUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    answers[res.status] = (answers[res.status] ?? 0) + 1;
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    answers['no answer'] = (answers['no answer'] ?? 0) + 1;
    return undefined;
  }
}

const RANK = ['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED', 'DEPOSIT_PAID', 'PAID', 'SHIPPED', 'DELIVERED', 'RECEIPT_CONFIRMED', 'COMPLETED'];
const reached = (o: OrderState | undefined, status: string) => Boolean(o) && RANK.indexOf(o!.status) >= RANK.indexOf(status);

async function readOrder(orderId: string): Promise<OrderState | undefined> {
  const r = await call(stack.opsKey, 'GET', `/orders/${orderId}`);
  return r?.status === 200 ? (r.body.order as OrderState) : undefined;
}

/**
 * One step of a lifecycle, as a careful client takes it: on an unclear outcome (no answer, 5xx) or a
 * refusal that may come from its own earlier attempt (409), read the order and retry only if the
 * step has not happened.
 */
async function step(key: string, orderId: string, action: string, body: unknown, until: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await call(key, 'POST', `/orders/${orderId}/${action}`, body);
    if (r && r.status < 300) return;
    if (r && r.status >= 400 && r.status < 500 && r.status !== 409 && r.status !== 429) {
      throw new Error(`${orderId} ${action}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    if (reached(await readOrder(orderId), until)) return;
    if (attempt >= 300) throw new Error(`${orderId} ${action}: gave up after ${attempt} attempts (last ${r?.status ?? 'no answer'})`);
    await sleep(500);
  }
}

interface Pair {
  buyerId: string;
  supplierId: string;
  buyerKey: string;
  supplierKey: string;
}

async function createPairs(prefix: string, count: number): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const buyerId = `${prefix}-buyer-${i}`;
    const supplierId = `${prefix}-supplier-${i}`;
    await stack.db.party.createMany({
      data: [
        { id: buyerId, kind: 'buyer', name: `Buyer ${i}`, email: `${buyerId}@buyer.example` },
        { id: supplierId, kind: 'supplier', name: `Supplier ${i}`, email: `${supplierId}@supplier.example` },
      ],
    });
    await stack.db.supplierProfile.create({ data: { supplierId, qualification: 'gold', currency: 'USD' } });
    pairs.push({
      buyerId,
      supplierId,
      buyerKey: (await createApiKey(stack.db, { name: buyerId, role: 'buyer', partyId: buyerId })).key,
      supplierKey: (await createApiKey(stack.db, { name: supplierId, role: 'supplier', partyId: supplierId })).key,
    });
  }
  return pairs;
}

const DEPOSIT = 210_000;
const BALANCE = 490_000;
const CARD = { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' };

function terms(orderId: string, buyerId: string) {
  return {
    orderId,
    buyerId,
    currency: 'USD',
    items: [
      { sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1250 },
      { sku: 'USB-C-1M', description: 'USB-C cable', quantity: 500, unitPrice: 150 },
    ],
    depositAmount: DEPOSIT,
    shippingDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
  };
}

/** A whole order through the API: draft to receipt (funds released), with a paid monitoring task when asked. */
async function lifecycle(p: Pair, orderId: string, withMonitoring: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    // Ops drafts directly: a supplier drafts only from its buyer's purchase order request.
    const r = await call(stack.opsKey, 'POST', '/orders', { ...terms(orderId, p.buyerId), supplierId: p.supplierId });
    if (r && (r.status === 201 || r.status === 409)) break;
    if (r && r.status >= 400 && r.status < 500) throw new Error(`${orderId} draft: ${r.status} ${JSON.stringify(r.body)}`);
    if (attempt >= 300) throw new Error(`${orderId} draft: gave up`);
    await sleep(500);
  }
  await step(p.buyerKey, orderId, 'confirm-by-buyer', {}, 'BUYER_CONFIRMED');
  await step(p.supplierKey, orderId, 'confirm-by-supplier', {}, 'CONFIRMED');
  await step(p.buyerKey, orderId, 'pay', { kind: 'deposit', amount: DEPOSIT, reference: `${orderId}-DEP` }, 'DEPOSIT_PAID');
  await step(p.buyerKey, orderId, 'pay', { kind: 'balance', amount: BALANCE, reference: `${orderId}-BAL` }, 'PAID');
  if (withMonitoring) await monitoring(p, orderId);
  await step(p.supplierKey, orderId, 'ship', { carrier: 'DHL', trackingNumber: `JD-${orderId}` }, 'SHIPPED');
  await step(stack.opsKey, orderId, 'mark-delivered', {}, 'DELIVERED');
  await step(p.buyerKey, orderId, 'confirm-receipt', {}, 'COMPLETED');
}

async function monitoring(p: Pair, orderId: string): Promise<void> {
  const monitoringId = `M-${orderId}`;
  for (let attempt = 1; ; attempt++) {
    const r = await call(p.buyerKey, 'POST', '/monitoring', { monitoringId, orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    if (r && (r.status === 201 || r.status === 409)) break;
    if (r && r.status >= 400 && r.status < 500) throw new Error(`${monitoringId} book: ${r.status} ${JSON.stringify(r.body)}`);
    if (attempt >= 300) throw new Error(`${monitoringId} book: gave up`);
    await sleep(500);
  }
  for (let attempt = 1; ; attempt++) {
    // The same card again is the same charge (one idempotency key per task and card).
    const r = await call(p.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card: CARD });
    if (r && r.status === 200) return;
    if (r && r.status >= 400 && r.status < 500 && r.status !== 409) throw new Error(`${monitoringId} pay: ${r.status} ${JSON.stringify(r.body)}`);
    const task = await call(stack.opsKey, 'GET', `/monitoring/${monitoringId}`);
    if (task?.status === 200 && task.body.monitoring.payment) return;
    if (attempt >= 300) throw new Error(`${monitoringId} pay: gave up`);
    await sleep(500);
  }
}

async function pool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await task(item).catch((err: Error) => failures.push(err.message));
    }
  }));
  return failures;
}

// ---- what the database says ------------------------------------------------------------------------------------

/** Waits until no workflow of these orders (and their tasks) has an activity in flight. */
async function settled(workflowIds: string[]): Promise<void> {
  for (const id of workflowIds) {
    for (let i = 0; ; i++) {
      const d = await stack.client.workflow.getHandle(id).describe();
      if ((d.raw.pendingActivities ?? []).length === 0) break;
      if (i > 600) throw new Error(`${id} still has activities in flight`);
      await sleep(200);
    }
  }
}

interface MoneyAndMail {
  orders: number;
  completedInWorkflow: number;
  completedInReadModel: number;
  readModelBehind: string[];
  transactions: number;
  unexpectedTransactions: string[];
  entriesNotTwo: string[];
  unbalanced: string[];
  escrowNotZero: string[];
  emailsInOutbox: number;
  outboxNotSent: number;
  deliveries: number;
  duplicateDeliveries: string[];
  undelivered: string[];
  monitoringTasks: number;
  tasksNotPaidOnce: string[];
  successfulChargeKeys: number;
  failedWorkflows: string[];
}

async function audit(orderIds: string[], monitoringIds: string[], expectStatus = 'COMPLETED'): Promise<MoneyAndMail> {
  const ids = orderIds;
  const out: MoneyAndMail = {
    orders: ids.length, completedInWorkflow: 0, completedInReadModel: 0, readModelBehind: [], transactions: 0, unexpectedTransactions: [],
    entriesNotTwo: [], unbalanced: [], escrowNotZero: [], emailsInOutbox: 0, outboxNotSent: 0, deliveries: 0, duplicateDeliveries: [],
    undelivered: [], monitoringTasks: monitoringIds.length, tasksNotPaidOnce: [], successfulChargeKeys: 0, failedWorkflows: [],
  };
  for (const orderId of ids) {
    const handle = stack.client.workflow.getHandle(orderWorkflowId(orderId));
    const d = await handle.describe();
    if (['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED'].includes(d.status.name)) out.failedWorkflows.push(`${orderId} ${d.status.name}`);
    const state = await handle.query(getOrderQuery);
    if (state.status === expectStatus) out.completedInWorkflow++;
    const row = await stack.db.order.findUnique({ where: { id: orderId } });
    if (row?.status === expectStatus) out.completedInReadModel++;
    if (!row || row.status !== state.status || row.revision !== state.revision) out.readModelBehind.push(`${orderId}: workflow ${state.status} r${state.revision}, read model ${row?.status} r${row?.revision}`);
    const txs = await stack.db.ledgerTransaction.findMany({ where: { orderId }, include: { entries: true } });
    out.transactions += txs.length;
    const expected = [`${orderWorkflowId(orderId)}:payment:deposit`, `${orderWorkflowId(orderId)}:payment:balance`, `${orderWorkflowId(orderId)}:release`];
    const got = txs.map((t) => t.id).sort();
    if (expectStatus === 'COMPLETED' && JSON.stringify(got) !== JSON.stringify([...expected].sort())) out.unexpectedTransactions.push(`${orderId}: ${got.join(', ')}`);
    for (const t of txs) {
      if (t.entries.length !== 2) out.entriesNotTwo.push(`${t.id}: ${t.entries.length} entries`);
      if (t.entries.reduce((s, e) => s + e.amount, 0n) !== 0n) out.unbalanced.push(t.id);
    }
    const escrow = await stack.db.ledgerEntry.aggregate({ where: { account: `escrow:order:${orderId}` }, _sum: { amount: true } });
    if (expectStatus === 'COMPLETED' && (escrow._sum.amount ?? 0n) !== 0n) out.escrowNotZero.push(`${orderId}: ${escrow._sum.amount}`);
  }
  const charges = stack.chargeCalls();
  for (const monitoringId of monitoringIds) {
    const paid = await stack.db.monitoringEvent.count({ where: { monitoringId, type: 'PAID' } });
    const keys = new Set(charges.filter((c) => c.status === 'succeeded' && c.idempotencyKey.startsWith(`${monitoringWorkflowId(monitoringId)}:`)).map((c) => c.idempotencyKey));
    out.successfulChargeKeys += keys.size;
    if (paid !== 1 || keys.size !== 1) out.tasksNotPaidOnce.push(`${monitoringId}: ${paid} PAID events, ${keys.size} charges`);
  }
  // Emails: every outbox row of these orders sent, and delivered to the SMTP server exactly once. The
  // relay sends what the last activities wrote a moment after them: up to a minute for it to finish.
  const outboxOf = () => stack.db.emailOutbox.findMany({ where: { OR: ids.map((id) => ({ key: { contains: id } })) } });
  let rows = await outboxOf();
  for (let i = 0; i < 300 && rows.some((r) => r.status !== 'sent'); i++) {
    await sleep(200);
    rows = await outboxOf();
  }
  out.emailsInOutbox = rows.length;
  out.outboxNotSent = rows.filter((r) => r.status !== 'sent').length;
  const perMessageId = new Map<string, number>();
  for (const m of stack.mail) if (m.messageId) perMessageId.set(m.messageId, (perMessageId.get(m.messageId) ?? 0) + 1);
  for (const r of rows) {
    const n = r.messageId ? (perMessageId.get(r.messageId) ?? 0) : 0;
    out.deliveries += n;
    if (n === 0) out.undelivered.push(r.key);
    if (n > 1) out.duplicateDeliveries.push(`${r.key} ×${n}`);
  }
  return out;
}

function reportAudit(experiment: string, a: MoneyAndMail, what = 'lifecycles'): void {
  check(experiment, `every ${what.replace(/s$/, '')} completes (0 lost)`, `${a.completedInWorkflow}/${a.orders} in the workflow, ${a.completedInReadModel}/${a.orders} in the read model`, a.completedInWorkflow === a.orders && a.completedInReadModel === a.orders);
  check(experiment, 'no workflow failed', a.failedWorkflows.length, a.failedWorkflows.length === 0);
  check(experiment, 'read model converged (status and revision = workflow)', `${a.orders - a.readModelBehind.length}/${a.orders}`, a.readModelBehind.length === 0);
  check(experiment, 'each money movement exactly once (3 ledger transactions per order, by idempotency key)', `${a.transactions} transactions for ${a.orders} orders; ${a.unexpectedTransactions.length} orders differ`, a.unexpectedTransactions.length === 0 && a.transactions === 3 * a.orders);
  check(experiment, '0 duplicate ledger entries (2 per transaction, balanced), escrow back to 0', `${a.entriesNotTwo.length} not 2, ${a.unbalanced.length} unbalanced, ${a.escrowNotZero.length} escrow ≠ 0`, a.entriesNotTwo.length + a.unbalanced.length + a.escrowNotZero.length === 0);
  check(experiment, '0 duplicate emails (outbox rows sent, SMTP deliveries per key = 1)', `${a.emailsInOutbox} outbox rows, ${a.outboxNotSent} unsent, ${a.deliveries} deliveries, ${a.duplicateDeliveries.length} keys delivered twice, ${a.undelivered.length} undelivered`, a.outboxNotSent === 0 && a.duplicateDeliveries.length === 0 && a.undelivered.length === 0 && a.emailsInOutbox > 0);
  if (a.monitoringTasks > 0) {
    check(experiment, 'monitoring fee charged exactly once per task', `${a.successfulChargeKeys} charges for ${a.monitoringTasks} tasks; ${a.tasksNotPaidOnce.length} differ`, a.tasksNotPaidOnce.length === 0);
  }
  for (const [name, list] of Object.entries(a)) if (Array.isArray(list) && list.length > 0) log(`  ${name}: ${list.slice(0, 5).join('; ')}${list.length > 5 ? ` … (${list.length})` : ''}`);
}

// ---- the experiments ---------------------------------------------------------------------------------------------

async function workerKills(): Promise<void> {
  const count = scaled(200, 20);
  const pairs = await createPairs('kill', Math.max(5, Math.round(count / 4)));
  const orderIds = Array.from({ length: count }, (_, i) => `KILL-${i}`);
  const withMonitoring = (i: number) => i % 5 === 3;
  log(`(a) ${count} lifecycles (${orderIds.filter((_, i) => withMonitoring(i)).length} with a paid monitoring task), worker killed with SIGKILL at random moments`);
  let running = true;
  const kills: { afterMs: number; downMs: number }[] = [];
  const killer = (async () => {
    const t0 = Date.now();
    while (running) {
      // Spaced so that lifecycles also make progress: each kill stalls the activities it interrupts
      // until their 30 s start-to-close timeout, and the workflow tasks until the sticky queue times out.
      await sleep(between(4_000, 12_000));
      if (!running) break;
      const downMs = between(100, 2_500);
      // One worker of several dies at a time; the others keep taking tasks.
      await stack.killWorker(stack.workerCount > 1 ? between(0, stack.workerCount) : 0);
      kills.push({ afterMs: Date.now() - t0, downMs });
      await sleep(downMs);
      await stack.startWorker();
    }
  })();
  const started = Date.now();
  const failures = await pool(orderIds.map((id, i) => ({ id, i })), 20, ({ id, i }) => lifecycle(pairs[i % pairs.length], id, withMonitoring(i)));
  running = false;
  await killer;
  const seconds = (Date.now() - started) / 1000;
  log(`(a) lifecycles done in ${seconds.toFixed(0)} s; worker killed ${kills.length} times; ${failures.length} lifecycles failed`);
  for (const f of failures.slice(0, 5)) log(`  ${f}`);
  const monitoringIds = orderIds.filter((_, i) => withMonitoring(i)).map((id) => `M-${id}`);
  await settled([...orderIds.map(orderWorkflowId), ...monitoringIds.map(monitoringWorkflowId)]);
  const a = await audit(orderIds, monitoringIds);
  figures.workerKills = { lifecycles: count, seconds, kills, failures, audit: a };
  check('(a) worker SIGKILL', 'worker killed at random moments', `${kills.length} kills over ${seconds.toFixed(0)} s`, kills.length >= (SCALE >= 1 ? 5 : 1));
  check('(a) worker SIGKILL', 'every lifecycle driven to its end through the API', `${count - failures.length}/${count}`, failures.length === 0);
  reportAudit('(a) worker SIGKILL', a);
}

async function temporalRestart(): Promise<void> {
  const deadlines = scaled(100, 20);
  const lifecycles = scaled(20, 5);
  const pairs = await createPairs('restart', 5);
  const run = Date.now().toString(36);
  const firstDue = Date.now() + 20_000;
  const ids = Array.from({ length: deadlines }, (_, i) => `deadline:${run}:${i}`);
  const due = (i: number) => firstDue + Math.floor((i * 20_000) / deadlines);
  log(`(b) ${deadlines} deadlines due between 20 and 40 s from now, ${lifecycles} lifecycles in flight; ${stack.temporalServicesSeparate ? 'every Temporal service restarts' : 'the Temporal dev server restarts'} in between`);
  for (const [i, workflowId] of ids.entries()) {
    await stack.client.workflow.start('deadlineWorkflow', { taskQueue: DEADLINE_TASK_QUEUE, workflowId, args: [{ id: workflowId, dueAt: due(i) }] });
  }
  const orderIds = Array.from({ length: lifecycles }, (_, i) => `RESTART-${i}`);
  const inFlight = pool(orderIds.map((id, i) => ({ id, i })), 5, ({ id, i }) => lifecycle(pairs[i % pairs.length], id, false));
  await sleep(5_000);
  const restartedAt = Date.now();
  await stack.restartTemporal(3_000);
  log(`(b) ${stack.temporalServicesSeparate ? 'Temporal services restarted on the same databases' : 'Temporal dev server restarted on the same file'} (down ${((Date.now() - restartedAt) / 1000).toFixed(1)} s)`);
  const opened = Date.now() < firstDue;
  const { records, lost } = await deadlineRecords(ids);
  const failures = await inFlight;
  const late = records.map((r) => r.escalatedAt - r.dueAt);
  const early = late.filter((l) => l < 0).length;
  await settled(orderIds.map(orderWorkflowId));
  const a = await audit(orderIds, []);
  figures.temporalRestart = { deadlines, restartedBeforeFirstDue: opened, fired: records.length, lost, latenessMs: { max: Math.max(...late), min: Math.min(...late) }, lifecycles, failures, audit: a };
  check('(b) Temporal restart', 'the restart happened while every deadline was still open', opened ? 'yes' : 'no', opened);
  check('(b) Temporal restart', 'every timer fired after the restart, none early', `${records.length}/${deadlines} fired, ${early} early, lateness max ${Math.max(0, ...late)} ms`, records.length === deadlines && early === 0);
  check('(b) Temporal restart', 'lifecycles in flight across the restart complete', `${lifecycles - failures.length}/${lifecycles}`, failures.length === 0);
  reportAudit('(b) Temporal restart', a);
}

/** Waits for the result of every deadline workflow (retrying while Temporal is unavailable). */
async function deadlineRecords(ids: string[]): Promise<{ records: DeadlineRecord[]; lost: string[] }> {
  const records: DeadlineRecord[] = [];
  const lost: string[] = [];
  for (const workflowId of ids) {
    for (let attempt = 1; ; attempt++) {
      try {
        records.push((await stack.client.workflow.getHandle(workflowId).result()) as DeadlineRecord);
        break;
      } catch (err) {
        if (attempt >= 60) {
          lost.push(`${workflowId}: ${(err as Error).message}`);
          break;
        }
        await sleep(1_000);
      }
    }
  }
  return { records, lost };
}

async function historyRestart(): Promise<void> {
  if (!stack.temporalServicesSeparate) {
    log('(f) skipped: the dev server has no history service of its own (run it with npm run cluster)');
    return;
  }
  const deadlines = scaled(60, 20);
  const lifecycles = scaled(40, 20);
  const pairs = await createPairs('history', 8);
  const run = Date.now().toString(36);
  const firstDue = Date.now() + 25_000;
  const ids = Array.from({ length: deadlines }, (_, i) => `deadline:history:${run}:${i}`);
  const due = (i: number) => firstDue + Math.floor((i * 20_000) / deadlines);
  log(`(f) ${deadlines} deadlines due between 25 and 45 s from now, ${lifecycles} lifecycles in two waves (1 in 4 with monitoring); the history service is stopped during the first, killed during the second`);
  for (const [i, workflowId] of ids.entries()) {
    await stack.client.workflow.start('deadlineWorkflow', { taskQueue: DEADLINE_TASK_QUEUE, workflowId, args: [{ id: workflowId, dueAt: due(i) }] });
  }
  const orderIds = Array.from({ length: lifecycles }, (_, i) => `HISTORY-${i}`);
  let started = 0;
  let completed = 0;
  const waves: Promise<string[]>[] = [];
  const restarts: { signal: string; afterMs: number; downSeconds: number; lifecyclesInFlight: number }[] = [];
  const t0 = Date.now();
  // Two waves of lifecycles; each restart comes while its wave is under way.
  for (const [wave, signal] of (['SIGTERM', 'SIGKILL'] as const).entries()) {
    const ids = orderIds.map((id, i) => ({ id, i })).filter(({ i }) => i % 2 === wave);
    waves.push(pool(ids, 10, async ({ id, i }) => {
      started++;
      await lifecycle(pairs[i % pairs.length], id, i % 4 === 1);
      completed++;
    }));
    await sleep(between(1_000, 2_500));
    const inFlight = started - completed;
    const at = Date.now();
    await stack.restartTemporalServices(['history'], 2_000, signal);
    restarts.push({ signal, afterMs: at - t0, downSeconds: (Date.now() - at) / 1000, lifecyclesInFlight: inFlight });
    log(`(f) history service ${signal === 'SIGTERM' ? 'stopped' : 'killed'} and started again (down ${((Date.now() - at) / 1000).toFixed(1)} s; ${inFlight} lifecycles in flight)`);
  }
  const opened = Date.now() < firstDue;
  const { records, lost } = await deadlineRecords(ids);
  const failures = (await Promise.all(waves)).flat();
  const late = records.map((r) => r.escalatedAt - r.dueAt);
  const early = late.filter((l) => l < 0).length;
  const monitoringIds = orderIds.filter((_, i) => i % 4 === 1).map((id) => `M-${id}`);
  await settled([...orderIds.map(orderWorkflowId), ...monitoringIds.map(monitoringWorkflowId)]);
  const a = await audit(orderIds, monitoringIds);
  figures.historyRestart = { deadlines, restarts, restartedBeforeFirstDue: opened, fired: records.length, lost, latenessMs: { max: Math.max(...late), min: Math.min(...late) }, lifecycles, failures, audit: a };
  for (const f of [...failures, ...lost].slice(0, 5)) log(`  ${f}`);
  check('(f) history restart', 'history stopped and killed while lifecycles were in flight and every deadline open', `${restarts.map((r) => `${r.signal} with ${r.lifecyclesInFlight} lifecycles in flight, down ${r.downSeconds.toFixed(1)} s`).join('; ')}; deadlines open: ${opened ? 'yes' : 'no'}`, restarts.length === 2 && restarts.every((r) => r.lifecyclesInFlight > 0) && opened);
  check('(f) history restart', 'every timer fired, none early', `${records.length}/${deadlines} fired, ${early} early, lateness max ${Math.max(0, ...late)} ms`, records.length === deadlines && early === 0);
  check('(f) history restart', 'every lifecycle driven to its end through the API', `${lifecycles - failures.length}/${lifecycles}`, failures.length === 0);
  reportAudit('(f) history restart', a);
}

async function databaseOutage(): Promise<void> {
  const lifecycles = scaled(40, 8);
  const pairs = await createPairs('pgdown', 8);
  const orderIds = Array.from({ length: lifecycles }, (_, i) => `PGDOWN-${i}`);
  log(`(c) ${lifecycles} lifecycles; PostgreSQL stops for ${DB_DOWN_MS / 1000} s once they are under way (at most 3 s in)`);
  const before = { ...answers };
  const answered = () => Object.entries(answers).reduce((n, [k, v]) => n + v - (before[k] ?? 0), 0);
  const inFlight = pool(orderIds.map((id, i) => ({ id, i })), 8, ({ id, i }) => lifecycle(pairs[i % pairs.length], id, i % 4 === 1));
  // The outage must meet lifecycles in flight: it starts once the API has answered about one request
  // per lifecycle (a lifecycle takes some ten), and 3 s in at the latest.
  const startedAt = Date.now();
  while (answered() < Math.min(lifecycles, 8) && Date.now() - startedAt < 3_000) await sleep(50);
  let retrying = 0;
  let down = true;
  const watch = (async () => {
    // Evidence that activities retry while the database is down: attempts above 1 on pending activities.
    while (down) {
      let n = 0;
      for (const id of orderIds) {
        const d = await stack.client.workflow.getHandle(orderWorkflowId(id)).describe().catch(() => undefined);
        n += (d?.raw.pendingActivities ?? []).filter((p) => (p.attempt ?? 0) > 1).length;
      }
      retrying = Math.max(retrying, n);
      await sleep(2_000);
    }
  })();
  const stoppedAt = Date.now();
  await stack.stopDatabaseFor(DB_DOWN_MS, () => log('(c) PostgreSQL stopped'));
  down = false;
  await watch;
  log(`(c) PostgreSQL started again after ${((Date.now() - stoppedAt) / 1000).toFixed(0)} s`);
  const failures = await inFlight;
  const duringOutage = Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => Number(v) > 0));
  const monitoringIds = orderIds.filter((_, i) => i % 4 === 1).map((id) => `M-${id}`);
  await settled([...orderIds.map(orderWorkflowId), ...monitoringIds.map(monitoringWorkflowId)]);
  const a = await audit(orderIds, monitoringIds);
  figures.databaseOutage = { lifecycles, downSeconds: DB_DOWN_MS / 1000, maxActivitiesRetrying: retrying, apiAnswers: duringOutage, failures, audit: a };
  log(`(c) API answers during the experiment: ${JSON.stringify(duringOutage)}`);
  check('(c) PostgreSQL down', 'activities retried while the database was down', `up to ${retrying} activities on attempt > 1`, retrying > 0);
  check('(c) PostgreSQL down', 'every lifecycle driven to its end through the API', `${lifecycles - failures.length}/${lifecycles}`, failures.length === 0);
  const serverErrors = Object.entries(duringOutage).filter(([status]) => Number(status) >= 500 && status !== '503');
  check(
    '(c) PostgreSQL down',
    'the API answers 503 (retry later), never another 5xx, while the database is down',
    `${duringOutage['503'] ?? 0} × 503${serverErrors.map(([s, n]) => `, ${n} × ${s}`).join('')}`,
    serverErrors.length === 0,
  );
  for (const f of failures.slice(0, 5)) log(`  ${f}`);
  reportAudit('(c) PostgreSQL down', a);
}

async function duplicates(): Promise<void> {
  const n = scaled(20, 5);
  const pairs = await createPairs('dup', n);
  log(`(d) ${n} orders: the same draft twice at once, double clicks on pay and ship, the monitoring card payment three times`);
  const tally = { draft201: 0, deposit200: 0, balance200: 0, ship200: 0, monitoringPay200: 0, replay409: 0 };
  const problems: string[] = [];
  await pool(pairs.map((p, i) => ({ p, i })), 5, async ({ p, i }) => {
    const orderId = `DUP-${i}`;
    const drafts = await Promise.all([0, 1].map(() => call(stack.opsKey, 'POST', '/orders', { ...terms(orderId, p.buyerId), supplierId: p.supplierId })));
    tally.draft201 += drafts.filter((r) => r?.status === 201).length;
    if (drafts.map((r) => r?.status).sort().join() !== '201,409') problems.push(`${orderId} draft twice: ${drafts.map((r) => r?.status).join(', ')}`);
    await step(p.buyerKey, orderId, 'confirm-by-buyer', {}, 'BUYER_CONFIRMED');
    await step(p.supplierKey, orderId, 'confirm-by-supplier', {}, 'CONFIRMED');
    const pay = (kind: string, amount: number) => call(p.buyerKey, 'POST', `/orders/${orderId}/pay`, { kind, amount, reference: `${orderId}-${kind}` });
    const deposits = await Promise.all([pay('deposit', DEPOSIT), pay('deposit', DEPOSIT)]);
    tally.deposit200 += deposits.filter((r) => r?.status === 200).length;
    if (deposits.filter((r) => r?.status === 200).length !== 1) problems.push(`${orderId} deposit double click: ${deposits.map((r) => r?.status).join(', ')}`);
    const balances = await Promise.all([pay('balance', BALANCE), pay('balance', BALANCE)]);
    tally.balance200 += balances.filter((r) => r?.status === 200).length;
    const replay = await pay('balance', BALANCE);
    if (replay?.status === 409) tally.replay409++;
    else problems.push(`${orderId} balance sent again after success: ${replay?.status}`);
    const monitoringId = `M-${orderId}`;
    const booked = await call(p.buyerKey, 'POST', '/monitoring', { monitoringId, orderId, addedVia: 'ORDER_DETAILS_SEPARATE' });
    if (booked?.status !== 201) problems.push(`${monitoringId} book: ${booked?.status}`);
    const cardPays = await Promise.all([0, 1].map(() => call(p.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card: CARD })));
    const third = await call(p.buyerKey, 'POST', `/monitoring/${monitoringId}/pay`, { card: CARD });
    tally.monitoringPay200 += [...cardPays, third].filter((r) => r?.status === 200).length;
    const ships = await Promise.all([0, 1].map(() => call(p.supplierKey, 'POST', `/orders/${orderId}/ship`, { carrier: 'DHL', trackingNumber: `JD-${orderId}` })));
    tally.ship200 += ships.filter((r) => r?.status === 200).length;
    if (ships.filter((r) => r?.status === 200).length !== 1) problems.push(`${orderId} ship double click: ${ships.map((r) => r?.status).join(', ')}`);
    await step(stack.opsKey, orderId, 'mark-delivered', {}, 'DELIVERED');
    await step(p.buyerKey, orderId, 'confirm-receipt', {}, 'COMPLETED');
  });
  const orderIds = pairs.map((_, i) => `DUP-${i}`);
  const monitoringIds = orderIds.map((id) => `M-${id}`);
  await settled([...orderIds.map(orderWorkflowId), ...monitoringIds.map(monitoringWorkflowId)]);
  const a = await audit(orderIds, monitoringIds);
  const shipments = await stack.db.shipment.count({ where: { orderId: { in: orderIds } } });
  const workflows = await stack.client.workflow.count(`WorkflowId STARTS_WITH 'order:DUP-'`).then((c) => c.count).catch(() => -1);
  figures.duplicates = { orders: n, tally, problems, shipments, workflows, audit: a };
  for (const p of problems.slice(0, 5)) log(`  ${p}`);
  check('(d) duplicates', 'the same draft twice at once: one order (201 + 409)', `${tally.draft201} created for ${n}; ${workflows} workflows`, tally.draft201 === n && problems.filter((p) => p.includes('draft')).length === 0);
  check('(d) duplicates', 'double click on pay: one payment each (one 200 per kind)', `${tally.deposit200} deposits, ${tally.balance200} balances accepted for ${n} orders; ${tally.replay409} replays refused`, tally.deposit200 === n && tally.balance200 === n && tally.replay409 === n);
  check('(d) duplicates', 'double click on ship: one shipment', `${tally.ship200} accepted, ${shipments} shipment rows for ${n} orders`, tally.ship200 === n && shipments === n);
  check('(d) duplicates', 'monitoring card paid three times (two at once): one charge, one payment', `${tally.monitoringPay200} of ${3 * n} answers 200; ${a.successfulChargeKeys} charges for ${n} tasks`, tally.monitoringPay200 === 3 * n && a.tasksNotPaidOnce.length === 0);
  reportAudit('(d) duplicates', a, 'orders');
}

async function relayKills(): Promise<void> {
  const n = scaled(2000, 100);
  const maxKills = scaled(20, 3);
  const queue = 'tradeguard-chaos-relay';
  const leaseMs = 5000;
  // The relay's batch: a killed relay holds at most this many claimed rows.
  const batch = 20;
  const outbox = createOutbox({ opsAddresses: { ops: 'ops@chaos.test', opsLeads: 'ops-leads@chaos.test' }, queue });
  const subject = (i: number) => `[relay chaos] message ${i}`;
  log(`(e) ${n} emails written in 20 waves 2 s apart; the mail relay (a child process, lease ${leaseMs / 1000} s) killed with SIGKILL up to ${maxKills} times`);
  let relay = stack.startRelayProcess(queue, leaseMs);
  let kills = 0;
  let written = false;
  const writer = (async () => {
    for (let wave = 0; wave < 20; wave++) {
      for (let i = Math.round((wave * n) / 20); i < Math.round(((wave + 1) * n) / 20); i++) {
        await outbox.write(stack.db, { customer: { key: `relay-chaos:${i}`, order: { customerEmail: `recipient-${i % 40}@chaos.test` }, subject: subject(i), text: `body ${i}` } });
      }
      await sleep(2000);
    }
    written = true;
  })();
  const unsent = () => stack.db.emailOutbox.count({ where: { queue, status: { not: 'sent' } } });
  const started = Date.now();
  while (kills < maxKills && Date.now() - started < 5 * 60_000) {
    await sleep(between(2000, 6000));
    if (written && (await unsent()) === 0) break;
    const child = relay;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    kills++;
    await sleep(between(100, 1500));
    relay = stack.startRelayProcess(queue, leaseMs);
  }
  await writer;
  // No more kills: the last relay sends the rest, including the claims the killed ones left.
  const waitUntil = Date.now() + 2 * leaseMs + 120_000;
  let left = await unsent();
  while (left > 0 && Date.now() < waitUntil) {
    await sleep(500);
    left = await unsent();
  }
  const exited = new Promise<void>((resolve) => relay.once('exit', () => resolve()));
  relay.kill('SIGTERM');
  await exited;
  await sleep(500);

  const keys = Array.from({ length: n }, (_, i) => `relay-chaos:${i}:customer`);
  const expected = new Map(keys.map((k) => [`<${k}@tradeguard>`, k]));
  const deliveries = stack.mail.filter((m) => m.subject.startsWith('[relay chaos] '));
  const perMessage = new Map<string, number>();
  for (const m of deliveries) perMessage.set(m.messageId ?? '(none)', (perMessage.get(m.messageId ?? '(none)') ?? 0) + 1);
  const undelivered = [...expected.keys()].filter((id) => !perMessage.has(id));
  const unknownIds = [...perMessage.keys()].filter((id) => !expected.has(id));
  const duplicates = deliveries.length - perMessage.size;
  const rows = await stack.db.emailOutbox.findMany({ where: { queue }, select: { status: true, attempts: true } });
  const claimedAgain = rows.filter((r) => r.attempts > 1).length;
  figures.relayKills = { emails: n, kills, leaseMs, unsentAtEnd: left, deliveries: deliveries.length, duplicates, undelivered: undelivered.slice(0, 20), unknownIds: unknownIds.slice(0, 20), claimedAgain };
  check('(e) relay SIGKILL', 'relay killed at random moments while emails were written', `${kills} kills`, kills > 0);
  check('(e) relay SIGKILL', 'every email sent and delivered (0 lost)', `${rows.filter((r) => r.status === 'sent').length}/${n} rows sent, ${n - undelivered.length}/${n} delivered`, left === 0 && rows.length === n && undelivered.length === 0);
  check('(e) relay SIGKILL', 'every delivery carries its row\'s Message-ID', `${unknownIds.length} unknown Message-IDs in ${deliveries.length} deliveries`, unknownIds.length === 0);
  check(
    '(e) relay SIGKILL',
    'a resend only for claims a killed relay held (≤ kills × batch)',
    `${duplicates} sent twice (bound ${kills * batch}); ${claimedAgain} rows claimed again after a lease`,
    duplicates <= kills * batch,
  );
}

// ---- the run ----------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!Number.isFinite(SCALE) || SCALE <= 0) throw new Error(`CHAOS_SCALE=${process.env.CHAOS_SCALE} is not a positive number`);
  const host = { nproc: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version };
  console.log(`TradeGuard chaos run, ${new Date(began).toISOString()}; CHAOS_SCALE=${SCALE}, CHAOS_SEED=${SEED}`);
  console.log(`machine: ${host.nproc} CPU(s), ${host.memoryGiB} GiB, ${host.cpuModel}; Node ${host.node}`);
  stack = await startChaosStack(log);
  // Interrupted (Ctrl-C, or npm run cluster stopping): stop what the stack started before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the stack`);
      void stack.stop().finally(() => process.exit(130));
    });
  }
  try {
    const only = (process.env.CHAOS_ONLY ?? (stack.temporalServicesSeparate ? 'a,b,c,d,e,f' : 'a,b,c,d,e')).split(',').map((s) => s.trim());
    for (const [name, experiment] of [['a', workerKills], ['b', temporalRestart], ['c', databaseOutage], ['d', duplicates], ['e', relayKills], ['f', historyRestart]] as const) {
      if (!only.includes(name)) continue;
      try {
        await experiment();
      } catch (err) {
        check(`(${name})`, 'the experiment ran to its end', (err as Error).message, false);
      }
    }
  } finally {
    log('stopping the stack');
    await stack.stop();
  }
  const width = Math.max(...checks.map((c) => c.check.length + c.experiment.length + 3));
  console.log(`\n${'check'.padEnd(width)}  result  measured`);
  for (const c of checks) console.log(`${`${c.experiment}: ${c.check}`.padEnd(width)}  ${c.pass ? 'PASS' : 'FAIL'}    ${c.measured}`);
  const failed = checks.filter((c) => !c.pass).length;
  const seconds = Math.round((Date.now() - began) / 1000);
  console.log(`\n${checks.length - failed} passed, ${failed} failed, in ${seconds} s`);
  const dir = path.join(projectRoot, 'chaos', 'results');
  fs.mkdirSync(dir, { recursive: true });
  // The cluster's run (npm run cluster, reduced by default) is kept whatever its scale; the dev server's only at full size.
  const file = path.join(dir, stack.temporalServicesSeparate ? 'chaos-cluster.json' : SCALE >= 1 ? 'chaos.json' : 'chaos-reduced.json');
  fs.writeFileSync(file, `${JSON.stringify({ ranAt: new Date(began).toISOString(), seconds, scale: SCALE, seed: SEED, only: process.env.CHAOS_ONLY ?? (stack.temporalServicesSeparate ? 'a,b,c,d,e,f' : 'a,b,c,d,e'), temporal: stack.temporalServicesSeparate ? process.env.CHAOS_TEMPORAL_KIND ?? 'multi-service Temporal server' : 'temporal server start-dev (SQLite file)', workerProcesses: stack.workerCount, machine: host, workerStarts: stack.workerStarts(), checks, figures }, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`);
  console.log(`results in ${path.relative(projectRoot, file)}`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
