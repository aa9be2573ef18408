/**
 * afterServiceCaseWorkflow on the time-skipping test server with typed in-memory activities: each
 * window edge (just inside, just outside), the 24 h first-reply promise, every resolution path, the
 * change/cancel request inside and after its automatic window, and closure.
 */
import { WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { activityRuns } from '../../bench/history-events';
import { ACTOR_NOT_ALLOWED } from '../../workflows/common';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { CaseType, afterServicePolicy } from '../../workflows/after-service.policy';
import {
  CASE_REFUSED,
  CASE_WORKFLOW_TYPE,
  CaseInput,
  CaseOrderFacts,
  CaseState,
  attemptRecallUpdate,
  caseWorkflowId,
  confirmCaseUpdate,
  getCaseQuery,
  receiveReturnUpdate,
  replyToCaseUpdate,
  resolveCaseUpdate,
} from '../../workflows/case.messages';
import { sampleCaseInput } from '../support/case-fixtures';
import { uniqueId } from '../support/env';
import { createMockActivities } from '../support/mock-activities';
import { buyer, ops, supplier } from '../support/order-fixtures';
import { bundleTradeGuardWorkflows, startTimeSkippingServer } from '../support/time-skipping';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleTradeGuardWorkflows();
});

// Each test on a test server of its own: its clock starts now, and nothing an earlier test left
// behind (workflows, timers) holds the clock back.
beforeEach(async () => {
  await env?.teardown();
  env = await startTimeSkippingServer();
});

afterAll(async () => {
  await env?.teardown();
});

type Mocks = ReturnType<typeof createMockActivities>;
type Handle = WorkflowHandle;
const iso = (ms: number) => new Date(ms).toISOString();

/** Facts of an order paid, shipped and delivered at the given offsets (ms) before now. */
async function factsAgo(ago: { paid?: number; shipped?: number; delivered?: number; recallable?: boolean }): Promise<CaseOrderFacts> {
  const now = await env.currentTimeMs();
  return {
    paidAt: ago.paid === undefined ? undefined : iso(now - ago.paid),
    shippedAt: ago.shipped === undefined ? undefined : iso(now - ago.shipped),
    deliveredAt: ago.delivered === undefined ? undefined : iso(now - ago.delivered),
    recallable: ago.recallable ?? false,
  };
}

async function withCase(
  type: CaseType,
  facts: CaseOrderFacts,
  fn: (h: Handle, m: Mocks, input: CaseInput) => Promise<void>,
  overrides: Partial<CaseInput> = {},
  prepare?: (m: Mocks) => void,
): Promise<void> {
  const mocks = createMockActivities();
  prepare?.(mocks);
  const taskQueue = uniqueId('case');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: mocks.activities });
  const input = sampleCaseInput(uniqueId('CS'), type, facts, overrides);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(CASE_WORKFLOW_TYPE, { taskQueue, workflowId: caseWorkflowId(input.caseId), args: [input] });
    try {
      await fn(handle, mocks, input);
    } finally {
      await handle.terminate('test done').catch(() => undefined);
    }
  });
}

const state = (h: Handle): Promise<CaseState> => h.query(getCaseQuery);
/** The case after an Update: an Update answers only an acknowledgement. */
const after = async (h: Handle, update: Promise<unknown>): Promise<CaseState> => {
  await update;
  return state(h);
};
const events = (m: Mocks) => m.calls.caseChanges.map((c) => c.event.type);
const skip = (ms: number) => env.sleep(ms);

async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause;
}

/**
 * Starts a case whose window should refuse it and returns its failure, read from the history
 * (waiting on `result()` would let the test server run its clock ahead).
 */
async function refusedAtStart(type: CaseType, facts: CaseOrderFacts): Promise<{ type?: string | null; message: string }> {
  const mocks = createMockActivities();
  const taskQueue = uniqueId('case');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: mocks.activities });
  const input = sampleCaseInput(uniqueId('CS'), type, facts);
  return worker.runUntil(async () => {
    const h = await env.client.workflow.start(CASE_WORKFLOW_TYPE, { taskQueue, workflowId: caseWorkflowId(input.caseId), args: [input] });
    for (let i = 0; i < 200 && (await h.describe()).status.name === 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await h.describe()).status.name).toBe('FAILED');
    expect(mocks.calls.caseChanges).toEqual([]);
    const failure = (await h.fetchHistory()).events?.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
    return { type: failure?.applicationFailureInfo?.type, message: failure?.message ?? '' };
  });
}

async function waitFor(h: Handle, done: (s: CaseState) => boolean): Promise<CaseState> {
  let s = await state(h);
  for (let i = 0; i < 200 && !done(s); i++) {
    await new Promise((r) => setTimeout(r, 25));
    s = await state(h);
  }
  return s;
}

describe('the first reply within 24 h', () => {
  it('reminds the team at 18 h, escalates to ops leads at 24 h, and marks the case late', async () => {
    await withCase('QUALITY', await factsAgo({ paid: 10 * DAY, shipped: 8 * DAY, delivered: 2 * DAY }), async (h, m) => {
      const opened = await state(h);
      expect(opened.deadlines.map((d) => d.kind)).toEqual(['first-reply-reminder', 'first-reply']);
      await waitFor(h, () => m.calls.customerNotices.length > 0);
      expect(m.calls.customerNotices[0].text).toContain(`by ${opened.firstReplyDueAt}`);
      await skip(18 * HOUR - MINUTE);
      expect(events(m)).toEqual(['OPENED']);
      await skip(2 * MINUTE);
      await waitFor(h, () => events(m).includes('FIRST_REPLY_REMINDER'));
      expect(m.calls.opsNotices.at(-1)).toMatchObject({ audience: 'ops', subject: expect.stringMatching(/reminder: reply to case/) });
      await skip(6 * HOUR - 2 * MINUTE);
      expect((await state(h)).late).toBe(false);
      await skip(2 * MINUTE);
      const late = await waitFor(h, (s) => s.late);
      expect(late.late).toBe(true);
      expect(late.status).toBe('AWAITING_REPLY');
      expect(events(m)).toEqual(['OPENED', 'FIRST_REPLY_REMINDER', 'FIRST_REPLY_MISSED']);
      expect(m.calls.opsNotices.at(-1)).toMatchObject({ audience: 'ops-leads', subject: expect.stringMatching(/LATE: case .* unanswered for 24 h/) });
      expect(m.calls.caseChanges.at(-1)!.case.late).toBe(true);
      expect(m.calls.caseChanges.at(-1)!.case.firstRepliedAt).toBeUndefined();
      // A new case records each change with its notices in one activity: no separate notice activity.
      expect(m.calls.caseChanges.at(-1)!.notices?.ops).toMatchObject({ audience: 'ops-leads' });
      // Each change's record carries its notices, in one ordinary activity.
      const runs = activityRuns((await h.fetchHistory()).events ?? []);
      expect(runs.filter((r) => r.type.startsWith('notify'))).toEqual([]);
      expect(runs.filter((r) => r.type === 'recordCaseChange')).toEqual(Array.from({ length: 3 }, () => ({ type: 'recordCaseChange', local: false })));
    });
  });

  it('a reply inside 24 h clears both deadlines and nothing escalates', async () => {
    await withCase('QUALITY', await factsAgo({ paid: 10 * DAY, shipped: 8 * DAY, delivered: 2 * DAY }), async (h, m) => {
      const buyerFirst = await refusal(h.executeUpdate(replyToCaseUpdate, { args: [{ actor: buyer, message: 'hello?' }] }));
      expect(buyerFirst.message).toMatch(/the first reply is the after-service team's/);
      await skip(23 * HOUR);
      const replied = await after(h, h.executeUpdate(replyToCaseUpdate, { args: [{ actor: supplier, message: 'Sorry: please send photos of the grilles.' }] }));
      expect(replied).toMatchObject({ status: 'IN_PROGRESS', deadlines: [] });
      expect(replied.firstRepliedAt).toBeDefined();
      await skip(2 * HOUR);
      expect((await state(h)).late).toBe(false);
      expect(events(m)).toEqual(['OPENED', 'FIRST_REPLY_REMINDER', 'FIRST_REPLY']);
      const other = { role: 'supplier' as const, partyId: 'supplier-2' };
      expect((await refusal(h.executeUpdate(replyToCaseUpdate, { args: [{ actor: other, message: 'x' }] }))).type).toBe(ACTOR_NOT_ALLOWED);
    });
  });
});

describe('bounded history', () => {
  it('caps the messages one case holds, naming the limit', async () => {
    await withCase('QUALITY', await factsAgo({ paid: 10 * DAY, shipped: 8 * DAY, delivered: 2 * DAY }), async (h) => {
      const { maxMessages } = afterServicePolicy('2026-11').limits;
      // The customer's description is the first message.
      for (let n = 2; n <= maxMessages; n++) {
        const ack = await h.executeUpdate(replyToCaseUpdate, { args: [{ actor: n === 2 ? supplier : buyer, message: `message ${n}` }] });
        expect(Object.keys(ack).sort()).toEqual(['caseId', 'revision', 'status']);
      }
      const refused = await refusal(h.executeUpdate(replyToCaseUpdate, { args: [{ actor: buyer, message: 'one more' }] }));
      expect(refused.message).toBe(`cannot write on the case: it holds ${maxMessages} messages, the most allowed (limit maxMessages = ${maxMessages}); resolve or close it`);
    });
  });
});

describe('resolutions', () => {
  const delivered = () => factsAgo({ paid: 10 * DAY, shipped: 8 * DAY, delivered: 2 * DAY });

  it('refunds in full through the order, keyed by the case and step, then closes by itself after 7 days', async () => {
    await withCase('QUALITY', await delivered(), async (h, m, input) => {
      const resolved = await after(h, h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'REFUND', reason: 'grilles cracked in transit' }] }));
      expect(resolved).toMatchObject({ status: 'AWAITING_CONFIRMATION', refunded: 700_000, resolution: { kind: 'REFUND', amount: 700_000 } });
      expect(resolved.firstRepliedAt).toBeDefined();
      expect(m.calls.caseRefunds).toEqual([expect.objectContaining({ idempotencyKey: `case:${input.caseId}:refund:2`, amount: 700_000, caseId: input.caseId })]);
      expect(resolved.deadlines.map((d) => d.kind)).toEqual(['auto-close']);
      await skip(7 * DAY - HOUR);
      expect((await state(h)).status).toBe('AWAITING_CONFIRMATION');
      await skip(2 * HOUR);
      const closed = await waitFor(h, (s) => s.status === 'CLOSED');
      expect(closed).toMatchObject({ status: 'CLOSED', confirmation: { by: 'system' } });
      expect(events(m)).toEqual(['OPENED', 'RESOLVED_REFUND', 'AUTO_CLOSED']);
    });
  });

  it('refunds part, refusing more than is refundable and a "partial" that is everything', async () => {
    await withCase('QUALITY', await delivered(), async (h, m) => {
      expect((await refusal(h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'PARTIAL_REFUND', amount: 800_000, reason: 'x' }] }))).message).toBe(
        'cannot refund 8,000.00 USD: at most 7,000.00 USD is refundable (7,000.00 USD paid)',
      );
      expect((await refusal(h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'PARTIAL_REFUND', amount: 700_000, reason: 'x' }] }))).message).toMatch(/resolve as REFUND instead/);
      expect((await refusal(h.executeUpdate(resolveCaseUpdate, { args: [{ actor: buyer, kind: 'REFUND', reason: 'x' }] }))).type).toBe(ACTOR_NOT_ALLOWED);
      const partial = await after(h, h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'PARTIAL_REFUND', amount: 21_000, reason: 'three of 500 units' }] }));
      expect(partial).toMatchObject({ refunded: 21_000, resolution: { kind: 'PARTIAL_REFUND', amount: 21_000 } });
      const confirmed = await after(h, h.executeUpdate(confirmCaseUpdate, { args: [{ actor: buyer, satisfied: true }] }));
      expect(confirmed).toMatchObject({ status: 'CLOSED', confirmation: { by: 'customer', satisfied: true }, deadlines: [] });
      expect(m.calls.caseRefunds.map((r) => r.amount)).toEqual([21_000]);
    });
  });

  it("resends at the supplier's cost, or at the buyer's when the buyer caused it, and follows the new parcel", async () => {
    await withCase('TRACKING', await delivered(), async (h, m, input) => {
      expect((await refusal(h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'RESEND', reason: 'lost' }] }))).message).toMatch(/needs the new parcel/);
      const resent = await after(h, h.executeUpdate(resolveCaseUpdate, {
        args: [{ actor: ops, kind: 'RESEND', reason: 'parcel refused at a wrong address', causedByBuyer: true, resend: { carrier: 'DHL', trackingNumber: 'JD0999' } }],
      }));
      expect(resent.resolution).toMatchObject({ kind: 'RESEND', shippingPaidBy: 'buyer', resend: { carrier: 'DHL', trackingNumber: 'JD0999' } });
      expect(m.calls.resends).toEqual([{ caseId: input.caseId, carrier: 'DHL', trackingNumber: 'JD0999', shippingPaidBy: 'buyer' }]);
      expect(m.calls.customerNotices.at(-1)!.text).toContain("at the buyer's cost");
      expect(m.calls.caseRefunds).toEqual([]);
    });
  });

  it('returns and refunds: return shipping at the buyer\'s cost when the product is fine; the refund follows the arrival', async () => {
    await withCase('RETURN', await delivered(), async (h, m) => {
      const awaiting = await after(h, h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'RETURN_AND_REFUND', reason: 'no-reason return', productFine: true }] }));
      expect(awaiting).toMatchObject({ status: 'AWAITING_RETURN', resolution: { kind: 'RETURN_AND_REFUND', amount: 700_000, shippingPaidBy: 'buyer' } });
      expect(m.calls.caseRefunds).toEqual([]);
      expect(awaiting.deadlines).toEqual([]);
      const received = await after(h, h.executeUpdate(receiveReturnUpdate, { args: [{ actor: ops, note: '500 units back, sealed' }] }));
      expect(received).toMatchObject({ status: 'AWAITING_CONFIRMATION', refunded: 700_000 });
      expect(m.calls.caseRefunds.map((r) => [r.idempotencyKey.split(':').at(-1), r.amount])).toEqual([['return-refund', 700_000]]);
    });
  });

  it('rejects with a reason the customer reads, and closes', async () => {
    await withCase('QUALITY', await delivered(), async (h, m) => {
      expect((await refusal(h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'REJECTED', reason: '  ' }] }))).message).toMatch(/needs a reason/);
      const rejected = await after(h, h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'REJECTED', reason: 'the photos show the grilles intact' }] }));
      expect(rejected).toMatchObject({ status: 'CLOSED', resolution: { kind: 'REJECTED' } });
      expect(m.calls.customerNotices.at(-1)!.text).toBe('Your after-service request for order PO-1 was not accepted: the photos show the grilles intact.');
      // Closed: the workflow has finished and takes no further actions.
      await waitFor(h, () => events(m).length === 2);
      for (let i = 0; i < 100 && (await h.describe()).status.name === 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 25));
      expect((await h.describe()).status.name).toBe('COMPLETED');
    });
  });

  it('turns a refund the order refused into a refusal, changing nothing', async () => {
    await withCase(
      'QUALITY',
      await delivered(),
      async (h, m) => {
        const refused = await refusal(h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'REFUND', reason: 'cracked' }] }));
        expect(refused.message).toBe('the refund of 7,000.00 USD was refused: claim C1 is open on the order: its decision refunds the buyer');
        const s = await state(h);
        expect(s).toMatchObject({ status: 'AWAITING_REPLY', refunded: 0 });
        expect(s.resolution).toBeUndefined();
        expect(events(m)).toEqual(['OPENED']);
      },
      {},
      (m) => {
        m.orderAnswers.refund = { ok: false, reason: 'claim C1 is open on the order: its decision refunds the buyer' };
      },
    );
  });
});

describe('change or cancel', () => {
  it('cancels the order automatically inside 24 h after payment', async () => {
    await withCase('CHANGE_CANCEL', await factsAgo({ paid: 23 * HOUR, recallable: true }), async (h, m, input) => {
      const s = await waitFor(h, (x) => x.status === 'AWAITING_CONFIRMATION');
      expect(s).toMatchObject({ status: 'AWAITING_CONFIRMATION', resolution: { kind: 'ORDER_CANCELLED' }, window: { automatic: true } });
      expect(m.calls.orderCancels).toEqual([expect.objectContaining({ key: `case:${input.caseId}:automatic`, caseId: input.caseId })]);
      expect(events(m)).toEqual(['OPENED', 'ACCEPTED_AUTOMATICALLY']);
    }, { request: 'CANCEL' });
  });

  it('after 24 h waits for ops to attempt a recall, which fails with the order\'s reason', async () => {
    await withCase(
      'CHANGE_CANCEL',
      await factsAgo({ paid: 25 * HOUR, recallable: true }),
      async (h, m) => {
        const s = await state(h);
        expect(s).toMatchObject({ status: 'AWAITING_REPLY', window: { automatic: false } });
        expect(m.calls.orderCancels).toEqual([]);
        expect((await refusal(h.executeUpdate(resolveCaseUpdate, { args: [{ actor: ops, kind: 'REFUND', reason: 'x' }] }))).message).toMatch(/settled by a recall attempt/);
        const failed = await after(h, h.executeUpdate(attemptRecallUpdate, { args: [{ actor: ops, note: 'asked the warehouse' }] }));
        expect(failed).toMatchObject({ status: 'CLOSED', resolution: { kind: 'RECALL_FAILED', reason: 'cannot cancel: the order has shipped; open a claim instead' } });
        expect(m.calls.customerNotices.at(-1)!.text).toBe('We tried to recall order PO-1 but could not: cannot cancel: the order has shipped; open a claim instead.');
      },
      { request: 'CANCEL' },
      (m) => {
        m.orderAnswers.cancel = { ok: false, reason: 'cannot cancel: the order has shipped; open a claim instead' };
      },
    );
  });

  it('after 24 h a change succeeds when ops reports the warehouse could still apply it', async () => {
    await withCase('CHANGE_CANCEL', await factsAgo({ paid: 30 * HOUR, recallable: true }), async (h, m) => {
      expect((await refusal(h.executeUpdate(attemptRecallUpdate, { args: [{ actor: ops, note: 'x' }] }))).message).toMatch(/say whether the change could still be applied/);
      const ok = await after(h, h.executeUpdate(attemptRecallUpdate, { args: [{ actor: ops, note: 'pick stopped; colour switched to white', succeeded: true }] }));
      expect(ok).toMatchObject({ status: 'AWAITING_CONFIRMATION', resolution: { kind: 'CHANGE_ACCEPTED' } });
      expect(m.calls.notices.at(-1)).toMatchObject({ partyIds: ['supplier-1'], subject: expect.stringMatching(/change to apply/) });
    }, { request: 'CHANGE', description: 'white instead of black' });
  });
});

describe('proactive tracking cases', () => {
  it('opens regardless of the customer window and says which problem the self-check found', async () => {
    const proactive = { shipmentId: 'order:PO-1', problem: 'STALE' as const, carrierStatus: 'InTransit', detectedAt: new Date().toISOString() };
    await withCase('TRACKING', await factsAgo({ paid: 70 * DAY, shipped: 65 * DAY }), async (h, m) => {
      // The opening is recorded by an activity after the case starts: wait for it, not for the clock.
      const s = await waitFor(h, () => events(m).length > 0);
      expect(s.window.rule).toBe('opened by the weekly tracking self-check (STALE)');
      expect(events(m)).toEqual(['OPENED_PROACTIVELY']);
      expect(m.calls.caseChanges[0].case).toMatchObject({ proactive: true, problem: 'STALE', category: 'tracking' });
    }, { proactive, openedBy: { role: 'system' } });
  });
});

describe('windows at their edges', () => {
  it('opens a no-reason return just inside 7 days after delivery and refuses it just outside, saying when it closed', async () => {
    await withCase('RETURN', await factsAgo({ paid: 20 * DAY, shipped: 15 * DAY, delivered: 7 * DAY - 10 * MINUTE }), async (h) => {
      const s = await state(h);
      expect(s.status).toBe('AWAITING_REPLY');
      expect(s.window).toMatchObject({ basis: 'delivery', rule: 'no-reason return within 7 days after delivery' });
    });
    const outside = await refusedAtStart('RETURN', await factsAgo({ paid: 20 * DAY, shipped: 15 * DAY, delivered: 7 * DAY + 10 * MINUTE }));
    expect(outside.type).toBe(CASE_REFUSED);
    expect(outside.message).toMatch(/^cannot open a RETURN case: the no-reason return window \(7 days after delivery\) closed at \d{4}-\d\d-\d\dT/);
  });

  it('opens a quality case just inside 30 days after delivery and refuses it just outside', async () => {
    await withCase('QUALITY', await factsAgo({ paid: 40 * DAY, shipped: 35 * DAY, delivered: 30 * DAY - 10 * MINUTE }), async (h) => {
      expect((await state(h)).status).toBe('AWAITING_REPLY');
    });
    const outside = await refusedAtStart('QUALITY', await factsAgo({ paid: 40 * DAY, shipped: 35 * DAY, delivered: 30 * DAY + 10 * MINUTE }));
    expect(outside.message).toMatch(/product guarantee window \(30 days after delivery\) closed at/);
  });

  it('opens a tracking case just inside 60 days after payment and refuses it just outside', async () => {
    await withCase('TRACKING', await factsAgo({ paid: 60 * DAY - 10 * MINUTE, shipped: 50 * DAY }), async (h) => {
      expect((await state(h)).window.basis).toBe('payment');
    });
    const outside = await refusedAtStart('TRACKING', await factsAgo({ paid: 60 * DAY + 10 * MINUTE, shipped: 50 * DAY }));
    expect(outside.message).toMatch(/tracking after-service window \(60 days after payment\) closed at/);
  });

  it('without a delivery event, counts the return window from shipment + 20 days and says so', async () => {
    await withCase('RETURN', await factsAgo({ paid: 30 * DAY, shipped: 26 * DAY + 10 * MINUTE }), async (h) => {
      const s = await state(h);
      expect(s.window.basis).toBe('delivery-fallback');
      expect(s.window.rule).toContain('no delivery event: delivery taken as shipment + 20 days');
    });
    const outside = await refusedAtStart('RETURN', await factsAgo({ paid: 30 * DAY, shipped: 27 * DAY + 10 * MINUTE }));
    expect(outside.message).toContain('no delivery event');
  });

  it('refuses a change/cancel request after 24 h once the order has shipped', async () => {
    const refused = await refusedAtStart('CHANGE_CANCEL', await factsAgo({ paid: 3 * DAY, shipped: DAY }));
    expect(refused.message).toMatch(/closed at .* and the order can no longer be recalled: it has shipped/);
  });
});
