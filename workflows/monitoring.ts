/**
 * productionMonitoringWorkflow (workflow ID `monitoring:<id>`): one Production Monitoring &
 * Inspection task linked to its order, from booking to the buyer's review. The booking cutoff, the
 * inspector assignment, the product-information reminders, the report window and the review window
 * are durable deadlines of the pinned policy; the read model, timeline, refunds and emails are written
 * by idempotent activities.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { FeeChargeResult, MonitoringReadModel } from '../activities/monitoring';
import { Actor, ACTOR_NOT_ALLOWED, DAY_MS, PAYMENT_DECLINED, PAYMENT_OUTCOME_UNKNOWN, PAYMENT_UNAVAILABLE } from './common';
import { WorkingCalendar, getCalendar, isValidDate, localDate } from './calendar';
import {
  Party,
  calendarWords,
  ChangeHeader,
  createProcessCore,
  iso,
  nowMs,
  refuse,
  requireParty,
  runDeadlines,
  workingDeadline,
  inputKey,
  toOpsQueue,
  withSummaries,
  PROCESS_ACTIVITY_OPTIONS,
} from './process-kit';
import {
  ActionInput,
  AssignInspectorInput,
  BOOKING_REFUSED,
  CancelMonitoringInput,
  CardPayment,
  CardToCharge,
  EditMonitoringInput,
  MONITORING_TERMINAL,
  MonitoringDeadline,
  MonitoringInput,
  MonitoringState,
  MonitoringStatus,
  OnSiteCheck,
  PayMonitoringInput,
  ProductInfoInput,
  ProgressInput,
  RecordCheckInput,
  ReviewInput,
  ShipmentDateInput,
  UploadReportInput,
  addProductInfoUpdate,
  assignInspectorUpdate,
  cancelMonitoringUpdate,
  changeShipmentDateUpdate,
  editMonitoringUpdate,
  getMonitoringQuery,
  orderShipmentDateSignal,
  orderCancelledSignal,
  payMonitoringUpdate,
  recordCheckUpdate,
  recordProgressUpdate,
  requestReinspectionUpdate,
  reviewMonitoringUpdate,
  uploadReportUpdate,
  MonitoringAck,
} from './monitoring.messages';
import {
  MonitoringPolicy,
  RefundStage,
  bookingCutoff,
  cancellationRefund,
  cardBrandName,
  checkBooking,
  isAcceptedBrand,
  judgeCheck,
  lotSizeRefusal,
  monitoringPolicy,
} from './monitoring.policy';
import { formatMoney } from './money';
import { availableActionsQuery, createActionBook, processActors } from './actions';
import { MONITORING_VIEW_MAX_CHARS, type MonitoringEventType } from './read-model';

/**
 * Versions: tasks started before this patch were not linked to their order and kept no search
 * attributes; their histories replay without either.
 */
export const MONITORING_LINK_PATCH = 'monitoring-order-link';

/**
 * Tasks started from this version on record each change and its email notices in one activity (one
 * database transaction); earlier tasks send their notices as separate activities after the record.
 */
export const MONITORING_NOTICES_PATCH = 'monitoring-notices-with-change';

/**
 * Tasks that meet an effect failed for good from this version on put it on the ops late-task queue
 * and go on. Asked only when an effect fails, so no other history carries its marker.
 */
export const MONITORING_EFFECTS_PATCH = 'monitoring-effects-to-ops';

/** Tasks from this version on take the order's signals only from their own order (asked only when another order's signal arrives). */
export const MONITORING_OWN_ORDER_PATCH = 'monitoring-own-order-signals';

const activities = proxyActivities<Activities>(PROCESS_ACTIVITY_OPTIONS);
/**
 * A card charge is retried a few times with its key (the same charge at the gateway), then given up
 * with nothing charged: the buyer is waiting for the answer.
 */
const cardActivities = proxyActivities<Pick<Activities, 'chargeMonitoringFee'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 4 },
});

function requireActor(actor: Actor, allowed: Party[], input: MonitoringInput, action: string): void {
  requireParty(actor, allowed, input, action);
}

/** Ops, or the inspector party assigned to the task's current round (an inspector key acts on its own tasks only). */
function requireOpsOrInspector(actor: Actor, inspectorId: string | undefined, input: MonitoringInput, action: string): void {
  if (actor.role === 'inspector') {
    if (inspectorId !== undefined && actor.partyId === inspectorId) return;
    throw ApplicationFailure.create({ type: ACTOR_NOT_ALLOWED, message: `only ops or the inspector assigned to this task may ${action}`, nonRetryable: true });
  }
  requireActor(actor, [], input, action);
}

function requireStatus(current: MonitoringStatus, expected: MonitoringStatus[], action: string, why: string): void {
  if (!expected.includes(current)) refuse(`cannot ${action}: ${why} (the service is ${current})`);
}

const NEXT_STEPS: Record<MonitoringStatus, MonitoringState['nextStep']> = {
  AWAITING_PAYMENT: { action: 'pay', by: 'buyer', description: 'the buyer pays the service fee by Visa or MasterCard before the booking cutoff' },
  AWAITING_INSPECTOR: { action: 'assign-inspector', by: 'ops', description: 'the service team assigns an inspector and confirms the check date' },
  INSPECTION_SCHEDULED: { action: 'record-check', by: 'ops', description: 'the inspector checks the goods on site on the confirmed date' },
  AWAITING_REPORT: { action: 'upload-report', by: 'ops', description: 'the inspector uploads the report within 1 to 2 working days of the check' },
  REPORT_READY: { action: 'review', by: 'buyer', description: 'the buyer downloads the report and leaves a review' },
  COMPLETED: { action: 'none', by: 'nobody', description: 'the service is complete' },
  LAPSED: { action: 'none', by: 'nobody', description: 'the booking lapsed unpaid at the cutoff' },
  CANCELLED: { action: 'none', by: 'nobody', description: 'the service was cancelled; the fee was refunded by policy' },
};

const BEFORE_CHECK: MonitoringStatus[] = ['AWAITING_PAYMENT', 'AWAITING_INSPECTOR', 'INSPECTION_SCHEDULED'];


/** Details compared loosely: case, surrounding and repeated spaces do not make a mismatch. */

export async function productionMonitoringWorkflow(input: MonitoringInput): Promise<MonitoringState> {
  const policy = monitoringPolicy(input.policyVersion);
  const { monitoringId, orderId, buyerId, supplierId } = input;
  const workflowId = workflowInfo().workflowId;
  const summary = (activity: string, i: unknown) => `${activity} · monitoring ${monitoringId}${inputKey(i) ? ` · ${inputKey(i)}` : ''}`;
  // Tasks started on code revision 1 or later need no patch markers: every earlier change applies.
  const current = (input.codeRevision ?? 0) >= 1;
  const acts = withSummaries(activities, summary);
  const cardActs = withSummaries(cardActivities, summary);
  /**
   * A card charge is in flight: another payment, a cancel and the booking cutoff wait for its answer.
   * Whoever finds it false acts before its next await, so two handlers never both pass the wait.
   */
  let charging = false;
  const chargeSettled = async (): Promise<void> => {
    while (charging) await condition(() => !charging);
  };
  const linkedToOrder = current || patched(MONITORING_LINK_PATCH);
  const noticesWithChange = current || patched(MONITORING_NOTICES_PATCH);
  const startedAt = nowMs();
  const booking = checkBooking(policy, input, startedAt);
  if (booking.problems.length > 0 || booking.refusal || !booking.cutoff || !booking.calendarVersion) {
    throw ApplicationFailure.create({
      type: BOOKING_REFUSED,
      message: booking.refusal ?? booking.problems.map((p) => `${p.field}: ${p.reason}`).join('; '),
      nonRetryable: true,
    });
  }
  // The calendar version in force at booking is pinned: later holiday data does not move this task's deadlines.
  const cal: WorkingCalendar = getCalendar(input.supplierCalendar, booking.calendarVersion);
  const opsCal: WorkingCalendar = getCalendar(policy.opsCalendar, policy.opsCalendarVersion);
  const { currency } = policy.fee;
  const money = (amount: number) => formatMoney(amount, currency);
  const createdAt = iso(startedAt);
  const state: MonitoringState = {
    monitoringId,
    orderId,
    status: 'AWAITING_PAYMENT',
    buyerId,
    supplierId,
    addedVia: input.addedVia,
    supplierAgreed: input.supplierAgreed,
    policyVersion: policy.version,
    supplierCalendar: cal.id,
    calendarVersion: cal.version,
    shipmentDate: input.shipmentDate,
    bookingCutoffAt: iso(booking.cutoff.at),
    bookingCutoffDate: booking.cutoff.date,
    proforma: input.proforma,
    details: input.details,
    fee: { amount: policy.fee.amount, currency, paid: 0, refunded: 0 },
    productInfo: { pictures: [] },
    round: 1,
    checks: [],
    progress: [],
    reports: [],
    late: false,
    deadlines: [],
    nextStep: NEXT_STEPS.AWAITING_PAYMENT,
    revision: 0,
    createdAt,
    updatedAt: createdAt,
  };
  const partyIds = (parties: Party[]) => parties.map((p) => (p === 'buyer' ? buyerId : supplierId));
  const lastCheck = (): OnSiteCheck | undefined => state.checks.at(-1);

  // ---- the process skeleton: revisions, deadlines, search attributes, effects ----------------------
  const core = createProcessCore<MonitoringStatus, MonitoringState['nextStep'], MonitoringDeadline>(state, {
    workflowId,
    policyVersion: policy.version,
    nextSteps: NEXT_STEPS,
    parties: { buyerId, supplierId },
    title: () => `Production monitoring ${monitoringId} of order ${orderId}: buyer ${buyerId}, supplier ${supplierId}, fee ${money(state.fee.amount)}`,
    // Tasks started before MONITORING_LINK_PATCH kept no search attributes; from code revision 1 on,
    // a change upserts only the ones that moved.
    searchAttributes: current ? 'when-changed' : linkedToOrder ? 'every-change' : 'none',
    effectFailures: toOpsQueue('monitoring', monitoringId, () => current || patched(MONITORING_EFFECTS_PATCH), acts),
  });
  const { setDeadline, clearKinds, enqueue, drained } = core;

  function readModel(): MonitoringReadModel {
    return {
      id: monitoringId,
      orderId,
      status: state.status,
      buyerId,
      supplierId,
      addedVia: state.addedVia,
      currency,
      feeAmount: state.fee.amount,
      paidAmount: state.fee.paid,
      refundedAmount: state.fee.refunded,
      shipmentDate: state.shipmentDate,
      bookingCutoffAt: state.bookingCutoffAt,
      result: lastCheck()?.result,
      late: state.late,
      nextDeadlineAt: state.deadlines[0]?.dueAt,
      policyVersion: state.policyVersion,
      revision: state.revision,
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
      inspectorId: state.inspector?.inspectorId,
      deadlines: [...state.deadlines],
    };
  }

  interface Change extends ChangeHeader<MonitoringEventType> {
    notify: Party[];
    subject: string;
    text: string;
    before?: () => Promise<unknown>;
    ops?: { audience: 'ops' | 'ops-leads'; subject: string; text: string };
  }

  /** Moves the task to a new revision now, and records it (read model, timeline, emails) in order. */
  function change(status: MonitoringStatus, c: Change): Promise<void> {
    const { event, key } = core.advance(status, c);
    const task = readModel();
    // The task as it is now, copied (the record may be written after later changes to the state); a
    // long one leaves its view behind, and its actions are answered by a Query.
    const json = JSON.stringify(state);
    const view = json.length <= MONITORING_VIEW_MAX_CHARS ? { view: JSON.parse(json) as MonitoringState } : {};
    const tag = `[TradeGuard ${orderId} / monitoring ${monitoringId}]`;
    core.publishSearchAttributes();
    const parties = c.notify.length > 0 ? { key, partyIds: partyIds(c.notify), subject: `${tag} ${c.subject}`, text: c.text } : undefined;
    const ops = c.ops ? { key, audience: c.ops.audience, subject: `${tag} ${c.ops.subject}`, text: c.ops.text } : undefined;
    return enqueue(async () => {
      if (c.before) await core.effect(`${c.type}:money`, key, c.before);
      if (noticesWithChange) {
        await core.effect(`${c.type}:record`, key, () => acts.recordMonitoringChange({ task, ...view, event, notices: { parties, ops } }));
        return;
      }
      await acts.recordMonitoringChange({ task, event });
      if (parties) await acts.notifyParties(parties);
      if (ops) await acts.notifyOps(ops);
    });
  }

  const system: Actor = { role: 'system' };
  const actionBook = createActionBook();
  const ack = (): MonitoringAck => ({ monitoringId, status: state.status, revision: state.revision });
  const repeated = (what: 'productInfo' | 'edits' | 'shipmentDateChanges') => state.repeated?.[what] ?? 0;
  const count = (what: 'productInfo' | 'edits' | 'shipmentDateChanges') => {
    state.repeated = { ...state.repeated, [what]: repeated(what) + 1 };
  };
  /** Refuses an action a party has repeated as often as the policy allows on one task. */
  const requireUnder = (done: number, limit: number, name: keyof MonitoringPolicy['limits'], what: string, instead?: string) => {
    if (done >= limit) refuse(`cannot ${what}: this task has had ${done}, the most allowed (limit ${name} = ${limit})${instead ? `; ${instead}` : ''}`);
  };

  // ---- schedules --------------------------------------------------------------------------------
  function scheduleCutoff(): void {
    const cutoff = bookingCutoff(policy, cal, state.shipmentDate);
    setDeadline({
      id: 'booking-cutoff',
      kind: 'booking-cutoff',
      dueAt: Date.parse(state.bookingCutoffAt),
      rule: `the service is ${cutoff.rule}`,
      onExpiry: 'the unpaid booking lapses and the buyer is told',
      ...(cutoff.provisional ? { provisional: true } : {}),
    });
  }

  /** The last instant the fee may be paid, in words: "2027-02-03T15:59:59.999Z (the end of 2027-02-03 in Asia/Shanghai)". */
  function payBy(): string {
    const last = Date.parse(state.bookingCutoffAt) - 1;
    return `${iso(last)} (the end of ${localDate(cal, last)} in ${cal.timeZone})`;
  }

  function scheduleInspectorAssignment(from: number): void {
    const due = workingDeadline(opsCal, from, policy.inspectorAssignmentWorkingDays);
    setDeadline({
      id: 'inspector-assignment',
      kind: 'inspector-assignment',
      dueAt: due.dueAt,
      rule: `an inspector is assigned and the check date confirmed within ${policy.inspectorAssignmentWorkingDays} working days of the request (${calendarWords(opsCal, due.provisional)})`,
      onExpiry: 'the assignment is overdue: ops leads are paged',
      ...(due.provisional ? { provisional: true } : {}),
    });
  }

  function productInfoMissing(): string[] {
    const missing: string[] = [];
    if (!state.productInfo.description) missing.push('product information');
    if (state.productInfo.pictures.length === 0) missing.push('sample pictures');
    return missing;
  }

  function scheduleProductInfoReminder(from: number): void {
    clearKinds('product-info-reminder');
    if (productInfoMissing().length === 0 || !BEFORE_CHECK.includes(state.status) || state.status === 'AWAITING_PAYMENT') return;
    setDeadline({
      id: 'product-info-reminder',
      kind: 'product-info-reminder',
      dueAt: from + policy.productInfoReminderDays * DAY_MS,
      rule: `the buyer is reminded every ${policy.productInfoReminderDays} days until product information and sample pictures arrive, before the on-site check`,
      onExpiry: 'the buyer is reminded to provide product information and sample pictures',
    });
  }

  function refundStage(): RefundStage {
    if (state.checks.length > 0) return 'CHECKED';
    return state.inspector ? 'INSPECTOR_ASSIGNED' : 'BEFORE_INSPECTOR_ASSIGNED';
  }

  // ---- firing deadlines -------------------------------------------------------------------------
  async function fire(d: MonitoringDeadline): Promise<void> {
    switch (d.kind) {
      case 'booking-cutoff':
        // A charge that began before the cutoff is answered first: a card paid in time is not lapsed.
        // (Only then an await: a cutoff with no charge in flight lapses in the same step as before.)
        if (charging) await chargeSettled();
        // A charge asked before the cutoff that the processor never answered is asked again first: if
        // it was taken, the task was paid in time.
        await settleUncertainCharge();
        if (state.status !== 'AWAITING_PAYMENT') return;
        state.closedReason = `not paid by the booking cutoff ${state.bookingCutoffAt}`;
        state.deadlines = [];
        {
          // Still unanswered: the booking lapses, and ops settles the charge with the processor by hand.
          const unanswered = state.uncertainCharge;
          await change('LAPSED', {
            type: 'BOOKING_LAPSED',
            actor: system,
            summary: `Booking lapsed: the fee was not paid by the cutoff ${state.bookingCutoffAt}${unanswered ? `; the processor never answered the charge of ${money(unanswered.amount)} asked at ${unanswered.askedAt}` : ''}`,
            data: { cutoffAt: state.bookingCutoffAt, ...(unanswered ? { unansweredCharge: chargeFacts(unanswered) } : {}) },
            notify: ['buyer'],
            subject: 'production monitoring booking lapsed unpaid',
            text:
              `Your Production Monitoring & Inspection booking for order ${orderId} lapsed: the fee of ${money(state.fee.amount)} was not paid by ${payBy()}, ${policy.bookingCutoffWorkingDays} working days before the shipment date ${state.shipmentDate}. ` +
              (unanswered ? unansweredChargeNotice(unanswered, 'lapsed').buyer : 'Nothing was charged.'),
            ...(unanswered ? { ops: unansweredChargeNotice(unanswered, 'lapsed').ops } : {}),
          });
          if (unanswered) await raiseUnansweredCharge(unanswered);
        }
        return;
      case 'product-info-reminder': {
        const missing = productInfoMissing();
        if (missing.length === 0 || !['AWAITING_INSPECTOR', 'INSPECTION_SCHEDULED'].includes(state.status)) return;
        scheduleProductInfoReminder(nowMs());
        await change(state.status, {
          type: 'PRODUCT_INFO_REMINDER',
          actor: system,
          summary: `Buyer reminded: ${missing.join(' and ')} still missing`,
          data: { missing },
          notify: ['buyer'],
          subject: `reminder: please provide ${missing.join(' and ')}`,
          text: `The inspector needs the ${missing.join(' and ')} for order ${orderId} before the on-site check. Please upload them.`,
        });
        return;
      }
      case 'inspector-assignment':
        if (state.status !== 'AWAITING_INSPECTOR') return;
        await change(state.status, {
          type: 'INSPECTOR_ASSIGNMENT_OVERDUE',
          actor: system,
          summary: 'Inspector assignment is overdue: ops leads paged',
          notify: [],
          subject: '',
          text: '',
          ops: {
            audience: 'ops-leads',
            subject: 'OVERDUE: assign an inspector',
            text: `Monitoring task ${monitoringId} (order ${orderId}) needed an inspector and a confirmed check date by ${d.dueAt}.`,
          },
        });
        return;
      case 'report-reminder':
        if (state.status !== 'AWAITING_REPORT') return;
        await change(state.status, {
          type: 'REPORT_REMINDER',
          actor: system,
          summary: `Inspector reminded: the report is due ${policy.reportLateWorkingDays} working days after the check`,
          notify: [],
          subject: '',
          text: '',
          ops: {
            audience: 'ops',
            subject: `reminder: upload the inspection report (inspector ${state.inspector?.name ?? 'unassigned'})`,
            text: `The report of monitoring task ${monitoringId} (order ${orderId}) is due by ${state.deadlines.find((x) => x.kind === 'report-late')?.dueAt ?? 'now'}.`,
          },
        });
        return;
      case 'report-late':
        if (state.status !== 'AWAITING_REPORT') return;
        state.late = true;
        await change(state.status, {
          type: 'REPORT_LATE',
          actor: system,
          summary: `Report late: not uploaded within ${policy.reportLateWorkingDays} working days of the check; ops paged`,
          notify: [],
          subject: '',
          text: '',
          ops: {
            audience: 'ops-leads',
            subject: 'LATE: inspection report not uploaded',
            text: `The report of monitoring task ${monitoringId} (order ${orderId}) was due ${d.dueAt} and is late.`,
          },
        });
        return;
      case 'review-window':
        if (state.status !== 'REPORT_READY') return;
        await change('COMPLETED', {
          type: 'COMPLETED',
          actor: system,
          summary: `Review window of ${policy.reviewWindowDays} days ended: the service is complete`,
          notify: [],
          subject: '',
          text: '',
        });
        return;
    }
  }

  // ---- handlers ---------------------------------------------------------------------------------
  // Booked is revision 1 before any handler exists, so an update delivered with the start finds it.
  scheduleCutoff();
  const booked = change('AWAITING_PAYMENT', {
    type: 'BOOKED',
    actor: input.createdBy,
    summary: `Production Monitoring & Inspection booked (${input.addedVia}); fee ${money(state.fee.amount)} due before ${state.bookingCutoffAt}`,
    data: { addedVia: input.addedVia, supplierAgreed: input.supplierAgreed, shipmentDate: input.shipmentDate, cutoffAt: state.bookingCutoffAt },
    notify: ['buyer'],
    subject: 'production monitoring booked: payment due',
    text: `Production Monitoring & Inspection is booked for order ${orderId}. Please pay the fee of ${money(state.fee.amount)} by Visa or MasterCard by ${payBy()}, ${policy.bookingCutoffWorkingDays} working days before the shipment date ${state.shipmentDate}; an unpaid booking lapses after that instant.`,
  });

  setHandler(getMonitoringQuery, () => state);
  setHandler(availableActionsQuery, () =>
    actionBook.available(processActors(input, [{ role: 'inspector', partyId: state.inspector?.inspectorId }])),
  );

  /** The fee is paid by this card (a retry of the payment that landed answers as it did). */
  const paidBy = (card: CardToCharge): boolean => state.payment?.brand === card.brand && state.payment.last4 === card.last4;

  /** Refuses a payment the task does not take now. */
  function payable(): void {
    awaitingPayment();
    if (nowMs() >= Date.parse(state.bookingCutoffAt)) {
      refuse(`cannot pay: the booking cutoff passed at ${state.bookingCutoffAt}; the last instant to pay was ${payBy()}, ${policy.bookingCutoffWorkingDays} working days before the shipment date ${state.shipmentDate}`);
    }
  }

  function awaitingPayment(): void {
    requireStatus(
      state.status,
      ['AWAITING_PAYMENT'],
      'pay',
      state.payment ? `the fee is already paid by ${cardBrandName(state.payment.brand)} ending ${state.payment.last4}` : 'the booking is closed',
    );
  }

  async function recordPayment(actor: Actor, payment: CardPayment): Promise<void> {
    const now = nowMs();
    state.payment = { ...payment, paidAt: iso(now) };
    state.fee.paid = payment.amount;
    clearKinds('booking-cutoff');
    state.status = 'AWAITING_INSPECTOR';
    scheduleInspectorAssignment(now);
    scheduleProductInfoReminder(now);
    await change('AWAITING_INSPECTOR', {
      type: 'PAID',
      actor,
      summary: `Fee of ${money(payment.amount)} paid by ${cardBrandName(payment.brand)} ending ${payment.last4}`,
      data: { amount: payment.amount, currency: payment.currency, brand: payment.brand, last4: payment.last4, paymentId: payment.paymentId },
      notify: ['buyer'],
      subject: 'production monitoring task received',
      text:
        `The service team has received your Production Monitoring & Inspection task for order ${orderId} (paid ${money(payment.amount)}, ${cardBrandName(payment.brand)} ending ${payment.last4}). ` +
        `Please provide the product information and sample pictures; an inspector will be assigned and the check date confirmed within ${policy.inspectorAssignmentWorkingDays} working days.`,
      ops: { audience: 'ops', subject: 'new monitoring task: assign an inspector', text: `Monitoring task ${monitoringId} for order ${orderId} is paid; assign an inspector.` },
    });
  }

  /** Asks a charge the processor never answered again, before the task closes unpaid: taken, the task is paid. */
  async function settleUncertainCharge(): Promise<void> {
    if (!state.uncertainCharge || state.status !== 'AWAITING_PAYMENT') return;
    await chargeCard({ role: 'buyer', partyId: input.buyerId }, state.uncertainCharge.card).catch(() => undefined);
  }

  /** A task closed with a charge the processor still has not answered: it waits on the ops late-task queue until someone settles it. */
  function raiseUnansweredCharge(c: NonNullable<MonitoringState['uncertainCharge']>): Promise<unknown> {
    return acts.raiseEffectFailure({
      resource: 'monitoring',
      resourceId: monitoringId,
      key: `${workflowId}:fee:${c.card.token}`,
      effect: 'fee charge',
      error: `the card processor never answered the charge of ${money(c.amount)} to ${cardBrandName(c.card.brand)} ending ${c.card.last4} asked at ${c.askedAt}; it may have been taken: settle it with the processor and refund it if so`,
      occurredAt: iso(nowMs()),
    });
  }

  /** An unanswered charge on the timeline: the amount, the card's brand and last four digits, when it was asked (never its token). */
  const chargeFacts = (c: NonNullable<MonitoringState['uncertainCharge']>) => ({ amount: c.amount, brand: c.card.brand, last4: c.card.last4, askedAt: c.askedAt });

  /** What the buyer and ops are told when the task closes with a charge the processor still has not answered. */
  function unansweredChargeNotice(c: NonNullable<MonitoringState['uncertainCharge']>, closed: 'lapsed' | 'cancelled' | 'deselected', whose = 'your') {
    const card = `${cardBrandName(c.card.brand)} ending ${c.card.last4}`;
    return {
      buyer: `The card processor never confirmed ${whose} payment of ${money(c.amount)} with ${card}; the service team checks it with the processor and refunds it if it was taken.`,
      ops: {
        audience: 'ops' as const,
        subject: `${closed} task with an unanswered card charge: settle it with the processor`,
        text: `Monitoring task ${monitoringId} for order ${orderId} ${closed} with a charge of ${money(c.amount)} (${card}, key ${workflowId}:fee:${c.card.token}, asked at ${c.askedAt}) that the processor never answered. If it was taken, refund it.`,
      },
    };
  }

  /**
   * Charges the fee to the card's token, one charge at a time: a second payment waits for the first
   * and is then judged on what it left (the same card answers as paid, another is refused). The key
   * is the task's and the token's, so a retried activity or Update is the same charge.
   */
  async function chargeCard(actor: Actor, offered: CardToCharge): Promise<void> {
    // Not `await chargeSettled()`: awaiting even a settled promise would let a second payment
    // delivered in the same activation pass the wait before this one takes the charge.
    while (charging) await condition(() => !charging);
    if (paidBy(offered)) return;
    // A charge the processor never answered may have been taken: it is asked again, with its own
    // card and key (the processor answers a key it has seen with its first outcome), before any
    // other card, so that paying again never charges twice. It was asked before the cutoff, so it is
    // settled after it too. Only a workflow whose charge went unanswered (a failure type earlier
    // code never saw) takes this path: no patch is needed.
    const uncertain = state.uncertainCharge;
    if (uncertain) awaitingPayment();
    else payable();
    const card = uncertain?.card ?? offered;
    const idempotencyKey = `${workflowId}:fee:${card.token}`;
    const amount = state.fee.amount;
    charging = true;
    let charged: FeeChargeResult;
    try {
      charged = await cardActs.chargeMonitoringFee({ idempotencyKey, paymentMethod: card.token, amount, currency, description: `Production monitoring ${monitoringId} for order ${orderId}` });
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === PAYMENT_OUTCOME_UNKNOWN) {
        state.uncertainCharge = { card, amount, askedAt: uncertain?.askedAt ?? iso(nowMs()) };
        throw ApplicationFailure.create({
          type: PAYMENT_UNAVAILABLE,
          message:
            `payment not confirmed: the card processor did not answer, so the charge of ${money(amount)} to ${cardBrandName(card.brand)} ending ${card.last4} may have been taken; ` +
            'pay again to settle it: that same charge is asked again first, never a second one',
          nonRetryable: true,
        });
      }
      if (uncertain) {
        throw ApplicationFailure.create({ type: PAYMENT_UNAVAILABLE, message: `payment not confirmed: the card processor had an error settling the earlier charge to ${cardBrandName(card.brand)} ending ${card.last4}; pay again shortly`, nonRetryable: true });
      }
      throw ApplicationFailure.create({ type: PAYMENT_UNAVAILABLE, message: 'payment failed: the card processor had an error; nothing was charged, retry shortly', nonRetryable: true });
    } finally {
      charging = false;
    }
    state.uncertainCharge = undefined;
    if (uncertain && charged.status === 'declined' && uncertain.card.token !== offered.token) {
      // The unanswered charge was never taken: the card offered now is charged instead.
      return chargeCard(actor, offered);
    }
    if (charged.status === 'declined') {
      throw ApplicationFailure.create({ type: PAYMENT_DECLINED, message: `payment declined: ${charged.reason}`, nonRetryable: true });
    }
    if (state.payment?.paymentId === charged.paymentId) return;
    if (state.status !== 'AWAITING_PAYMENT') {
      // Closed while the card was charged (the order took the task away): the charge goes back.
      const closedAs = state.status;
      await acts.refundMonitoringFee({ idempotencyKey: `${idempotencyKey}:void`, paymentId: charged.paymentId, amount, currency });
      refuse(`cannot pay: the service became ${closedAs.toLowerCase()} while the card was charged; the charge of ${money(amount)} is refunded`);
    }
    await recordPayment(actor, { paymentId: charged.paymentId, brand: card.brand as CardPayment['brand'], last4: card.last4, amount, currency });
  }

  setHandler(
    payMonitoringUpdate,
    async ({ actor, payment, card }: PayMonitoringInput) => {
      if (card) {
        await chargeCard(actor, card);
        return ack();
      }
      // A payment the API charged itself (tasks paid before the workflow charged cards).
      if (!payment) refuse('give the card to pay with');
      // The same payment delivered twice (an API retry) is the payment already recorded.
      if (state.payment?.paymentId === payment.paymentId) return ack();
      await recordPayment(actor, payment);
      return ack();
    },
    {
      validator: actionBook.validator(payMonitoringUpdate, {
        when: (actor, { payment, card }) => {
          requireActor(actor, ['buyer'], input, 'pay for the monitoring service');
          if (payment && state.payment?.paymentId === payment.paymentId) return;
          if (card && paidBy(card)) return;
          payable();
        },
        check: ({ payment, card }: PayMonitoringInput) => {
          if (card ? paidBy(card) : state.payment?.paymentId === payment?.paymentId) return;
          const brand = card?.brand ?? payment?.brand ?? '';
          if (!isAcceptedBrand(policy, brand)) {
            refuse(`cannot pay with ${cardBrandName(brand)}: the monitoring service accepts ${policy.acceptedCardBrands.map(cardBrandName).join(' or ')} only`);
          }
          if (payment && (payment.amount !== state.fee.amount || payment.currency !== currency)) {
            refuse(`the fee is ${money(state.fee.amount)}, not ${formatMoney(payment.amount, payment.currency)}`);
          }
        },
      }),
    },
  );

  /** Moves the shipment date, and with it the booking cutoff while the fee is unpaid. */
  async function moveShipmentDate(actor: Actor, shipmentDate: string, why: string): Promise<void> {
    const previous = state.shipmentDate;
    const cutoff = bookingCutoff(policy, cal, shipmentDate);
    state.shipmentDate = shipmentDate;
    state.bookingCutoffAt = iso(cutoff.at);
    state.bookingCutoffDate = cutoff.date;
    if (state.status === 'AWAITING_PAYMENT') scheduleCutoff();
    await change(state.status, {
      type: 'SHIPMENT_DATE_CHANGED',
      actor,
      summary: `Shipment date moved from ${previous} to ${shipmentDate} (${why}); booking cutoff now ${state.bookingCutoffAt}`,
      data: { from: previous, to: shipmentDate, cutoffAt: state.bookingCutoffAt, why },
      notify: state.status === 'AWAITING_PAYMENT' ? ['buyer'] : [],
      subject: `shipment date moved to ${shipmentDate}: pay before ${state.bookingCutoffAt}`,
      text: `The shipment date of order ${orderId} moved to ${shipmentDate}. The monitoring fee is now due by ${payBy()}.`,
    });
  }

  // The order tells its linked tasks when its shipping date moves; the cutoff moves with it.
  setHandler(orderShipmentDateSignal, async ({ orderId: from, shipmentDate }) => {
    // Only the task's own order moves its date (tasks from MONITORING_OWN_ORDER_PATCH on; asked only when another order's signal arrives).
    if (from !== orderId && (current || patched(MONITORING_OWN_ORDER_PATCH))) return;
    if (MONITORING_TERMINAL.includes(state.status) || shipmentDate === state.shipmentDate || !isValidDate(shipmentDate)) return;
    try {
      bookingCutoff(policy, cal, shipmentDate);
    } catch (err) {
      await change(state.status, {
        type: 'SHIPMENT_DATE_NOT_APPLIED',
        actor: system,
        summary: `The order's shipping date moved to ${shipmentDate}, outside the ${cal.id} calendar ${cal.version}; the task keeps ${state.shipmentDate}`,
        data: { to: shipmentDate, reason: err instanceof Error ? err.message : String(err) },
        notify: [],
        subject: '',
        text: '',
        ops: { audience: 'ops', subject: 'monitoring task could not follow the order\'s shipping date', text: `Order ${orderId} now ships ${shipmentDate}; monitoring task ${monitoringId} could not move its booking cutoff.` },
      });
      return;
    }
    await moveShipmentDate(system, shipmentDate, "the order's shipping date moved");
  });

  setHandler(
    changeShipmentDateUpdate,
    async ({ actor, shipmentDate }: ShipmentDateInput) => {
      count('shipmentDateChanges');
      await moveShipmentDate(actor, shipmentDate, `changed by the ${actor.role}`);
      return ack();
    },
    {
      validator: actionBook.validator(changeShipmentDateUpdate, {
        when: (actor) => {
          requireActor(actor, ['buyer', 'supplier'], input, "change the order's shipment date");
          if (MONITORING_TERMINAL.includes(state.status)) refuse(`cannot change the shipment date: the service is ${state.status.toLowerCase()}`);
        },
        check: ({ shipmentDate }: ShipmentDateInput) => {
          if (!isValidDate(shipmentDate)) refuse(`${shipmentDate} is not a date as YYYY-MM-DD`);
          if (shipmentDate === state.shipmentDate) refuse(`the shipment date is already ${shipmentDate}`);
          requireUnder(repeated('shipmentDateChanges'), policy.limits.maxShipmentDateChanges, 'maxShipmentDateChanges', 'change the shipment date again');
          try {
            bookingCutoff(policy, cal, shipmentDate);
          } catch (err) {
            refuse(`cannot use ${shipmentDate}: ${err instanceof Error ? err.message : 'outside the calendar'}`);
          }
          if (state.inspector && shipmentDate < state.inspector.checkDate) {
            refuse(`cannot move the shipment date to ${shipmentDate}: the on-site check is confirmed for ${state.inspector.checkDate}; edit the check date first`);
          }
        },
      }),
    },
  );

  setHandler(
    addProductInfoUpdate,
    async ({ actor, description, picture }: ProductInfoInput) => {
      const party = actor.role === 'ops' ? 'ops' : 'buyer';
      count('productInfo');
      if (description) state.productInfo.description = description;
      if (picture) state.productInfo.pictures.push({ ...picture, uploadedBy: party, uploadedAt: iso(nowMs()) });
      const complete = productInfoMissing().length === 0;
      if (complete) clearKinds('product-info-reminder');
      await change(state.status, {
        type: 'PRODUCT_INFO_ADDED',
        actor,
        summary: picture ? `Sample picture added: ${picture.name}` : 'Product information updated',
        data: { fileId: picture?.fileId, name: picture?.name, complete },
        notify: [],
        subject: '',
        text: '',
      });
      return ack();
    },
    {
      validator: actionBook.validator(addProductInfoUpdate, {
        when: (actor) => {
          requireActor(actor, ['buyer'], input, 'provide product information');
          requireStatus(state.status, BEFORE_CHECK, 'add product information', 'it is provided before the on-site check');
        },
        check: ({ description, picture }: ProductInfoInput) => {
          if (!description && !picture) refuse('nothing to add: give a description or a picture');
          requireUnder(repeated('productInfo'), policy.limits.maxProductInfoUpdates, 'maxProductInfoUpdates', 'update the product information again');
          if (picture && state.productInfo.pictures.length >= policy.uploads.maxPictures) {
            refuse(`cannot add more than ${policy.uploads.maxPictures} sample pictures`);
          }
        },
      }),
    },
  );

  setHandler(
    assignInspectorUpdate,
    async ({ actor, inspector, inspectorId, checkDate }: AssignInspectorInput) => {
      state.inspector = { name: inspector, ...(inspectorId ? { inspectorId } : {}), checkDate, assignedAt: iso(nowMs()) };
      clearKinds('inspector-assignment');
      await change('INSPECTION_SCHEDULED', {
        type: 'INSPECTOR_ASSIGNED',
        actor,
        summary: `Inspector ${inspector} assigned; on-site check confirmed for ${checkDate}`,
        data: { inspector, ...(inspectorId ? { inspectorId } : {}), checkDate, round: state.round },
        notify: ['buyer', 'supplier'],
        subject: `on-site check confirmed for ${checkDate}`,
        text: `Inspector ${inspector} will check the goods of order ${orderId} on site on ${checkDate}.`,
      });
      return ack();
    },
    {
      validator: actionBook.validator(assignInspectorUpdate, {
        when: (actor) => {
          requireActor(actor, [], input, 'assign an inspector');
          requireStatus(state.status, ['AWAITING_INSPECTOR'], 'assign an inspector', state.status === 'AWAITING_PAYMENT' ? 'the fee is not paid yet' : 'an inspector is assigned once per inspection');
        },
        check: ({ checkDate }: AssignInspectorInput) => {
          checkDateAllowed(checkDate);
        },
      }),
    },
  );

  function checkDateAllowed(checkDate: string): void {
    if (!isValidDate(checkDate)) refuse(`${checkDate} is not a date as YYYY-MM-DD`);
    const today = localDate(cal, nowMs());
    if (checkDate < today) refuse(`the check date ${checkDate} is in the past (today is ${today} in ${cal.timeZone})`);
    if (checkDate > state.shipmentDate) refuse(`the check date ${checkDate} is after the shipment date ${state.shipmentDate}`);
  }

  setHandler(
    recordProgressUpdate,
    async ({ actor, percentComplete, expectedCompletionDate, note, photos }: ProgressInput) => {
      const atRisk = expectedCompletionDate !== undefined && expectedCompletionDate > state.shipmentDate;
      state.progress.push({ at: iso(nowMs()), percentComplete, expectedCompletionDate, note, photos: photos ?? [], atRisk });
      await change(state.status, {
        type: atRisk ? 'PRODUCTION_AT_RISK' : 'PROGRESS_RECORDED',
        actor,
        summary: `Production ${percentComplete}% complete${atRisk ? `; expected ${expectedCompletionDate}, after the shipment date ${state.shipmentDate}` : ''}: ${note}`,
        data: { percentComplete, expectedCompletionDate, atRisk },
        notify: atRisk ? ['buyer'] : [],
        subject: `production at risk: expected ${expectedCompletionDate}, shipment date ${state.shipmentDate}`,
        text: `Production for order ${orderId} is ${percentComplete}% complete and expected to finish ${expectedCompletionDate}, after the shipment date ${state.shipmentDate}: ${note}`,
        ops: atRisk
          ? { audience: 'ops', subject: 'production at risk of missing the shipment date', text: `Order ${orderId}: production expected ${expectedCompletionDate}, shipment date ${state.shipmentDate}.` }
          : undefined,
      });
      return ack();
    },
    {
      validator: actionBook.validator(recordProgressUpdate, {
        when: (actor) => {
          requireOpsOrInspector(actor, state.inspector?.inspectorId, input, 'record production progress');
          requireStatus(state.status, ['AWAITING_INSPECTOR', 'INSPECTION_SCHEDULED'], 'record progress', 'progress is followed between payment and the on-site check');
        },
        check: ({ percentComplete, expectedCompletionDate, photos }: ProgressInput) => {
          if (!Number.isInteger(percentComplete) || percentComplete < 0 || percentComplete > 100) refuse('percentComplete must be a whole number from 0 to 100');
          requireUnder(state.progress.length, policy.limits.maxProgressReports, 'maxProgressReports', 'record another progress report');
          if ((photos?.length ?? 0) > policy.limits.maxPhotosPerProgressReport) refuse(`a progress report takes at most ${policy.limits.maxPhotosPerProgressReport} photos (limit maxPhotosPerProgressReport)`);
          if (expectedCompletionDate !== undefined && !isValidDate(expectedCompletionDate)) refuse(`${expectedCompletionDate} is not a date as YYYY-MM-DD`);
        },
      }),
    },
  );

  setHandler(
    recordCheckUpdate,
    async ({ actor, observed, lotSize, sampleInspected, defects, pendingReasons, notes }: RecordCheckInput) => {
      const now = nowMs();
      const { aql, mismatches, result, reasons } = judgeCheck({ proforma: state.proforma, observed, lotSize, sampleInspected, defects, pendingReasons });
      const check: OnSiteCheck = {
        round: state.round,
        inspector: state.inspector?.name ?? 'unknown',
        checkedAt: iso(now),
        observed,
        lotSize,
        sampleInspected,
        defects,
        aql,
        mismatches,
        result,
        reasons,
        notes,
      };
      state.checks.push(check);
      clearKinds('product-info-reminder');
      const reminder = workingDeadline(cal, now, policy.reportReminderWorkingDays);
      const late = workingDeadline(cal, now, policy.reportLateWorkingDays);
      setDeadline({
        id: `report-reminder-r${state.round}`,
        kind: 'report-reminder',
        dueAt: reminder.dueAt,
        rule: `the inspector is reminded ${policy.reportReminderWorkingDays} working day after the on-site check without a report (${calendarWords(cal, reminder.provisional)})`,
        onExpiry: 'the inspector is reminded to upload the report',
        ...(reminder.provisional ? { provisional: true } : {}),
      });
      setDeadline({
        id: `report-late-r${state.round}`,
        kind: 'report-late',
        dueAt: late.dueAt,
        rule: `the report is uploaded within ${policy.reportLateWorkingDays} working days of the on-site check (${calendarWords(cal, late.provisional)})`,
        onExpiry: 'the task is late and ops is paged',
        ...(late.provisional ? { provisional: true } : {}),
      });
      await change('AWAITING_REPORT', {
        type: 'CHECK_RECORDED',
        actor,
        summary: `On-site check recorded (round ${state.round}): ${result}${reasons.length > 0 && result !== 'PASS' ? ` (${reasons.join('; ')})` : ''}`,
        data: { round: state.round, result, reasons, lotSize, sampleInspected, defects, codeLetter: aql.codeLetter },
        notify: [],
        subject: '',
        text: '',
      });
      return ack();
    },
    {
      validator: actionBook.validator(recordCheckUpdate, {
        when: (actor) => {
          requireOpsOrInspector(actor, state.inspector?.inspectorId, input, 'record the on-site check');
          requireStatus(state.status, ['INSPECTION_SCHEDULED'], 'record the on-site check', state.status === 'AWAITING_INSPECTOR' || state.status === 'AWAITING_PAYMENT' ? 'no inspector is assigned yet' : 'the check is already recorded');
          const today = localDate(cal, nowMs());
          if (state.inspector && today < state.inspector.checkDate) refuse(`cannot record the check before its confirmed date ${state.inspector.checkDate} (today is ${today} in ${cal.timeZone})`);
        },
        check: ({ observed, lotSize, sampleInspected, defects }: RecordCheckInput) => {
          if (!Number.isSafeInteger(lotSize) || lotSize < 2) refuse('lotSize must be a whole number of at least 2 units');
          const tooLarge = lotSizeRefusal(state.proforma, observed ?? {}, lotSize);
          if (tooLarge) refuse(tooLarge);
          if (!Number.isSafeInteger(sampleInspected) || sampleInspected < 1 || sampleInspected > lotSize) refuse('sampleInspected must be from 1 to the lot size');
          for (const k of ['critical', 'major', 'minor'] as const) {
            if (!Number.isSafeInteger(defects[k]) || defects[k] < 0 || defects[k] > sampleInspected) refuse(`defects.${k} must be from 0 to the units inspected`);
          }
        },
      }),
    },
  );

  setHandler(
    uploadReportUpdate,
    async ({ actor, file }: UploadReportInput) => {
      const now = nowMs();
      const result = lastCheck()?.result ?? 'PENDING';
      state.reports.push({ ...file, round: state.round, uploadedBy: actor.role === 'inspector' ? 'inspector' : 'ops', uploadedAt: iso(now) });
      clearKinds('report-reminder', 'report-late');
      setDeadline({
        id: `review-window-r${state.round}`,
        kind: 'review-window',
        dueAt: now + policy.reviewWindowDays * DAY_MS,
        rule: `the buyer may review${result === 'FAIL' ? ' or ask for a re-inspection' : ''} within ${policy.reviewWindowDays} days of the report`,
        onExpiry: 'the service completes',
      });
      const failText =
        result === 'FAIL'
          ? ` The goods FAILED inspection: you may open a quality claim on order ${orderId} (POST /orders/${orderId}/claims) or request a re-inspection (POST /monitoring/${monitoringId}/reinspection).`
          : result === 'PENDING'
            ? ` The result is PENDING: ${lastCheck()?.reasons.join('; ')}.`
            : '';
      await change('REPORT_READY', {
        type: 'REPORT_UPLOADED',
        actor,
        summary: `Inspection report uploaded (round ${state.round}, ${result}): ${file.name}${state.late ? ' (late)' : ''}`,
        data: { fileId: file.fileId, name: file.name, round: state.round, result },
        notify: ['buyer'],
        subject: `inspection report ready: ${result}`,
        text: `The Production Monitoring report for order ${orderId} is ready (result: ${result}). Download it from the order: GET /monitoring/${monitoringId}/report.${failText} Please leave a review.`,
      });
      return ack();
    },
    {
      validator: actionBook.validator(uploadReportUpdate, {
        when: (actor) => {
          requireOpsOrInspector(actor, state.inspector?.inspectorId, input, 'upload the inspection report');
          requireStatus(state.status, ['AWAITING_REPORT'], 'upload the report', state.status === 'REPORT_READY' ? 'the report of this inspection is already uploaded' : 'the on-site check is not recorded yet');
        },
      }),
    },
  );

  setHandler(
    editMonitoringUpdate,
    async ({ actor, checkDate, details }: EditMonitoringInput) => {
      count('edits');
      if (details !== undefined) state.details = details;
      if (checkDate !== undefined && state.inspector) state.inspector = { ...state.inspector, checkDate };
      await change(state.status, {
        type: 'EDITED',
        actor,
        summary: `Service edited${checkDate ? `: check date ${checkDate}` : ''}${details ? ': details updated' : ''}`,
        data: { checkDate, details },
        notify: checkDate ? ['buyer', 'supplier'] : [],
        subject: `on-site check moved to ${checkDate}`,
        text: `The on-site check of order ${orderId} is now on ${checkDate}.`,
      });
      return ack();
    },
    {
      validator: actionBook.validator(editMonitoringUpdate, {
        when: (actor) => {
          requireActor(actor, ['buyer'], input, 'edit the monitoring service');
          requireStatus(state.status, BEFORE_CHECK, 'edit the service', 'it can be edited only before the on-site check');
        },
        check: ({ checkDate, details }: EditMonitoringInput) => {
          if (checkDate === undefined && details === undefined) refuse('nothing to edit: give checkDate or details');
          requireUnder(repeated('edits'), policy.limits.maxEdits, 'maxEdits', 'edit the service again');
          if (checkDate !== undefined) {
            if (!state.inspector) refuse('cannot set a check date before an inspector is assigned; ops confirms the first date');
            checkDateAllowed(checkDate);
          }
        },
      }),
    },
  );

  function cancellable(deselect: boolean | undefined): void {
    if (MONITORING_TERMINAL.includes(state.status)) refuse(`cannot cancel: the service is already ${state.status.toLowerCase()}`);
    if (deselect) requireStatus(state.status, BEFORE_CHECK, 'deselect the service', 'it can be deselected only before the on-site check; cancel it instead');
    if (state.status === 'REPORT_READY') refuse('cannot cancel: the report is delivered; leave a review, or after a Fail request a re-inspection or open a claim on the order');
  }

  /**
   * Cancels (or deselects) the service, refunding the fee paid by policy. `stillOpen` is asked again
   * after a charge in flight or unanswered is settled: it refuses (an Update) or answers false (the
   * order's cancellation, which finds the task closed meanwhile), and then nothing changes.
   */
  async function cancelService(actor: Actor, reason: string, deselect: boolean | undefined, stillOpen: () => boolean): Promise<void> {
    if (!stillOpen()) return;
    if (charging) {
      // Judged on what the charge in flight leaves: a paid fee is refunded by policy.
      await chargeSettled();
      if (!stillOpen()) return;
    }
    if (state.uncertainCharge) {
      // A charge the processor never answered is asked again first: taken, it is refunded by policy like any paid fee.
      await settleUncertainCharge();
      if (!stillOpen()) return;
    }
    const decision = cancellationRefund(policy, refundStage(), state.fee.paid - state.fee.refunded);
    const payment = state.payment;
    const refund = payment && decision.amount > 0 ? decision.amount : 0;
    state.fee.refunded += refund;
    state.closedReason = reason;
    state.deadlines = [];
    const word = deselect ? 'deselected' : 'cancelled';
    const unanswered = state.uncertainCharge && unansweredChargeNotice(state.uncertainCharge, word, "the buyer's");
    await change('CANCELLED', {
      type: deselect ? 'DESELECTED' : 'CANCELLED',
      actor,
      summary: `Service ${word}: ${reason}${payment ? `; ${decision.rule}: ${money(refund)} refunded` : ''}${unanswered ? '; a card charge the processor never answered goes to ops' : ''}`,
      data: { reason, refund, stage: decision.stage, percent: decision.percent, ...(state.uncertainCharge ? { unansweredCharge: chargeFacts(state.uncertainCharge) } : {}) },
      notify: ['buyer', 'supplier'],
      subject: `production monitoring ${word}`,
      text: `The Production Monitoring & Inspection service for order ${orderId} is ${word}: ${reason}.${payment ? ` ${decision.rule}: ${money(refund)} is refunded to the ${cardBrandName(payment.brand)} card ending ${payment.last4}.` : ''}${unanswered ? ` ${unanswered.buyer}` : ''}`,
      ...(unanswered ? { ops: unanswered.ops } : {}),
      before: refund > 0 && payment ? () => acts.refundMonitoringFee({ idempotencyKey: `${workflowId}:cancel:refund`, paymentId: payment.paymentId, amount: refund, currency }) : undefined,
    });
    if (state.uncertainCharge) await raiseUnansweredCharge(state.uncertainCharge);
  }

  // The order tells its linked tasks when it is cancelled. A task not yet checked on site is cancelled
  // with it, its fee refunded by the same policy as the buyer's own cancellation; a checked one (the
  // service rendered) goes on to its report.
  const closableByOrder = () => BEFORE_CHECK.includes(state.status);
  setHandler(orderCancelledSignal, async ({ orderId: from, reason }) => {
    // Only the task's own order speaks for it.
    if (from !== orderId) return;
    await cancelService(system, `its order ${orderId} was cancelled: ${reason}`, false, closableByOrder);
  });

  setHandler(
    cancelMonitoringUpdate,
    async ({ actor, reason, deselect }: CancelMonitoringInput) => {
      await cancelService(actor, reason, deselect, () => {
        cancellable(deselect);
        return true;
      });
      return ack();
    },
    {
      validator: actionBook.validator<CancelMonitoringInput>(cancelMonitoringUpdate, {
        variants: [{ name: 'deselect', input: { deselect: true } }],
        when: (actor, { deselect }: Partial<CancelMonitoringInput>) => {
          requireActor(actor, ['buyer'], input, 'cancel the monitoring service');
          cancellable(deselect);
        },
      }),
    },
  );

  setHandler(
    reviewMonitoringUpdate,
    async ({ actor, rating, comment }: ReviewInput) => {
      state.review = { rating, comment, at: iso(nowMs()) };
      state.deadlines = [];
      await change('COMPLETED', {
        type: 'REVIEWED',
        actor,
        summary: `The buyer reviewed the service: ${rating}/5`,
        data: { rating, comment },
        notify: [],
        subject: '',
        text: '',
      });
      return ack();
    },
    {
      validator: actionBook.validator(reviewMonitoringUpdate, {
        when: (actor) => {
          requireActor(actor, ['buyer'], input, 'review the service');
          if (actor.role !== 'buyer') refuse('the review is the buyer\'s own');
          requireStatus(state.status, ['REPORT_READY'], 'review', 'the service is reviewed after the report is uploaded');
        },
        check: ({ rating }: ReviewInput) => {
          if (!Number.isInteger(rating) || rating < 1 || rating > 5) refuse('rating must be a whole number from 1 to 5');
        },
      }),
    },
  );

  setHandler(
    requestReinspectionUpdate,
    async ({ actor }: ActionInput) => {
      const now = nowMs();
      state.round += 1;
      state.inspector = undefined;
      state.late = false;
      clearKinds('review-window');
      state.status = 'AWAITING_INSPECTOR';
      scheduleInspectorAssignment(now);
      await change('AWAITING_INSPECTOR', {
        type: 'REINSPECTION_REQUESTED',
        actor,
        summary: `Re-inspection requested after a Fail: round ${state.round}`,
        data: { round: state.round },
        notify: ['buyer', 'supplier'],
        subject: 're-inspection requested',
        text: `A re-inspection of order ${orderId} was requested after the goods failed inspection. An inspector will be assigned within ${policy.inspectorAssignmentWorkingDays} working days.`,
        ops: { audience: 'ops', subject: 're-inspection: assign an inspector', text: `Monitoring task ${monitoringId} (order ${orderId}) needs a re-inspection (round ${state.round}).` },
      });
      return ack();
    },
    {
      validator: actionBook.validator(requestReinspectionUpdate, {
        when: (actor) => {
          requireActor(actor, ['buyer'], input, 'request a re-inspection');
          requireStatus(state.status, ['REPORT_READY'], 'request a re-inspection', 'a re-inspection follows a delivered report');
          requireUnder(state.round, policy.limits.maxRounds, 'maxRounds', 'request another re-inspection', 'open a quality claim on the order instead');
          if (lastCheck()?.result !== 'FAIL') refuse(`cannot request a re-inspection: the goods did not fail inspection (result ${lastCheck()?.result ?? 'none'})`);
          if (state.shipmentDate < localDate(cal, nowMs())) refuse(`cannot request a re-inspection: the shipment date ${state.shipmentDate} has passed; open a claim on the order instead`);
        },
      }),
    },
  );

  // Linked both ways: the order records this task and tells it when the shipping date moves.
  if (linkedToOrder) {
    void enqueue(async () => {
      const link = await acts.linkMonitoringToOrder({ orderId, monitoringId, shipmentDate: input.shipmentDate });
      // From code revision 1 on, a task whose order closed before it could link (booked just before
      // the cancellation or the expiry) closes as if the order had told it. Not awaited: its change
      // queues behind this effect.
      if (current && link.orderClosed) {
        const how = link.orderClosed === 'EXPIRED' ? 'expired unconfirmed' : 'was cancelled';
        void cancelService(system, `its order ${orderId} ${how} before the task could link to it`, false, closableByOrder);
      }
    });
  }
  await booked;

  // Deadlines: sleep until the earliest falls due or the state changes, then act on what is due.
  await runDeadlines({
    list: core.deadlines,
    take: (id) => core.clearDeadlines((d) => d.id === id),
    wake: core.wake,
    finished: () => MONITORING_TERMINAL.includes(state.status),
    fire,
  });
  await drained();
  await condition(allHandlersFinished);
  return state;
}

