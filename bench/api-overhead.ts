/**
 * API overhead: latency of drafting an order and of one action (the buyer's confirmation) through
 * the HTTP API, against the same operation through the raw Temporal client (workflow start,
 * executeUpdate) on the same server. Requests go one at a time, API and raw client alternating, so
 * both see the same load.
 */
import { performance } from 'node:perf_hooks';
import { ORDER_WORKFLOW_TYPE, TradeOrderInput, confirmByBuyerUpdate, orderWorkflowId } from '../workflows/order.messages';
import { CURRENT_ORDER_POLICY_VERSION } from '../workflows/order.policy';
import { BenchContext, scaled, sleep } from './context';
import { createParties, draftTerms, ok } from './http';
import { Summary, ms, printTable, ratio, summarize, verdict } from './report';
import { TASK_QUEUE } from './stack';

export async function apiOverhead(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { stack, call } = ctx;
  const samples = scaled(ctx, 200, 20);
  const warmup = Math.max(5, Math.round(samples / 10));
  const total = samples + warmup;
  const [p] = await createParties(stack.db, 'api', 1);
  const run = Date.now().toString(36);
  const apiIds: string[] = [];
  const rawIds: string[] = [];
  const t = { apiCreate: [] as number[], rawCreate: [] as number[], apiAction: [] as number[], rawAction: [] as number[] };

  const apiCreate = async (i: number) => {
    const orderId = `API-${run}-${i}`;
    const start = performance.now();
    // Ops drafts directly (one workflow start, as the raw side does); a supplier drafts through its buyer's request.
    ok(await call(stack.opsKey, 'POST', '/orders', { orderId, buyerId: p.buyerId, supplierId: p.supplierId, ...draftTerms() }), 'draft through the API');
    t.apiCreate.push(performance.now() - start);
    apiIds.push(orderId);
  };
  const rawCreate = async (i: number) => {
    const orderId = `RAW-${run}-${i}`;
    const input: TradeOrderInput = {
      orderId,
      buyerId: p.buyerId,
      supplierId: p.supplierId,
      terms: draftTerms(),
      policyVersion: CURRENT_ORDER_POLICY_VERSION,
      createdBy: { role: 'supplier', partyId: p.supplierId, keyId: p.supplierKeyId },
    };
    const start = performance.now();
    await stack.client.workflow.start(ORDER_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: orderWorkflowId(orderId),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
    });
    t.rawCreate.push(performance.now() - start);
    rawIds.push(orderId);
  };
  ctx.log(`api-overhead: ${total} drafts each way (${warmup} warm-up)`);
  for (let i = 0; i < total; i++) {
    if (i % 2 === 0) {
      await apiCreate(i);
      await rawCreate(i);
    } else {
      await rawCreate(i);
      await apiCreate(i);
    }
  }
  // Actions go to drafts whose start has been recorded, so no update waits for the draft's own work.
  for (;;) {
    const recorded = await stack.db.order.count({ where: { id: { in: [...apiIds, ...rawIds] } } });
    if (recorded === apiIds.length + rawIds.length) break;
    await sleep(200);
  }
  const apiAction = async (orderId: string) => {
    const start = performance.now();
    ok(await call(p.buyerKey, 'POST', `/orders/${orderId}/confirm-by-buyer`, {}), 'confirm through the API');
    t.apiAction.push(performance.now() - start);
  };
  const rawAction = async (orderId: string) => {
    const start = performance.now();
    await stack.client.workflow.getHandle(orderWorkflowId(orderId)).executeUpdate(confirmByBuyerUpdate, {
      args: [{ actor: { role: 'buyer', partyId: p.buyerId, keyId: p.buyerKeyId } }],
    });
    t.rawAction.push(performance.now() - start);
  };
  ctx.log(`api-overhead: ${total} buyer confirmations each way`);
  for (let i = 0; i < total; i++) {
    if (i % 2 === 0) {
      await apiAction(apiIds[i]);
      await rawAction(rawIds[i]);
    } else {
      await rawAction(rawIds[i]);
      await apiAction(apiIds[i]);
    }
  }

  const measured = (v: number[]) => summarize(v.slice(warmup));
  const create = { api: measured(t.apiCreate), raw: measured(t.rawCreate) };
  const action = { api: measured(t.apiAction), raw: measured(t.rawAction) };
  const row = (name: string, s: { api: Summary; raw: Summary }) => {
    const r50 = s.api.p50 / s.raw.p50;
    const r99 = s.api.p99 / s.raw.p99;
    return {
      table: [
        [`${name}: API (HTTP)`, ms(s.api.p50), ms(s.api.p99), ms(s.api.max), '', ''],
        [`${name}: raw Temporal client`, ms(s.raw.p50), ms(s.raw.p99), ms(s.raw.max), '', ''],
        [`${name}: API ÷ raw`, ratio(r50), ratio(r99), '', `${verdict(r50 <= 1.25)} (≤ 1.25×)`, `${verdict(r99 <= 1.5)} (≤ 1.5×)`],
      ],
      json: { api: s.api, raw: s.raw, p50Ratio: r50, p99Ratio: r99, p50Target: 1.25, p99Target: 1.5, p50Pass: r50 <= 1.25, p99Pass: r99 <= 1.5 },
    };
  };
  const c = row('draft order (start)', create);
  const a = row('confirm-by-buyer (update)', action);
  printTable(`API overhead: ${samples} samples per operation after ${warmup} warm-up, one request at a time`, ['operation', 'p50', 'p99', 'max', 'p50 target', 'p99 target'], [
    ...c.table,
    ...a.table,
  ]);
  return { samples, warmup, create: c.json, confirmByBuyer: a.json };
}
