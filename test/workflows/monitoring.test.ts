/**
 * productionMonitoringWorkflow on the time-skipping test server with typed in-memory activities:
 * the booking cutoff, the report window in working days, cancellation refunds at each stage and the
 * Fail → re-inspection path.
 */
import { WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ACTION_REFUSED, PAYMENT_DECLINED, PAYMENT_UNAVAILABLE } from '../../workflows/common';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SA_BUYER, SA_NEXT_DEADLINE, SA_STATUS } from '../../workflows/common';
import { addWorkingDays, getCalendar, localDate } from '../../workflows/calendar';
import {
  BOOKING_REFUSED,
  MONITORING_WORKFLOW_TYPE,
  MonitoringInput,
  MonitoringState,
  RecordCheckInput,
  addProductInfoUpdate,
  assignInspectorUpdate,
  cancelMonitoringUpdate,
  changeShipmentDateUpdate,
  getMonitoringQuery,
  monitoringWorkflowId,
  payMonitoringUpdate,
  recordCheckUpdate,
  recordProgressUpdate,
  requestReinspectionUpdate,
  reviewMonitoringUpdate,
  uploadReportUpdate,
} from '../../workflows/monitoring.messages';
import { CURRENT_MONITORING_POLICY_VERSION, bookingCutoff, monitoringPolicy } from '../../workflows/monitoring.policy';
import { uniqueId } from '../support/env';
import { bundleTradeGuardWorkflows, startTimeSkippingServer } from '../support/time-skipping';
import { createMockActivities } from '../support/mock-activities';
import { sampleMonitoringInput, sampleProforma, visaPayment } from '../support/monitoring-fixtures';
import { buyer, ops, sampleOrderInput, supplier } from '../support/order-fixtures';
import {
  ORDER_CODE_REVISION,
  ORDER_WORKFLOW_TYPE,
  OrderState,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  payUpdate,
  extendShippingUpdate,
  getOrderQuery,
  linkMonitoringSignal,
  orderWorkflowId,
} from '../../workflows/order.messages';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const policy = monitoringPolicy(CURRENT_MONITORING_POLICY_VERSION);
const CN = getCalendar('CN', policy.calendarVersions.CN);

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

const dateIn = (now: number, days: number) => new Date(now + days * DAY).toISOString().slice(0, 10);

/** Runs `fn` with a worker on its own task queue and a booked task shipping in `shipInDays` days. */
async function withTask(
  fn: (h: Handle, mocks: Mocks, input: MonitoringInput) => Promise<void>,
  opts: { shipInDays?: number; input?: Partial<MonitoringInput> } = {},
): Promise<void> {
  const mocks = createMockActivities();
  const taskQueue = uniqueId('monitoring');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: mocks.activities });
  const input = sampleMonitoringInput(uniqueId('pm'), dateIn(await env.currentTimeMs(), opts.shipInDays ?? 30), opts.input);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(MONITORING_WORKFLOW_TYPE, { taskQueue, workflowId: monitoringWorkflowId(input.monitoringId), args: [input] });
    try {
      await fn(handle, mocks, input);
    } finally {
      await handle.terminate('test done').catch(() => undefined);
    }
  });
}

const state = (h: Handle): Promise<MonitoringState> => h.query(getMonitoringQuery);
/** The task after an Update: an Update answers only an acknowledgement. */
const after = async (h: Handle, update: Promise<unknown>): Promise<MonitoringState> => {
  await update;
  return state(h);
};
const events = (m: Mocks) => m.calls.monitoringChanges.map((c) => c.event.type);
const skip = (ms: number) => env.sleep(ms);

/**
 * Waits for the workflow to close and reads its final state by query. Not `result()`: waiting on a
 * result lets the time-skipping server run its clock ahead by years once nothing is pending.
 */
async function finished(h: Handle): Promise<MonitoringState> {
  for (let i = 0; i < 200 && (await h.describe()).status.name === 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 25));
  expect((await h.describe()).status.name).toBe('COMPLETED');
  return state(h);
}

/** Polls the task's state until `done` says so (or about 5 s pass). */
async function waitFor(h: Handle, done: (s: MonitoringState) => boolean): Promise<MonitoringState> {
  let s = await state(h);
  for (let i = 0; i < 200 && !done(s); i++) {
    await new Promise((r) => setTimeout(r, 25));
    s = await state(h);
  }
  return s;
}

async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause;
}

const pay = (h: Handle) => h.executeUpdate(payMonitoringUpdate, { args: [{ actor: buyer, payment: visaPayment() }] });

async function today(): Promise<string> {
  return localDate(CN, await env.currentTimeMs());
}

async function schedule(h: Handle): Promise<void> {
  await h.executeUpdate(assignInspectorUpdate, { args: [{ actor: ops, inspector: 'Li Wei', checkDate: await today() }] });
}

function check(overrides: Partial<RecordCheckInput> = {}): RecordCheckInput {
  return {
    actor: ops,
    observed: { ...sampleProforma },
    lotSize: 500,
    sampleInspected: 50,
    defects: { critical: 0, major: 1, minor: 2 },
    ...overrides,
  };
}

const report = { fileId: 'cd'.repeat(32), name: 'report.pdf', contentType: 'application/pdf', size: 2048, sha256: 'cd'.repeat(32) };

describe('booking cutoff', () => {
  it('lapses an unpaid booking at the cutoff, not before, and tells the buyer', async () => {
    await withTask(async (h, m, input) => {
      const s = await state(h);
      const cutoff = bookingCutoff(policy, CN, input.shipmentDate);
      expect(s.bookingCutoffAt).toBe(new Date(cutoff.at).toISOString());
      expect(s.deadlines).toEqual([
        expect.objectContaining({ kind: 'booking-cutoff', dueAt: s.bookingCutoffAt, policyVersion: policy.version, onExpiry: 'the unpaid booking lapses and the buyer is told' }),
      ]);
      await skip(cutoff.at - (await env.currentTimeMs()) - MINUTE);
      expect((await state(h)).status).toBe('AWAITING_PAYMENT');
      await skip(2 * MINUTE);
      const final = await finished(h);
      expect(final.status).toBe('LAPSED');
      expect(final.deadlines).toEqual([]);
      expect(events(m)).toEqual(['BOOKED', 'BOOKING_LAPSED']);
      const lapsed = m.calls.notices.at(-1)!;
      expect(lapsed.partyIds).toEqual(['buyer-1']);
      expect(lapsed.subject).toMatch(/booking lapsed unpaid/);
      expect(lapsed.text).toContain(`was not paid by ${new Date(cutoff.lastInstant).toISOString()} (the end of ${cutoff.date} in Asia/Shanghai)`);
    }, { shipInDays: 20 });
  });

  it('takes payment on the cutoff day until its last instant, 23:59:59.999 in the supplier time zone, and lapses at the next midnight', async () => {
    await withTask(async (h, m, input) => {
      const s = await state(h);
      const cutoff = bookingCutoff(policy, CN, input.shipmentDate);
      expect(s.bookingCutoffAt).toBe(new Date(cutoff.at).toISOString());
      expect(localDate(CN, cutoff.lastInstant)).toBe(cutoff.date);
      expect(localDate(CN, cutoff.at)).not.toBe(cutoff.date);
      const deadline = s.deadlines.find((d) => d.kind === 'booking-cutoff')!;
      expect(deadline.rule).toContain(`the last instant being ${new Date(cutoff.lastInstant).toISOString()}`);
      expect(m.calls.notices[0].text).toContain(`by ${new Date(cutoff.lastInstant).toISOString()} (the end of ${cutoff.date} in Asia/Shanghai)`);
      // Late on the cutoff day itself: still in time.
      await skip(cutoff.lastInstant - (await env.currentTimeMs()) - 10 * MINUTE);
      expect(localDate(CN, await env.currentTimeMs())).toBe(cutoff.date);
      const paid = await after(h, pay(h));
      expect(paid.status).toBe('AWAITING_INSPECTOR');
    }, { shipInDays: 20 });
  });

  it('moves the cutoff with the shipment date: a later date keeps the booking open past the old cutoff', async () => {
    await withTask(async (h, m, input) => {
      const oldCutoff = Date.parse((await state(h)).bookingCutoffAt);
      const later = dateIn(Date.parse(`${input.shipmentDate}T00:00:00Z`), 14);
      const moved = await after(h, h.executeUpdate(changeShipmentDateUpdate, { args: [{ actor: supplier, shipmentDate: later }] }));
      const newCutoff = bookingCutoff(policy, CN, later).at;
      expect(moved.bookingCutoffAt).toBe(new Date(newCutoff).toISOString());
      expect(moved.deadlines.find((d) => d.kind === 'booking-cutoff')?.dueAt).toBe(moved.bookingCutoffAt);
      await skip(oldCutoff - (await env.currentTimeMs()) + HOUR);
      expect((await state(h)).status).toBe('AWAITING_PAYMENT');
      const paid = await after(h, pay(h));
      expect(paid.status).toBe('AWAITING_INSPECTOR');
      expect(events(m)).toEqual(['BOOKED', 'SHIPMENT_DATE_CHANGED', 'PAID']);
    }, { shipInDays: 20 });
  });

  it('lapses at once when the shipment date moves so early that the new cutoff has passed', async () => {
    await withTask(async (h, m, input) => {
      const sooner = dateIn(Date.parse(`${input.shipmentDate}T00:00:00Z`), -16);
      await h.executeUpdate(changeShipmentDateUpdate, { args: [{ actor: buyer, shipmentDate: sooner }] });
      const final = await finished(h);
      expect(final.status).toBe('LAPSED');
      expect(events(m)).toEqual(['BOOKED', 'SHIPMENT_DATE_CHANGED', 'BOOKING_LAPSED']);
    }, { shipInDays: 20 });
  });
});

describe('payment', () => {
  it('records only brand, last four and payment id, emails "task received" and opens the inspector assignment', async () => {
    await withTask(async (h, m) => {
      const paid = await after(h, pay(h));
      expect(paid.payment).toMatchObject({ brand: 'visa', last4: '4242', paymentId: visaPayment().paymentId, amount: 29_900 });
      expect(paid.fee).toMatchObject({ paid: 29_900, refunded: 0 });
      expect(paid.deadlines.map((d) => d.kind).sort()).toEqual(['inspector-assignment', 'product-info-reminder']);
      const received = m.calls.notices.find((n) => /task received/.test(n.subject));
      expect(received?.partyIds).toEqual(['buyer-1']);
      expect(received?.text).toMatch(/Visa ending 4242/);
      // A new task records each change with its notices in one activity: no separate notice activity.
      expect(m.calls.monitoringChanges.find((c) => c.notices?.parties === received)).toBeDefined();
      const scheduled = ((await h.fetchHistory()).events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
      expect(scheduled.filter((name) => name.startsWith('notify'))).toEqual([]);
      // The same payment delivered again (an API retry) is accepted and changes nothing.
      const again = await after(h, pay(h));
      expect(again.revision).toBe(paid.revision);
      const second = await refusal(h.executeUpdate(payMonitoringUpdate, { args: [{ actor: buyer, payment: visaPayment('sbx_ch_ffffffffffffffff_29900') }] }));
      expect(second.message).toMatch(/^cannot pay: the fee is already paid/);
    });
  });

  it('re-checks the brand and the amount, and only the buyer pays', async () => {
    await withTask(async (h, m) => {
      const amex = await refusal(h.executeUpdate(payMonitoringUpdate, { args: [{ actor: buyer, payment: { ...visaPayment(), brand: 'amex' as never } }] }));
      expect(amex).toMatchObject({ type: ACTION_REFUSED, message: 'cannot pay with American Express: the monitoring service accepts Visa or MasterCard only' });
      const short = await refusal(h.executeUpdate(payMonitoringUpdate, { args: [{ actor: buyer, payment: { ...visaPayment(), amount: 100 } }] }));
      expect(short.message).toBe('the fee is 299.00 USD, not 1.00 USD');
      const bySupplier = await refusal(h.executeUpdate(payMonitoringUpdate, { args: [{ actor: supplier, payment: visaPayment() }] }));
      expect(bySupplier.type).toBe('ActorNotAllowed');
      expect(events(m)).toEqual(['BOOKED']);
    });
  });

  it('reminds the buyer every 2 days until product information and pictures arrive', async () => {
    await withTask(async (h, m) => {
      await pay(h);
      await skip(2 * DAY + MINUTE);
      expect(events(m).filter((e) => e === 'PRODUCT_INFO_REMINDER')).toHaveLength(1);
      expect(m.calls.notices.at(-1)?.subject).toMatch(/\] reminder: please provide product information and sample pictures$/);
      await h.executeUpdate(addProductInfoUpdate, { args: [{ actor: buyer, description: 'matte black, logo on top' }] });
      await skip(2 * DAY);
      expect(m.calls.notices.at(-1)?.subject).toMatch(/\] reminder: please provide sample pictures$/);
      await h.executeUpdate(addProductInfoUpdate, { args: [{ actor: buyer, picture: { ...report, name: 'sample.jpg', contentType: 'image/jpeg' } }] });
      const s = await state(h);
      expect(s.deadlines.some((d) => d.kind === 'product-info-reminder')).toBe(false);
      await skip(4 * DAY);
      expect(events(m).filter((e) => e === 'PRODUCT_INFO_REMINDER')).toHaveLength(2);
    });
  });
});

describe('a card charged by the workflow', () => {
  const visaCard = { token: 'pm_visa_4242', brand: 'visa', last4: '4242' };
  const mastercard = { token: 'pm_mc_4444', brand: 'mastercard', last4: '4444' };
  const payBy = (h: Handle, card: typeof visaCard, actor = buyer) => h.executeUpdate(payMonitoringUpdate, { args: [{ actor, card }] });
  /** Waits for an action whose charge the processor does not answer, skipping the test server's clock past the activity's retries. */
  const whileRetrying = async <T>(action: Promise<T>): Promise<T> => (await Promise.all([action, skip(10_000)]))[0];
  /** Holds the gateway's answer to the next charges until the returned function is called. */
  const hold = (m: Mocks): (() => void) => {
    let release!: () => void;
    m.cardCharges.held = new Promise<void>((r) => (release = r));
    return () => {
      m.cardCharges.held = undefined;
      release();
    };
  };
  const until = async (what: () => boolean): Promise<void> => {
    for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(what()).toBe(true);
  };

  it("charges the token once, under a key of the task's and the token's, and the same card again charges nothing", async () => {
    await withTask(async (h, m) => {
      const paid = await after(h, payBy(h, visaCard));
      expect(m.calls.feeCharges).toEqual([
        { idempotencyKey: `${h.workflowId}:fee:pm_visa_4242`, paymentMethod: 'pm_visa_4242', amount: 29_900, currency: 'USD', description: expect.stringContaining('Production monitoring') },
      ]);
      expect(paid).toMatchObject({ status: 'AWAITING_INSPECTOR', fee: { paid: 29_900 }, payment: { paymentId: `ch-${h.workflowId}:fee:pm_visa_4242`, brand: 'visa', last4: '4242' } });
      const again = await after(h, payBy(h, { ...visaCard, token: 'pm_visa_4242_again' }));
      expect(again.revision).toBe(paid.revision);
      expect(m.calls.feeCharges).toHaveLength(1);
      const other = await refusal(payBy(h, mastercard));
      expect(other.message).toBe('cannot pay: the fee is already paid by Visa ending 4242 (the service is AWAITING_INSPECTOR)');
      expect(m.calls.feeCharges).toHaveLength(1);
    });
  });

  it('never charges twice after a charge the processor did not answer: paying again asks that same charge first, with its card and key', async () => {
    await withTask(async (h, m) => {
      m.cardCharges.answer = 'unknown';
      const unanswered = await whileRetrying(refusal(payBy(h, visaCard)));
      expect(unanswered).toMatchObject({
        type: PAYMENT_UNAVAILABLE,
        message:
          'payment not confirmed: the card processor did not answer, so the charge of 299.00 USD to Visa ending 4242 may have been taken; pay again to settle it: that same charge is asked again first, never a second one',
      });
      expect(await state(h)).toMatchObject({ status: 'AWAITING_PAYMENT', fee: { paid: 0 }, uncertainCharge: { card: visaCard, amount: 29_900 } });
      // Paid again with another card: the unanswered charge is asked again and was taken, so the other card is not charged.
      m.cardCharges.answer = 'succeeded';
      const paid = await after(h, payBy(h, mastercard));
      expect(paid).toMatchObject({ status: 'AWAITING_INSPECTOR', fee: { paid: 29_900 }, payment: { paymentId: `ch-${h.workflowId}:fee:pm_visa_4242`, brand: 'visa', last4: '4242' } });
      expect(paid.uncertainCharge).toBeUndefined();
      expect(m.calls.feeCharges.map((c) => c.paymentMethod)).toEqual([...Array(5).fill('pm_visa_4242')]);
      expect(new Set(m.calls.feeCharges.map((c) => c.idempotencyKey))).toEqual(new Set([`${h.workflowId}:fee:pm_visa_4242`]));
    });
  });

  it('charges the card offered now when the unanswered charge turns out declined', async () => {
    await withTask(async (h, m) => {
      m.cardCharges.answer = 'unknown';
      await whileRetrying(refusal(payBy(h, visaCard)));
      m.cardCharges.answer = 'declined';
      const first = m.calls.feeCharges.length;
      // The mock declines every card now: the earlier charge is settled as declined, then the new card is tried.
      const declined = await refusal(payBy(h, mastercard));
      expect(declined.type).toBe(PAYMENT_DECLINED);
      expect(m.calls.feeCharges.slice(first).map((c) => c.paymentMethod)).toEqual(['pm_visa_4242', 'pm_mc_4444']);
      expect((await state(h)).uncertainCharge).toBeUndefined();
      m.cardCharges.answer = 'succeeded';
      expect((await after(h, payBy(h, mastercard))).payment).toMatchObject({ last4: '4444' });
    });
  });

  it('settles an unanswered charge at the booking cutoff: taken, the task counts as paid in time; still unanswered, it lapses and ops is told', async () => {
    await withTask(async (h, m, input) => {
      m.cardCharges.answer = 'unknown';
      await whileRetrying(refusal(payBy(h, visaCard)));
      m.cardCharges.answer = 'succeeded';
      const cutoff = bookingCutoff(policy, CN, input.shipmentDate);
      await skip(cutoff.at - (await env.currentTimeMs()) + MINUTE);
      const s = await waitFor(h, (x) => x.status !== 'AWAITING_PAYMENT');
      expect(s).toMatchObject({ status: 'AWAITING_INSPECTOR', payment: { last4: '4242' }, fee: { paid: 29_900 } });
      expect(events(m)).toEqual(['BOOKED', 'PAID']);
    }, { shipInDays: 20 });
    await withTask(async (h, m, input) => {
      m.cardCharges.answer = 'unknown';
      await whileRetrying(refusal(payBy(h, visaCard)));
      const cutoff = bookingCutoff(policy, CN, input.shipmentDate);
      await skip(cutoff.at - (await env.currentTimeMs()) + MINUTE);
      const final = await finished(h);
      expect(final.status).toBe('LAPSED');
      expect(events(m)).toEqual(['BOOKED', 'BOOKING_LAPSED']);
      expect(m.calls.notices.at(-1)?.text).toContain('The card processor never confirmed your payment of 299.00 USD with Visa ending 4242');
      expect(m.calls.opsNotices.at(-1)?.subject).toMatch(/\] lapsed task with an unanswered card charge: settle it with the processor$/);
      expect(m.calls.opsNotices.at(-1)?.text).toContain(`key ${h.workflowId}:fee:pm_visa_4242`);
      expect(m.calls.effectFailures).toEqual([
        expect.objectContaining({ resource: 'monitoring', key: `${h.workflowId}:fee:pm_visa_4242`, effect: 'fee charge', error: expect.stringMatching(/^the card processor never answered the charge of 299.00 USD to Visa ending 4242/) }),
      ]);
    }, { shipInDays: 20 });
  });

  it('settles an unanswered charge before a cancel: taken, it is refunded by policy; still unanswered, the task is cancelled and ops is told', async () => {
    await withTask(async (h, m) => {
      m.cardCharges.answer = 'unknown';
      await whileRetrying(refusal(payBy(h, visaCard)));
      m.cardCharges.answer = 'succeeded';
      const cancelled = await after(h, h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'no longer needed' }] }));
      expect(cancelled).toMatchObject({ status: 'CANCELLED', payment: { last4: '4242' }, fee: { paid: 29_900, refunded: 29_900 } });
      expect(events(m)).toEqual(['BOOKED', 'PAID', 'CANCELLED']);
      expect(m.calls.feeRefunds).toEqual([expect.objectContaining({ paymentId: `ch-${h.workflowId}:fee:pm_visa_4242`, amount: 29_900 })]);
    });
    await withTask(async (h, m) => {
      m.cardCharges.answer = 'unknown';
      await whileRetrying(refusal(payBy(h, visaCard)));
      const cancelled = await whileRetrying(after(h, h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'no longer needed' }] })));
      expect(cancelled).toMatchObject({ status: 'CANCELLED', fee: { paid: 0, refunded: 0 } });
      expect(m.calls.feeRefunds).toEqual([]);
      expect(m.calls.notices.at(-1)?.text).toContain("The card processor never confirmed the buyer's payment of 299.00 USD with Visa ending 4242");
      expect(m.calls.opsNotices.at(-1)?.subject).toMatch(/\] cancelled task with an unanswered card charge: settle it with the processor$/);
      expect(m.calls.effectFailures.map((f) => [f.resource, f.key, f.effect])).toEqual([['monitoring', `${h.workflowId}:fee:pm_visa_4242`, 'fee charge']]);
    });
  });

  it('answers a declined card and a failing processor with their own failures and changes nothing', async () => {
    await withTask(async (h, m) => {
      m.cardCharges.answer = 'declined';
      const declined = await refusal(payBy(h, visaCard));
      expect(declined).toMatchObject({ type: PAYMENT_DECLINED, message: 'payment declined: the card was declined by its issuer; use another card' });
      m.cardCharges.answer = 'error';
      const failed = await whileRetrying(refusal(payBy(h, mastercard)));
      expect(failed).toMatchObject({ type: PAYMENT_UNAVAILABLE, message: 'payment failed: the card processor had an error; nothing was charged, retry shortly' });
      // Declined once; the failing processor was asked four times with the same key.
      expect(m.calls.feeCharges.map((c) => c.paymentMethod)).toEqual(['pm_visa_4242', ...Array(4).fill('pm_mc_4444')]);
      expect(new Set(m.calls.feeCharges.slice(1).map((c) => c.idempotencyKey)).size).toBe(1);
      expect(await state(h)).toMatchObject({ status: 'AWAITING_PAYMENT', fee: { paid: 0 } });
      expect(events(m)).toEqual(['BOOKED']);
      const wrongBrand = await refusal(payBy(h, { token: 'pm_amex', brand: 'amex', last4: '0005' }));
      expect(wrongBrand.message).toBe('cannot pay with American Express: the monitoring service accepts Visa or MasterCard only');
      m.cardCharges.answer = 'succeeded';
      expect((await after(h, payBy(h, visaCard))).status).toBe('AWAITING_INSPECTOR');
    });
  });

  it('charges one card at a time: a second card and a cancel wait for the charge in flight and are judged on what it left', async () => {
    await withTask(async (h, m) => {
      const release = hold(m);
      const first = payBy(h, visaCard);
      await until(() => m.calls.feeCharges.length === 1);
      const second = refusal(payBy(h, mastercard));
      const cancel = h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'changed my mind' }] });
      await new Promise((r) => setTimeout(r, 300));
      expect(m.calls.feeCharges).toHaveLength(1);
      release();
      await first;
      expect((await second).message).toMatch(/^cannot pay: the fee is already paid by Visa ending 4242/);
      await cancel;
      // The cancel came after the payment it waited for: the fee is refunded in full by policy.
      expect(m.calls.feeCharges).toHaveLength(1);
      expect(m.calls.feeRefunds).toEqual([{ idempotencyKey: `${h.workflowId}:cancel:refund`, paymentId: `ch-${h.workflowId}:fee:pm_visa_4242`, amount: 29_900, currency: 'USD' }]);
      expect(events(m)).toEqual(['BOOKED', 'PAID', 'CANCELLED']);
    });
  });

  it('takes one charge when five payments arrive at once, three with one card and two with another', async () => {
    await withTask(async (h, m) => {
      const answers = await Promise.all([visaCard, visaCard, mastercard, visaCard, mastercard].map((c) => payBy(h, c).then(() => 'ok', (e: WorkflowUpdateFailedError) => (e.cause as ApplicationFailure).message)));
      const s = await state(h);
      expect(m.calls.feeCharges).toHaveLength(1);
      expect(m.calls.feeRefunds).toEqual([]);
      expect(events(m)).toEqual(['BOOKED', 'PAID']);
      // The card that was charged answers as paid every time; the other is refused as already paid.
      const winner = s.payment!.last4 === '4242' ? visaCard : mastercard;
      const cards = [visaCard, visaCard, mastercard, visaCard, mastercard];
      cards.forEach((c, i) => expect(answers[i]).toBe(c === winner ? 'ok' : `cannot pay: the fee is already paid by ${s.payment!.last4 === '4242' ? 'Visa ending 4242' : 'MasterCard ending 4444'} (the service is AWAITING_INSPECTOR)`));
    });
  });

  it('does not lapse a booking whose card was being charged when the cutoff passed', async () => {
    await withTask(async (h, m, input) => {
      const cutoff = bookingCutoff(policy, CN, input.shipmentDate);
      await skip(cutoff.at - (await env.currentTimeMs()) - 5_000);
      const release = hold(m);
      const paying = payBy(h, visaCard);
      await until(() => m.calls.feeCharges.length === 1);
      // The test server's clock runs at wall speed while an activity is in flight: the cutoff passes
      // and its timer fires during the charge.
      await new Promise((r) => setTimeout(r, 7_000));
      const clock = await env.currentTimeMs();
      const during = (await state(h)).status;
      release();
      await paying;
      expect(clock).toBeGreaterThan(cutoff.at);
      expect(during).toBe('AWAITING_PAYMENT');
      expect(await state(h)).toMatchObject({ status: 'AWAITING_INSPECTOR', fee: { paid: 29_900 } });
      expect((await state(h)).deadlines.map((d) => d.kind)).not.toContain('booking-cutoff');
      expect(events(m)).toEqual(['BOOKED', 'PAID']);
    }, { shipInDays: 20 });
  });
});

describe('production follow-up', () => {
  it('alerts the buyer and ops when progress predicts the shipment date will be missed, and only then', async () => {
    await withTask(async (h, m, input) => {
      const early = await refusal(h.executeUpdate(recordProgressUpdate, { args: [{ actor: ops, percentComplete: 10, note: 'cutting' }] }));
      expect(early.message).toMatch(/^cannot record progress: progress is followed between payment and the on-site check/);
      await pay(h);
      const noticesBefore = m.calls.notices.length;
      const onTrack = await after(h, h.executeUpdate(recordProgressUpdate, {
        args: [{ actor: ops, percentComplete: 40, expectedCompletionDate: input.shipmentDate, note: 'assembly started' }],
      }));
      expect(onTrack.progress.at(-1)).toMatchObject({ percentComplete: 40, atRisk: false });
      expect(m.calls.notices).toHaveLength(noticesBefore);
      expect(m.calls.opsNotices.filter((n) => /at risk/.test(n.subject))).toEqual([]);
      const late = new Date(Date.parse(`${input.shipmentDate}T00:00:00Z`) + 5 * DAY).toISOString().slice(0, 10);
      const atRisk = await after(h, h.executeUpdate(recordProgressUpdate, {
        args: [{ actor: ops, percentComplete: 55, expectedCompletionDate: late, note: 'paint line down' }],
      }));
      expect(atRisk.progress.at(-1)).toMatchObject({ percentComplete: 55, expectedCompletionDate: late, atRisk: true });
      expect(events(m).slice(-2)).toEqual(['PROGRESS_RECORDED', 'PRODUCTION_AT_RISK']);
      const buyerAlert = m.calls.notices.at(-1);
      expect(buyerAlert?.partyIds).toEqual(['buyer-1']);
      expect(buyerAlert?.subject).toMatch(new RegExp(`production at risk: expected ${late}`));
      expect(m.calls.opsNotices.filter((n) => /at risk/.test(n.subject)).map((n) => n.audience)).toEqual(['ops']);
      const bad = await refusal(h.executeUpdate(recordProgressUpdate, { args: [{ actor: ops, percentComplete: 120, note: 'x' }] }));
      expect(bad.message).toBe('percentComplete must be a whole number from 0 to 100');
    });
  });
});

describe('bounded history', () => {
  it('caps the progress reports one task takes, naming the limit, and answers each with a small acknowledgement', async () => {
    await withTask(async (h) => {
      await pay(h);
      const { maxProgressReports } = policy.limits;
      for (let n = 1; n <= maxProgressReports; n++) {
        const ack = await h.executeUpdate(recordProgressUpdate, { args: [{ actor: ops, percentComplete: n, note: `day ${n}` }] });
        expect(Object.keys(ack).sort()).toEqual(['monitoringId', 'revision', 'status']);
      }
      const refused = await refusal(h.executeUpdate(recordProgressUpdate, { args: [{ actor: ops, percentComplete: 99, note: 'one more' }] }));
      expect(refused.message).toBe(`cannot record another progress report: this task has had ${maxProgressReports}, the most allowed (limit maxProgressReports = ${maxProgressReports})`);
      expect((await state(h)).progress).toHaveLength(maxProgressReports);
    });
  });
});

describe('on-site check and report window', () => {
  it('reminds the inspector after 1 working day, then marks the task late and pages ops after 2', async () => {
    await withTask(async (h, m) => {
      await pay(h);
      await schedule(h);
      const checked = await after(h, h.executeUpdate(recordCheckUpdate, { args: [check()] }));
      expect(checked.status).toBe('AWAITING_REPORT');
      expect(checked.checks[0]).toMatchObject({ result: 'PASS', aql: { codeLetter: 'H', unitsToDraw: 50 } });
      const checkedAt = Date.parse(checked.checks[0].checkedAt);
      const reminderAt = addWorkingDays(CN, checkedAt, 1);
      const lateAt = addWorkingDays(CN, checkedAt, 2);
      expect(checked.deadlines.find((d) => d.kind === 'report-reminder')?.dueAt).toBe(new Date(reminderAt).toISOString());
      expect(checked.deadlines.find((d) => d.kind === 'report-late')?.dueAt).toBe(new Date(lateAt).toISOString());

      await skip(reminderAt - (await env.currentTimeMs()) - MINUTE);
      expect(m.calls.opsNotices.filter((n) => /reminder: upload/.test(n.subject))).toEqual([]);
      await skip(2 * MINUTE);
      const reminders = m.calls.opsNotices.filter((n) => /reminder: upload the inspection report/.test(n.subject));
      expect(reminders).toHaveLength(1);
      expect(reminders[0].audience).toBe('ops');
      expect((await state(h)).late).toBe(false);

      await skip(lateAt - (await env.currentTimeMs()) + MINUTE);
      const late = await state(h);
      expect(late.late).toBe(true);
      expect(m.calls.opsNotices.at(-1)).toMatchObject({ audience: 'ops-leads', subject: expect.stringMatching(/LATE: inspection report not uploaded/) });
      expect(m.calls.monitoringChanges.at(-1)?.task).toMatchObject({ late: true, status: 'AWAITING_REPORT' });

      const ready = await after(h, h.executeUpdate(uploadReportUpdate, { args: [{ actor: ops, file: report }] }));
      expect(ready.status).toBe('REPORT_READY');
      expect(ready.deadlines.map((d) => d.kind)).toEqual(['review-window']);
      expect(m.calls.notices.at(-1)).toMatchObject({ partyIds: ['buyer-1'], subject: expect.stringMatching(/inspection report ready: PASS/) });
      const reviewed = await after(h, h.executeUpdate(reviewMonitoringUpdate, { args: [{ actor: buyer, rating: 5, comment: 'thorough' }] }));
      expect(reviewed.status).toBe('COMPLETED');
      expect((await finished(h)).review).toMatchObject({ rating: 5 });
    });
  });

  it('ends Pending with reasons when details differ from the proforma invoice, and refuses a re-inspection then', async () => {
    await withTask(async (h) => {
      await pay(h);
      await schedule(h);
      const s = await after(h, h.executeUpdate(recordCheckUpdate, {
        args: [check({ observed: { ...sampleProforma, shippingMarks: 'ACME / PO-1', quantity: 480 } })],
      }));
      expect(s.checks[0].result).toBe('PENDING');
      expect(s.checks[0].reasons).toEqual([
        'quantity differs from the proforma invoice: expected "500", found "480"',
        'shippingMarks differs from the proforma invoice: expected "ACME / PO-1 / C/No. 1-50", found "ACME / PO-1"',
      ]);
      await h.executeUpdate(uploadReportUpdate, { args: [{ actor: ops, file: report }] });
      const refused = await refusal(h.executeUpdate(requestReinspectionUpdate, { args: [{ actor: buyer }] }));
      expect(refused.message).toBe('cannot request a re-inspection: the goods did not fail inspection (result PENDING)');
    });
  });

  it('fails on AQL and returns the task to inspector assignment on a re-inspection request', async () => {
    await withTask(async (h, m) => {
      await pay(h);
      await schedule(h);
      const failed = await after(h, h.executeUpdate(recordCheckUpdate, { args: [check({ defects: { critical: 0, major: 4, minor: 0 } })] }));
      expect(failed.checks[0].result).toBe('FAIL');
      expect(failed.checks[0].reasons[0]).toMatch(/^major defects 4 reach the reject number 4/);
      await h.executeUpdate(uploadReportUpdate, { args: [{ actor: ops, file: report }] });
      const mail = m.calls.notices.at(-1)!;
      expect(mail.subject).toMatch(/inspection report ready: FAIL/);
      expect(mail.text).toMatch(/open a quality claim on order PO-1/);
      expect(mail.text).toMatch(/request a re-inspection/);

      const again = await after(h, h.executeUpdate(requestReinspectionUpdate, { args: [{ actor: buyer }] }));
      expect(again).toMatchObject({ status: 'AWAITING_INSPECTOR', round: 2 });
      expect(again.inspector).toBeUndefined();
      expect(again.deadlines.map((d) => d.kind)).toEqual(['inspector-assignment']);
      await schedule(h);
      const second = await after(h, h.executeUpdate(recordCheckUpdate, { args: [check()] }));
      expect(second.checks.map((c) => [c.round, c.result])).toEqual([[1, 'FAIL'], [2, 'PASS']]);
      expect(events(m)).toContain('REINSPECTION_REQUESTED');
    });
  });

  it('pages ops leads when no inspector is assigned within 2 working days of payment', async () => {
    await withTask(async (h, m) => {
      const paid = await after(h, pay(h));
      const due = Date.parse(paid.deadlines.find((d) => d.kind === 'inspector-assignment')!.dueAt);
      expect(due).toBe(addWorkingDays(CN, Date.parse(paid.payment!.paidAt), 2));
      await skip(due - (await env.currentTimeMs()) + MINUTE);
      expect(m.calls.opsNotices.at(-1)).toMatchObject({ audience: 'ops-leads', subject: expect.stringMatching(/OVERDUE: assign an inspector/) });
    });
  });
});

describe('cancellation and refunds', () => {
  it('cancels an unpaid booking without a refund', async () => {
    await withTask(async (h, m) => {
      const s = await after(h, h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'not needed' }] }));
      expect(s.status).toBe('CANCELLED');
      expect(m.calls.feeRefunds).toEqual([]);
      expect((await finished(h)).status).toBe('CANCELLED');
    });
  });

  it('refunds the full fee before an inspector is assigned, keyed by the workflow id and step', async () => {
    await withTask(async (h, m) => {
      await pay(h);
      const s = await after(h, h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'supplier will self-inspect' }] }));
      expect(s.fee).toMatchObject({ paid: 29_900, refunded: 29_900 });
      expect(m.calls.feeRefunds).toEqual([
        { idempotencyKey: `${h.workflowId}:cancel:refund`, paymentId: visaPayment().paymentId, amount: 29_900, currency: 'USD' },
      ]);
      expect(m.calls.notices.at(-1)?.text).toMatch(/100% of the fee is refunded: 299.00 USD is refunded to the Visa card ending 4242/);
    });
  });

  it('refunds half once an inspector is assigned (deselect before the check)', async () => {
    await withTask(async (h, m) => {
      await pay(h);
      await schedule(h);
      const s = await after(h, h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'changed my mind', deselect: true }] }));
      expect(s.fee.refunded).toBe(14_950);
      expect(m.calls.feeRefunds.map((r) => r.amount)).toEqual([14_950]);
      expect(events(m).at(-1)).toBe('DESELECTED');
    });
  });

  it('refunds nothing after the check, refuses a deselect then, and refuses any cancel after the report', async () => {
    await withTask(async (h, m) => {
      await pay(h);
      await schedule(h);
      await h.executeUpdate(recordCheckUpdate, { args: [check()] });
      const deselect = await refusal(h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'x', deselect: true }] }));
      expect(deselect.message).toMatch(/^cannot deselect the service: it can be deselected only before the on-site check/);
      await h.executeUpdate(uploadReportUpdate, { args: [{ actor: ops, file: report }] });
      const afterReport = await refusal(h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'x' }] }));
      expect(afterReport.message).toMatch(/^cannot cancel: the report is delivered/);
      expect(m.calls.feeRefunds).toEqual([]);
    });
    await withTask(async (h, m) => {
      await pay(h);
      await schedule(h);
      await h.executeUpdate(recordCheckUpdate, { args: [check()] });
      const s = await after(h, h.executeUpdate(cancelMonitoringUpdate, { args: [{ actor: buyer, reason: 'order cancelled' }] }));
      expect(s).toMatchObject({ status: 'CANCELLED', fee: { refunded: 0 } });
      expect(m.calls.feeRefunds).toEqual([]);
      expect(s.deadlines).toEqual([]);
    });
  });
});

// Last in the file: a workflow that fails at start lets the test server skip its clock far ahead.
describe('linked to its order', () => {
  /** A worker whose link activity does what the real one does: signal the order on this test server. */
  async function linkedWorker() {
    const mocks = createMockActivities();
    const taskQueue = uniqueId('monitoring');
    const activities = {
      ...mocks.activities,
      async linkMonitoringToOrder(link: { orderId: string; monitoringId: string; shipmentDate: string }) {
        await env.client.workflow.getHandle(orderWorkflowId(link.orderId)).signal(linkMonitoringSignal, { monitoringId: link.monitoringId, shipmentDate: link.shipmentDate });
        return { linked: true };
      },
    };
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    return { mocks, taskQueue, worker };
  }

  /** Polls `read` until `done` holds (signals between workflows land a moment later). */
  async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
    let v = await read();
    for (let i = 0; i < 200 && !done(v); i++) {
      await new Promise((r) => setTimeout(r, 25));
      v = await read();
    }
    return v;
  }

  it('closes a task booked while drafting when the draft expires unconfirmed, its paid fee refunded by policy', async () => {
    const { mocks, taskQueue, worker } = await linkedWorker();
    const now = await env.currentTimeMs();
    const orderId = uniqueId('PO');
    // Shipping far enough ahead that the task's booking cutoff comes after the draft's expiry.
    const shippingDate = dateIn(now, 45);
    const order = { ...sampleOrderInput(orderId, { shippingDate }), codeRevision: ORDER_CODE_REVISION };
    const task = sampleMonitoringInput(uniqueId('pm'), shippingDate, { orderId, addedVia: 'SUPPLIER_DRAFT', createdBy: supplier });
    await worker.runUntil(async () => {
      const o = await env.client.workflow.start(ORDER_WORKFLOW_TYPE, { taskQueue, workflowId: orderWorkflowId(orderId), args: [order] });
      const h = await env.client.workflow.start(MONITORING_WORKFLOW_TYPE, { taskQueue, workflowId: monitoringWorkflowId(task.monitoringId), args: [task] });
      try {
        await pay(h);
        await until<OrderState>(() => o.query(getOrderQuery), (s) => (s.monitoringIds ?? []).includes(task.monitoringId));
        // Nobody confirms the draft: it expires after its 14 days, and tells the task.
        await skip(15 * DAY);
        expect((await o.query(getOrderQuery)).status).toBe('EXPIRED');
        const closed = await until<MonitoringState>(() => state(h), (s) => s.status === 'CANCELLED');
        expect(closed.status).toBe('CANCELLED');
        expect(closed.closedReason).toBe(`its order ${orderId} was cancelled: the draft expired: not confirmed by both parties within 14 days`);
        expect(closed.fee).toMatchObject({ paid: 29_900, refunded: 29_900 });
        expect(mocks.calls.feeRefunds).toEqual([expect.objectContaining({ amount: 29_900 })]);
        expect(closed.deadlines).toEqual([]);
      } finally {
        for (const x of [o, h]) await x.terminate('test done').catch(() => undefined);
      }
    });
  });

  it("moves the booking cutoff when the order's shipping date is extended, and keeps its search attributes", async () => {
    const { mocks, taskQueue, worker } = await linkedWorker();
    const now = await env.currentTimeMs();
    const orderId = uniqueId('PO');
    const shippingDate = dateIn(now, 20);
    const order = sampleOrderInput(orderId, { shippingDate });
    const task = sampleMonitoringInput(uniqueId('pm'), shippingDate, { orderId });
    // Booked against a date the order has already moved past: the order corrects it when linked.
    const stale = sampleMonitoringInput(uniqueId('pm'), dateIn(now, 18), { orderId });
    await worker.runUntil(async () => {
      const o = await env.client.workflow.start(ORDER_WORKFLOW_TYPE, { taskQueue, workflowId: orderWorkflowId(orderId), args: [order] });
      const handles: Handle[] = [o];
      try {
        await o.executeUpdate(confirmByBuyerUpdate, { args: [{ actor: buyer }] });
        await o.executeUpdate(confirmBySupplierUpdate, { args: [{ actor: supplier }] });
        // The deposit is paid, so the order stays open past its deposit due date (a cancelled order closes its tasks).
        await o.executeUpdate(payUpdate, { args: [{ actor: buyer, kind: 'deposit', amount: order.terms.depositAmount, reference: 'W-1' }] });
        for (const input of [task, stale]) {
          handles.push(await env.client.workflow.start(MONITORING_WORKFLOW_TYPE, { taskQueue, workflowId: monitoringWorkflowId(input.monitoringId), args: [input] }));
        }
        const [, h, hStale] = handles;
        const linked = await until<OrderState>(() => o.query(getOrderQuery), (s) => (s.monitoringIds ?? []).length === 2);
        expect(linked.monitoringIds).toEqual(expect.arrayContaining([task.monitoringId, stale.monitoringId]));
        const corrected = await until<MonitoringState>(() => state(hStale), (s) => s.shipmentDate === shippingDate);
        expect(corrected.shipmentDate).toBe(shippingDate);
        expect(corrected.bookingCutoffAt).toBe(new Date(bookingCutoff(policy, CN, shippingDate).at).toISOString());

        const before = await state(h);
        expect(before.bookingCutoffAt).toBe(new Date(bookingCutoff(policy, CN, shippingDate).at).toISOString());
        const later = dateIn(Date.parse(`${shippingDate}T00:00:00Z`), 14);
        await o.executeUpdate(extendShippingUpdate, { args: [{ actor: buyer, shippingDate: later }] });
        const moved = await until<MonitoringState>(() => state(h), (s) => s.shipmentDate === later);
        expect(moved.shipmentDate).toBe(later);
        expect(moved.bookingCutoffAt).toBe(new Date(bookingCutoff(policy, CN, later).at).toISOString());
        expect(moved.deadlines.find((d) => d.kind === 'booking-cutoff')?.dueAt).toBe(moved.bookingCutoffAt);
        const change = mocks.calls.monitoringChanges.find((c) => c.task.id === task.monitoringId && c.event.type === 'SHIPMENT_DATE_CHANGED');
        expect(change?.event).toMatchObject({ actorRole: 'system', data: expect.objectContaining({ from: shippingDate, to: later }) });

        // The old cutoff passes and the booking is still open: it follows the new date.
        await skip(Date.parse(before.bookingCutoffAt) - (await env.currentTimeMs()) + HOUR);
        expect((await state(h)).status).toBe('AWAITING_PAYMENT');

        const described = await h.describe();
        expect(described.typedSearchAttributes.get(SA_STATUS)).toBe('AWAITING_PAYMENT');
        expect(described.typedSearchAttributes.get(SA_BUYER)).toBe(task.buyerId);
        expect(described.typedSearchAttributes.get(SA_NEXT_DEADLINE)?.toISOString()).toBe(moved.bookingCutoffAt);
      } finally {
        for (const x of handles) await x.terminate('test done').catch(() => undefined);
      }
    });
  });
});

describe('bookings refused at start', () => {
  /**
   * Starts a booking that must fail at once, and returns its failure, read from the history (waiting
   * on `result()` would let the test server run its clock ahead by years).
   */
  async function refusedBooking(input: MonitoringInput): Promise<{ type?: string | null; message?: string | null }> {
    const taskQueue = uniqueId('monitoring');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: createMockActivities().activities });
    return worker.runUntil(async () => {
      const h = await env.client.workflow.start(MONITORING_WORKFLOW_TYPE, { taskQueue, workflowId: monitoringWorkflowId(input.monitoringId), args: [input] });
      for (let i = 0; i < 200 && (await h.describe()).status.name === 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 25));
      expect((await h.describe()).status.name).toBe('FAILED');
      const history = await h.fetchHistory();
      const failure = history.events?.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
      expect(failure?.applicationFailureInfo?.type).toBe(BOOKING_REFUSED);
      return { type: failure?.applicationFailureInfo?.type, message: failure?.message };
    });
  }

  it('refuses a booking after the cutoff, with the instant the cutoff passed', async () => {
    const input = sampleMonitoringInput(uniqueId('pm'), dateIn(await env.currentTimeMs(), 4));
    const cutoff = bookingCutoff(policy, CN, input.shipmentDate);
    const cause = await refusedBooking(input);
    expect(cause.message).toBe(
      `cannot book: the booking cutoff passed at ${new Date(cutoff.at).toISOString()}; the last instant to book and pay was ${new Date(cutoff.lastInstant).toISOString()} (${cutoff.rule})`,
    );
  });

  it.each(['SHIPPED', 'CANCELLED'] as const)('refuses a booking for an order that is %s, whatever the cutoff', async (orderStatus) => {
    const input = sampleMonitoringInput(uniqueId('pm'), dateIn(await env.currentTimeMs(), 30), { orderStatus });
    const cause = await refusedBooking(input);
    expect(cause.message).toMatch(orderStatus === 'SHIPPED' ? /^cannot book: the order has shipped \(it is SHIPPED\)/ : /^cannot book: the order is closed \(it is CANCELLED\)/);
  });

  it('refuses from order management after the initial payment without the supplier agreement', async () => {
    const input = sampleMonitoringInput(uniqueId('pm'), dateIn(await env.currentTimeMs(), 30), {
      addedVia: 'BUYER_ORDER_MANAGEMENT',
      orderInitialPaymentMade: true,
    });
    const cause = await refusedBooking(input);
    expect(cause.message).toMatch(/the supplier must agree first/);
  });
});
