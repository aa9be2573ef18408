/**
 * History size: events per order lifecycle, read from Temporal's history. Both paths run on the
 * time-skipping test server (a worker with TradeGuard's real activities against the run's database),
 * so every window, reminder and escalation fires as it would over the order's months, and each
 * workflow runs to its end (the feedback window closing).
 *
 * - happy path: draft → confirmations → deposit → balance → ship → delivered → receipt → completed.
 * - one claim: the happy path to delivery, then one claim the longest way (below), decided with a
 *   refund while funds are held, which settles the order.
 * - worst claim path: a late shipment with a late-shipment claim, an extension, a carrier check,
 *   both receiving extensions, a claim of every other cause during receiving, automatic receipt at
 *   the window's end, then a post-receipt claim refunded from the supplier's payable, and feedback
 *   from both parties. Every claim goes the longest way: evidence from both parties, an evidence
 *   request answered, the supplier silent past its 3 days, automatic escalation on day 7, the ops
 *   reminder and the overdue page, then the ops decision.
 * - upload flood: one claim on a delivered order; the buyer and then the supplier each try 200
 *   evidence uploads (a party once grew an order's history to 52 MB this way). The policy caps each
 *   party's uploads to a claim; the history at the cap is reported.
 */
import { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { SimulatedCarrier } from '../adapters/carrier';
import { SandboxCardGateway } from '../adapters/payments';
import { ensureTemporalTestServer } from '../infra/temporal-binaries';
import { registerSearchAttributes } from '../infra/temporal-connection';
import { workflowsPath } from '../worker/worker';
import { Actor, EVIDENCE_HELD } from '../workflows/common';
import {
  ClaimCause,
  ORDER_CODE_REVISION,
  ORDER_WORKFLOW_TYPE,
  OrderAck,
  OrderState,
  TradeOrderInput,
  addEvidenceUpdate,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  decideClaimUpdate,
  extendReceivingUpdate,
  extendShippingUpdate,
  getOrderQuery,
  leaveFeedbackUpdate,
  markDeliveredUpdate,
  openClaimUpdate,
  orderWorkflowId,
  payUpdate,
  requestEvidenceUpdate,
  shipUpdate,
} from '../workflows/order.messages';
import { CURRENT_ORDER_POLICY_VERSION } from '../workflows/order.policy';
import { BenchContext } from './context';
import { countEvents, EventCounts, historyOf } from './history-events';
import { BALANCE, DEPOSIT, createParties, draftTerms } from './http';
import { printTable, verdict } from './report';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TASK_QUEUE = 'tradeguard-bench-history';
/** Uploads each party tries in the flood path: far more than any cap. */
const FLOOD_ATTEMPTS = 200;
/** A distinct file per upload (the same bytes again would be a repeat, which adds nothing). */
const fileSha = (actor: Actor, n: number) => `${actor.role === 'buyer' ? 'b' : 'c'}${n.toString(16)}`.padStart(64, '0');
/** Every path's history stays under this (Temporal warns at 10 MB and terminates at 50 MB). */
const BYTES_TARGET = 1024 * 1024;

export async function history(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { stack } = ctx;
  const [p] = await createParties(stack.db, 'history', 1);
  const buyer: Actor = { role: 'buyer', partyId: p.buyerId };
  const supplier: Actor = { role: 'supplier', partyId: p.supplierId };
  const ops: Actor = { role: 'ops' };

  ctx.log('history: starting the time-skipping test server and a worker');
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensureTemporalTestServer() } },
  });
  try {
    await registerSearchAttributes(env.connection, 'default');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: workflowsPath(),
      activities: createActivities({
        db: stack.db,
        carrier: new SimulatedCarrier(),
        opsAddresses: { ops: 'ops@tradeguard.local', opsLeads: 'ops-leads@tradeguard.local' },
        payments: new SandboxCardGateway(),
        temporal: { client: env.client, taskQueue: TASK_QUEUE },
      }),
    });
    const run = Date.now().toString(36);
    const sleepUntil = async (at: number) => {
      const now = await env.currentTimeMs();
      if (at > now) await env.sleep(at - now);
    };
    const start = async (orderId: string, shipInDays: number): Promise<WorkflowHandle> => {
      const now = await env.currentTimeMs();
      const terms = { ...draftTerms(), shippingDate: new Date(now + shipInDays * DAY).toISOString().slice(0, 10) };
      // The code revision the API starts new orders on, so that the histories are those new orders write.
      const input: TradeOrderInput = { orderId, buyerId: p.buyerId, supplierId: p.supplierId, terms, policyVersion: CURRENT_ORDER_POLICY_VERSION, createdBy: supplier, codeRevision: ORDER_CODE_REVISION };
      return env.client.workflow.start(ORDER_WORKFLOW_TYPE, { taskQueue: TASK_QUEUE, workflowId: orderWorkflowId(orderId), args: [input] });
    };
    const counts = async (h: WorkflowHandle) => countEvents(await historyOf(env.client, h.workflowId));

    const result = await worker.runUntil(async () => {
      // ---- happy path
      ctx.log('history: happy path');
      const happy = await start(`HIST-${run}-happy`, 30);
      await happy.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
      await happy.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
      await happy.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: DEPOSIT, reference: 'H-1' }] });
      await happy.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'balance', amount: BALANCE, reference: 'H-2' }] });
      await happy.executeUpdate(shipUpdate, { args: [{ actor: supplier, carrier: 'DHL', trackingNumber: 'JD-HAPPY' }] });
      await happy.executeUpdate(markDeliveredUpdate, { args: [{ actor: ops }] });
      const done = await happy.executeUpdate(confirmReceiptUpdate, { args: [{ actor: buyer }] });
      const happyAtCompletion = await counts(happy);
      await happy.result();
      const happyAtClose = await counts(happy);

      // Helpers for the claim paths: each takes the order's handle.
      const u = <A>(h: WorkflowHandle, update: UpdateDefinition<OrderAck, [A]>, arg: A): Promise<OrderAck> => h.executeUpdate(update, { args: [arg] });
      const state = (h: WorkflowHandle) => h.query(getOrderQuery);
      const evidence = (h: WorkflowHandle, claimId: string, actor: Actor, n: number) =>
        u(h, addEvidenceUpdate, { actor, claimId, file: { fileId: `${claimId}-${actor.role}-${n}`, name: `evidence-${n}.jpg`, contentType: 'image/jpeg', size: 2048, sha256: fileSha(actor, n) } });
      const dueOf = async (h: WorkflowHandle, claimId: string, kind: string) => {
        const d = (await state(h)).deadlines?.find((x) => x.claimId === claimId && x.kind === kind);
        if (!d) throw new Error(`claim ${claimId} has no ${kind} deadline`);
        return Date.parse(d.dueAt);
      };
      const longestClaim = async (h: WorkflowHandle, cause: ClaimCause, refund: number) => {
        const opened = await u(h, openClaimUpdate, { actor: buyer, cause, refundAsked: 100_000, description: `${cause.toLowerCase()} on arrival` });
        const claimId = opened.claimId as string;
        await evidence(h, claimId, buyer, 1);
        await evidence(h, claimId, supplier, 1);
        const now = await env.currentTimeMs();
        await u(h, requestEvidenceUpdate, { actor: ops, claimId, party: 'buyer', description: 'photos of the cartons', dueAt: new Date(now + 2 * DAY).toISOString() });
        await evidence(h, claimId, buyer, 2);
        // The supplier stays silent: day 3 passes, day 7 escalates, then the reminder and the overdue page.
        await sleepUntil((await dueOf(h, claimId, 'claim-auto-escalation')) + HOUR);
        await sleepUntil((await dueOf(h, claimId, 'claim-decision-due')) + HOUR);
        await u(h, decideClaimUpdate, { actor: ops, claimId, refund, reason: refund > 0 ? 'evidence supports the claim' : 'not supported by the evidence' });
      };
      const paidAndDelivered = async (h: WorkflowHandle) => {
        await u(h, confirmByBuyerUpdate, { actor: buyer });
        await u(h, confirmBySupplierUpdate, { actor: supplier });
        await u(h, payUpdate, { actor: buyer, kind: 'deposit', amount: DEPOSIT, reference: 'O-1' });
        await u(h, payUpdate, { actor: buyer, kind: 'balance', amount: BALANCE, reference: 'O-2' });
        await u(h, shipUpdate, { actor: supplier, carrier: 'DHL', trackingNumber: 'JD-ONE' });
        await u(h, markDeliveredUpdate, { actor: ops });
      };

      // ---- one claim, the longest way, decided with a refund while funds are held (order settled)
      ctx.log('history: one claim path');
      const one = await start(`HIST-${run}-one`, 30);
      await paidAndDelivered(one);
      await longestClaim(one, 'QUALITY_MISMATCH', 50_000);
      const oneFinal = (await one.result()) as OrderState;
      const oneAtClose = await counts(one);

      // ---- worst claim path
      ctx.log('history: worst claim path');
      const worst = await start(`HIST-${run}-worst`, 10);
      await u(worst, confirmByBuyerUpdate, { actor: buyer });
      await u(worst, confirmBySupplierUpdate, { actor: supplier });
      await u(worst, payUpdate, { actor: buyer, kind: 'deposit', amount: DEPOSIT, reference: 'W-1' });
      await u(worst, payUpdate, { actor: buyer, kind: 'balance', amount: BALANCE, reference: 'W-2' });
      const shippingDate = (await state(worst)).shippingDate as string;
      // Reminders 3 and 1 days before, then the shipping date passes: the order is late.
      await sleepUntil(Date.parse(`${shippingDate}T00:00:00Z`) + DAY + HOUR);
      await longestClaim(worst, 'LATE_SHIPMENT', 0);
      const extended = new Date(Date.parse(`${shippingDate}T00:00:00Z`) + 25 * DAY).toISOString().slice(0, 10);
      await u(worst, extendShippingUpdate, { actor: buyer, shippingDate: extended });
      await u(worst, shipUpdate, { actor: supplier, carrier: 'DHL', trackingNumber: 'JD-WORST' });
      await sleepUntil((await env.currentTimeMs()) + 2 * DAY + HOUR); // the carrier check
      await u(worst, markDeliveredUpdate, { actor: ops });
      await u(worst, extendReceivingUpdate, { actor: buyer, days: 15 });
      await u(worst, extendReceivingUpdate, { actor: supplier, days: 15 });
      for (const cause of ['QUALITY_MISMATCH', 'NOT_AS_DESCRIBED', 'NOT_RECEIVED'] as ClaimCause[]) await longestClaim(worst, cause, 0);
      // The receiving window ends: receipt is confirmed automatically and the funds released.
      await sleepUntil(Date.parse((await state(worst)).receivingWindowEndsAt as string) + HOUR);
      const completed = await state(worst);
      await longestClaim(worst, 'QUALITY_MISMATCH', 50_000);
      await u(worst, leaveFeedbackUpdate, { actor: buyer, rating: 2, comment: 'slow and faulty' });
      await u(worst, leaveFeedbackUpdate, { actor: supplier, rating: 4, comment: 'fair buyer' });
      const worstBeforeClose = await counts(worst);
      const final = (await worst.result()) as OrderState;
      const worstAtClose = await counts(worst);

      // ---- upload flood: both parties upload evidence to one claim until the order refuses more
      ctx.log('history: upload flood');
      const flood = await start(`HIST-${run}-flood`, 30);
      await paidAndDelivered(flood);
      const floodClaim = (await u(flood, openClaimUpdate, { actor: buyer, cause: 'QUALITY_MISMATCH', refundAsked: 100_000, description: 'flood' })).claimId as string;
      const accepted = { buyer: 0, supplier: 0 };
      let refusal = '';
      for (const actor of [buyer, supplier]) {
        for (let n = 1; n <= FLOOD_ATTEMPTS; n++) {
          const ok = await evidence(flood, floodClaim, actor, n).then(
            () => true,
            (err: Error) => {
              refusal = (err.cause as Error | undefined)?.message ?? err.message;
              return false;
            },
          );
          if (!ok) break;
          accepted[actor.role as 'buyer' | 'supplier'] += 1;
        }
      }
      const floodAtCap = await counts(flood);
      // Then each party sends its first file again, over and over: the claim holds it, and a repeat
      // is refused before it is accepted, so the history does not grow.
      let repeatsHeld = 0;
      for (const actor of [buyer, supplier]) {
        for (let n = 1; n <= FLOOD_ATTEMPTS; n++) {
          await evidence(flood, floodClaim, actor, 1).then(
            () => undefined,
            (err: Error) => {
              if ((err.cause as { type?: string } | undefined)?.type === EVIDENCE_HELD) repeatsHeld += 1;
            },
          );
        }
      }
      const floodAfterRepeats = await counts(flood);
      return {
        happy: { status: done.status, atCompletion: happyAtCompletion, atClose: happyAtClose },
        oneClaim: { finalStatus: oneFinal.status, atClose: oneAtClose },
        flood: { attempted: FLOOD_ATTEMPTS, accepted, refusal, atCap: floodAtCap, repeats: 2 * FLOOD_ATTEMPTS, repeatsHeld, afterRepeats: floodAfterRepeats },
        worst: {
          statusAtReceiptWindowEnd: completed.status,
          finalStatus: final.status,
          claims: final.claims?.map((c) => ({ id: c.id, cause: c.cause, outcome: c.outcome, escalatedBy: c.escalatedBy })),
          revisions: final.revision,
          beforeClose: worstBeforeClose,
          atClose: worstAtClose,
        },
      };
    });

    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    const row = (name: string, c: EventCounts, target: number) => [
      name, c.events, kb(c.bytes), kb(c.largestEventBytes), c.workflowTasks, `${c.activities}+${c.localActivities}`, c.timers, c.updates, `≤ ${target}`, verdict(c.events <= target && c.bytes <= BYTES_TARGET),
    ];
    printTable(
      `History size: events and bytes per order workflow (time-skipping server, real activities); every path also ≤ ${kb(BYTES_TARGET)}`,
      ['path', 'events', 'bytes', 'largest event', 'workflow tasks', 'activities (ordinary+local)', 'timers', 'updates', 'target', 'result'],
      [
        row('happy path, at COMPLETED', result.happy.atCompletion, 200),
        row('happy path, workflow closed', result.happy.atClose, 200),
        row('one claim the longest way (settled), closed', result.oneClaim.atClose, 1000),
        row(`worst claim path (${result.worst.claims?.length} claims), workflow closed`, result.worst.atClose, 1000),
        row(`upload flood: ${result.flood.accepted.buyer} + ${result.flood.accepted.supplier} of ${2 * result.flood.attempted} uploads taken`, result.flood.atCap, 1000),
      ],
    );
    console.log(`upload flood: each party's uploads to one claim stop at the policy's cap: "${result.flood.refusal}"`);
    const { repeats, repeatsHeld, atCap, afterRepeats } = result.flood;
    console.log(
      `upload flood, then ${repeats} repeats of a file the claim holds: ${repeatsHeld} refused as held before acceptance, ` +
        `${afterRepeats.updates - atCap.updates} more Updates accepted ${verdict(repeatsHeld === repeats && afterRepeats.updates === atCap.updates)} ` +
        `(this test server still records a workflow task for each refused Update, ${afterRepeats.events - atCap.events} events; a real server records none: test/e2e/evidence-uploads.test.ts)`,
    );
    console.log(`worst claim path: ${result.worst.revisions} revisions; claims ${result.worst.claims?.map((c) => `${c.id} ${c.cause} ${c.outcome}`).join(', ')}; final status ${result.worst.finalStatus}`);
    return {
      ...result,
      targets: { happy: 200, worstClaim: 1000, flood: 1000, bytes: BYTES_TARGET },
      pass: {
        happy: result.happy.atClose.events <= 200 && result.happy.atClose.bytes <= BYTES_TARGET,
        worstClaim: result.worst.atClose.events <= 1000 && result.worst.atClose.bytes <= BYTES_TARGET,
        flood: result.flood.atCap.events <= 1000 && result.flood.atCap.bytes <= BYTES_TARGET,
        repeatsAcceptNothing: result.flood.repeatsHeld === result.flood.repeats && result.flood.afterRepeats.updates === result.flood.atCap.updates,
      },
    };
  } finally {
    await env.teardown();
  }
}
