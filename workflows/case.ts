/**
 * afterServiceCaseWorkflow (workflow ID `case:<id>`): one after-service case on an order or a manual
 * order, from the request to the customer's confirmation. The window that admits it, the first reply
 * within 24 h (reminder, then escalation to ops), the resolution executed through idempotent
 * activities, and the automatic closure are rules of the pinned after-service policy.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CaseReadModel } from '../activities/cases';
import { Actor, ACTOR_NOT_ALLOWED, DAY_MS, HOUR_MS } from './common';
import { afterServicePolicy, caseWindow, categoryOf, OrderFacts } from './after-service.policy';
import {
  ActionInput,
  CASE_REFUSED,
  CaseDeadline,
  CaseEvidenceInput,
  CaseInput,
  CaseState,
  CaseStatus,
  ConfirmInput,
  RecallInput,
  ReplyInput,
  Resolution,
  ResolveInput,
  addCaseEvidenceUpdate,
  attemptRecallUpdate,
  confirmCaseUpdate,
  getCaseQuery,
  receiveReturnUpdate,
  replyToCaseUpdate,
  resolveCaseUpdate,
  CaseAck,
} from './case.messages';
import { formatMoney } from './money';
import { availableActionsQuery, createActionBook, processActors } from './actions';
import type { CaseEventType } from './read-model';
import { ChangeHeader, PROCESS_ACTIVITY_OPTIONS, createProcessCore, inputKey, iso, nowMs, refuse, runDeadlines, toOpsQueue, withSummaries } from './process-kit';

/**
 * Cases opened from this version on record each change and its email notices in one activity (one
 * database transaction); earlier cases send their notices as separate activities after the record.
 */
export const CASE_NOTICES_PATCH = 'case-notices-with-change';

/**
 * Cases that meet an effect failed for good from this version on put it on the ops late-task queue
 * and go on. Asked only when an effect fails, so no other history carries its marker.
 */
export const CASE_EFFECTS_PATCH = 'case-effects-to-ops';

const activities = proxyActivities<Activities>(PROCESS_ACTIVITY_OPTIONS);


const OPEN_STATUSES: CaseStatus[] = ['AWAITING_REPLY', 'IN_PROGRESS'];

const NEXT_STEPS: Record<CaseStatus, CaseState['nextStep']> = {
  AWAITING_REPLY: { action: 'reply', by: 'ops', description: 'the after-service team replies to the customer within 24 hours' },
  IN_PROGRESS: { action: 'resolve', by: 'ops', description: 'the team resolves the case: resend, refund, partial refund, return and refund, or a reasoned rejection' },
  AWAITING_RETURN: { action: 'receive-return', by: 'ops', description: 'the customer sends the goods back; the refund follows their arrival' },
  AWAITING_CONFIRMATION: { action: 'confirm', by: 'buyer', description: 'the customer confirms the resolution, or the case closes by itself' },
  CLOSED: { action: 'none', by: 'nobody', description: 'the case is closed' },
};

type Who = 'buyer' | 'supplier';

/** Ops may always act; a buyer or supplier only on a case about their own order. */
function requireActor(actor: Actor, allowed: Who[], input: CaseInput, action: string): void {
  if (actor.role === 'ops') return;
  const own = actor.role === 'buyer' ? input.order.buyerId : actor.role === 'supplier' ? input.order.supplierId : undefined;
  if ((actor.role === 'buyer' || actor.role === 'supplier') && allowed.includes(actor.role) && own !== undefined && actor.partyId === own) return;
  const who = [...allowed.map((p) => `the order's ${p}`), 'ops'].join(' or ');
  throw ApplicationFailure.create({ type: ACTOR_NOT_ALLOWED, message: `only ${who} may ${action}`, nonRetryable: true });
}

function requireStatus(current: CaseStatus, expected: CaseStatus[], action: string): void {
  if (!expected.includes(current)) refuse(`cannot ${action}: the case is ${current.toLowerCase().replace(/_/g, ' ')}`);
}

function factsOf(input: CaseInput): OrderFacts {
  const ms = (v?: string) => (v === undefined ? undefined : Date.parse(v));
  return { paidAt: ms(input.facts.paidAt), shippedAt: ms(input.facts.shippedAt), deliveredAt: ms(input.facts.deliveredAt), recallable: input.facts.recallable };
}

export async function afterServiceCaseWorkflow(input: CaseInput): Promise<CaseState> {
  // Cases started on code revision 1 or later need no patch markers: every earlier change applies.
  const current = (input.codeRevision ?? 0) >= 1;
  const noticesWithChange = current || patched(CASE_NOTICES_PATCH);
  const policy = afterServicePolicy(input.policyVersion);
  const { caseId, order } = input;
  const workflowId = workflowInfo().workflowId;
  const acts = withSummaries(activities, (activity, i) => `${activity} · case ${caseId}${inputKey(i) ? ` · ${inputKey(i)}` : ''}`);
  const openedAtMs = nowMs();
  // The window is checked again here, in workflow time: the API's check is a courtesy, this one decides.
  const window = caseWindow(policy, input.type, factsOf(input), openedAtMs);
  if (!window.open && !input.proactive) {
    throw ApplicationFailure.create({ type: CASE_REFUSED, message: `cannot open a ${input.type} case: ${window.refusal}`, nonRetryable: true });
  }
  const money = (amount: number) => formatMoney(amount, order.currency);
  const openedAt = iso(openedAtMs);
  const actionBook = createActionBook();
  const state: CaseState = {
    caseId,
    type: input.type,
    category: categoryOf(input.type),
    status: 'AWAITING_REPLY',
    order,
    facts: input.facts,
    request: input.request,
    description: input.description,
    proactive: input.proactive,
    window: {
      basis: window.basis,
      opensAt: window.opensAt === undefined ? undefined : iso(window.opensAt),
      closesAt: window.closesAt === undefined ? undefined : iso(window.closesAt),
      rule: input.proactive ? `opened by the weekly tracking self-check (${input.proactive.problem})` : window.rule,
      automatic: window.automatic,
    },
    policyVersion: policy.version,
    evidence: (input.evidence ?? []).map((f) => ({ ...f, addedBy: input.openedBy.role, addedAt: openedAt })),
    messages: [{ at: openedAt, by: input.openedBy, text: input.description }],
    firstReplyDueAt: iso(openedAtMs + policy.firstReplyHours * HOUR_MS),
    late: false,
    refunded: 0,
    deadlines: [],
    nextStep: NEXT_STEPS.AWAITING_REPLY,
    revision: 0,
    openedAt,
    updatedAt: openedAt,
  };
  const refundable = () => order.paidAmount - state.refunded;
  // An action that runs activities before it changes the state holds the case until it is done.
  let acting = false;
  async function exclusively<T>(fn: () => Promise<T>): Promise<T> {
    acting = true;
    try {
      return await fn();
    } finally {
      acting = false;
    }
  }
  const notWhileActing = () => {
    if (acting) refuse('another action on this case is in progress; retry in a moment');
  };
  const tag = `[TradeGuard ${order.orderId} / case ${caseId}]`;
  const ack = (): CaseAck => ({ caseId, status: state.status, revision: state.revision });

  // ---- the process skeleton: revisions, deadlines, search attributes, effects ----------------------
  const core = createProcessCore<CaseStatus, CaseState['nextStep'], CaseDeadline>(state, {
    workflowId,
    policyVersion: policy.version,
    nextSteps: NEXT_STEPS,
    parties: { buyerId: order.buyerId, supplierId: order.supplierId },
    title: () => `After-service case ${caseId} (${state.type}) on order ${order.orderId}`,
    searchAttributes: current ? 'when-changed' : 'every-change',
    effectFailures: toOpsQueue('case', caseId, () => current || patched(CASE_EFFECTS_PATCH), acts),
  });
  const { setDeadline, clearKinds, enqueue, drained } = core;

  function readModel(): CaseReadModel {
    return {
      id: caseId,
      orderId: order.orderId,
      orderSource: order.source,
      type: state.type,
      category: state.category,
      status: state.status,
      buyerId: order.buyerId,
      supplierId: order.supplierId,
      proactive: Boolean(state.proactive),
      problem: state.proactive?.problem,
      resolution: state.resolution?.kind,
      currency: order.currency,
      refundedAmount: state.refunded,
      late: state.late,
      firstReplyDueAt: state.firstReplyDueAt,
      firstRepliedAt: state.firstRepliedAt,
      nextDeadlineAt: state.deadlines[0]?.dueAt,
      policyVersion: state.policyVersion,
      revision: state.revision,
      openedAt: state.openedAt,
      closedAt: state.closedAt,
      updatedAt: state.updatedAt,
      description: state.description,
      deadlines: [...state.deadlines],
    };
  }

  interface Change extends ChangeHeader<CaseEventType> {
    /** An email to the customer (the buyer party, or a manual order's address). */
    customer?: { subject: string; text: string };
    /** An email to the order's supplier. */
    supplier?: { subject: string; text: string };
    ops?: { audience: 'ops' | 'ops-leads'; subject: string; text: string };
  }

  /** Moves the case to a new revision now, and records it (read model, timeline, emails) in order. */
  function change(status: CaseStatus, c: Change): Promise<void> {
    const { event, key } = core.advance(status, c);
    if (status === 'CLOSED') {
      state.closedAt = state.updatedAt;
      core.clearDeadlines(() => true);
    }
    const row = readModel();
    core.publishSearchAttributes();
    const customer = c.customer ? { key, order, subject: `${tag} ${c.customer.subject}`, text: c.customer.text } : undefined;
    const parties = c.supplier && order.supplierId ? { key, partyIds: [order.supplierId], subject: `${tag} ${c.supplier.subject}`, text: c.supplier.text } : undefined;
    const ops = c.ops ? { key, audience: c.ops.audience, subject: `${tag} ${c.ops.subject}`, text: c.ops.text } : undefined;
    return enqueue(async () => {
      if (noticesWithChange) {
        await core.effect(`${c.type}:record`, key, () => acts.recordCaseChange({ case: row, event, notices: { customer, parties, ops } }));
        return;
      }
      await acts.recordCaseChange({ case: row, event });
      if (customer) await acts.notifyCaseCustomer(customer);
      if (parties) await acts.notifyParties(parties);
      if (ops) await acts.notifyOps(ops);
    });
  }

  const system: Actor = { role: 'system' };

  /** Runs a refund through the order (or the ledger); a refusal becomes the action's refusal. */
  async function refund(actor: Actor, step: string, amount: number, reason: string): Promise<void> {
    if (amount <= 0) return;
    const result = await acts.refundForCase({ idempotencyKey: `${workflowId}:${step}`, caseId, order, amount, reason, actor });
    if (!result.ok) refuse(`the refund of ${money(amount)} was refused: ${result.reason}`);
    state.refunded += amount;
  }

  function awaitConfirmation(from: number): void {
    clearKinds('first-reply-reminder', 'first-reply');
    setDeadline({
      id: 'auto-close',
      kind: 'auto-close',
      dueAt: from + policy.autoCloseDays * DAY_MS,
      rule: `a resolved case closes by itself ${policy.autoCloseDays} days after the resolution unless the customer confirms first`,
      onExpiry: 'the case closes as resolved',
    });
  }

  function firstReply(at: number): void {
    if (state.firstRepliedAt) return;
    state.firstRepliedAt = iso(at);
    clearKinds('first-reply-reminder', 'first-reply');
  }

  // ---- firing deadlines -------------------------------------------------------------------------
  async function fire(d: CaseDeadline): Promise<void> {
    switch (d.kind) {
      case 'first-reply-reminder':
        if (state.firstRepliedAt || state.status === 'CLOSED') return;
        await change(state.status, {
          type: 'FIRST_REPLY_REMINDER',
          actor: system,
          summary: `Reminder: the first reply is due by ${state.firstReplyDueAt}`,
          ops: { audience: 'ops', subject: `reminder: reply to case ${caseId} by ${state.firstReplyDueAt}`, text: `Case ${caseId} (${state.type}, order ${order.orderId}) has had no reply. The after-service promise is a first reply within ${policy.firstReplyHours} h: by ${state.firstReplyDueAt}.` },
        });
        return;
      case 'first-reply':
        if (state.firstRepliedAt || state.status === 'CLOSED') return;
        state.late = true;
        await change(state.status, {
          type: 'FIRST_REPLY_MISSED',
          actor: system,
          summary: `No first reply within ${policy.firstReplyHours} h: escalated to ops leads`,
          ops: { audience: 'ops-leads', subject: `LATE: case ${caseId} unanswered for ${policy.firstReplyHours} h`, text: `Case ${caseId} (${state.type}, order ${order.orderId}) opened ${state.openedAt} has had no reply; the first reply was due ${state.firstReplyDueAt}.` },
        });
        return;
      case 'auto-close':
        if (state.status !== 'AWAITING_CONFIRMATION') return;
        state.confirmation = { by: 'system', at: iso(nowMs()) };
        await change('CLOSED', {
          type: 'AUTO_CLOSED',
          actor: system,
          summary: `Closed as resolved: no confirmation within ${policy.autoCloseDays} days of the resolution`,
          customer: { subject: 'case closed', text: `Your after-service case ${caseId} is closed as resolved (${state.resolution?.reason ?? ''}).` },
        });
        return;
    }
  }

  // ---- opening ----------------------------------------------------------------------------------
  setDeadline({
    id: 'first-reply-reminder',
    kind: 'first-reply-reminder',
    dueAt: openedAtMs + policy.firstReplyReminderHours * HOUR_MS,
    rule: `the team is reminded ${policy.firstReplyReminderHours} h after the case opened if nobody has replied`,
    onExpiry: 'the after-service team is reminded to reply',
  });
  setDeadline({
    id: 'first-reply',
    kind: 'first-reply',
    dueAt: Date.parse(state.firstReplyDueAt),
    rule: `every case gets a first reply within ${policy.firstReplyHours} h (the after-service promise)`,
    onExpiry: 'the case is marked late and ops leads are paged',
  });
  const opened = change('AWAITING_REPLY', {
    type: input.proactive ? 'OPENED_PROACTIVELY' : 'OPENED',
    actor: input.openedBy,
    summary: input.proactive
      ? `Tracking case opened by the weekly self-check: ${input.proactive.problem} (carrier status ${input.proactive.carrierStatus})`
      : `${input.type}${input.request ? ` (${input.request})` : ''} case opened: ${input.description}`,
    data: { type: input.type, request: input.request, window: state.window, proactive: input.proactive },
    customer: {
      subject: input.proactive ? 'we are looking into your shipment' : 'we received your after-service request',
      text: input.proactive
        ? `Our weekly tracking check found a problem with the shipment of order ${order.orderId} (${input.proactive.problem.toLowerCase().replace(/_/g, ' ')}). We opened case ${caseId} and will reply within ${policy.firstReplyHours} hours.`
        : `We received your ${input.type.toLowerCase().replace(/_/g, '/')} request for order ${order.orderId} (case ${caseId}). You will hear from us within ${policy.firstReplyHours} hours, by ${state.firstReplyDueAt}.`,
    },
    ops: { audience: 'ops', subject: `new ${input.type} case: first reply due ${state.firstReplyDueAt}`, text: `Case ${caseId} on order ${order.orderId}: ${input.description}` },
  });

  // ---- handlers ---------------------------------------------------------------------------------
  setHandler(getCaseQuery, () => state);
  setHandler(availableActionsQuery, () => actionBook.available(processActors(input.order)));

  setHandler(
    replyToCaseUpdate,
    async ({ actor, message }: ReplyInput) => {
      const now = nowMs();
      const first = !state.firstRepliedAt;
      firstReply(now);
      state.messages.push({ at: iso(now), by: actor, text: message });
      const next = state.status === 'AWAITING_REPLY' ? 'IN_PROGRESS' : state.status;
      await change(next, {
        type: first ? 'FIRST_REPLY' : 'REPLY',
        actor,
        summary: `${first ? 'First reply' : 'Reply'} by ${actor.role}: ${message}`,
        customer: actor.role === 'buyer' ? undefined : { subject: 'a reply to your case', text: message },
        ops: actor.role === 'buyer' ? { audience: 'ops', subject: 'the customer wrote on the case', text: message } : undefined,
      });
      return ack();
    },
    {
      validator: actionBook.validator(replyToCaseUpdate, {
        when: (actor) => {
          requireActor(actor, ['buyer', 'supplier'], input, 'write on the case');
          if (state.status === 'CLOSED') refuse('cannot reply: the case is closed');
          if (actor.role === 'buyer' && !state.firstRepliedAt) refuse('the first reply is the after-service team\'s; add evidence instead, or wait for the reply (due ' + state.firstReplyDueAt + ')');
          if (state.messages.length >= policy.limits.maxMessages) {
            refuse(`cannot write on the case: it holds ${state.messages.length} messages, the most allowed (limit maxMessages = ${policy.limits.maxMessages}); resolve or close it`);
          }
        },
      }),
    },
  );

  setHandler(
    addCaseEvidenceUpdate,
    async ({ actor, file }: CaseEvidenceInput) => {
      state.evidence.push({ ...file, addedBy: actor.role, addedAt: iso(nowMs()) });
      await change(state.status, {
        type: 'EVIDENCE_ADDED',
        actor,
        summary: `Evidence added by ${actor.role}: ${file.name}`,
        data: { fileId: file.fileId, name: file.name, size: file.size },
      });
      return ack();
    },
    {
      validator: actionBook.validator(addCaseEvidenceUpdate, {
        when: (actor) => {
          requireActor(actor, ['buyer'], input, 'add evidence to the case');
          if (state.status === 'CLOSED') refuse('cannot add evidence: the case is closed');
        },
        check: ({ actor, file }: CaseEvidenceInput) => {
          if (state.evidence.some((e) => e.fileId === file.fileId)) refuse(`${file.name} is already attached to the case`);
          const { maxEvidenceFilesPerParty, maxEvidenceBytesPerParty } = policy.limits;
          const own = state.evidence.filter((e) => e.addedBy === actor.role);
          if (own.length >= maxEvidenceFilesPerParty) {
            refuse(`cannot add evidence: the ${actor.role} has added ${own.length} files to the case, the most allowed (limit maxEvidenceFilesPerParty = ${maxEvidenceFilesPerParty})`);
          }
          const bytes = own.reduce((sum, e) => sum + e.size, 0);
          if (bytes + file.size > maxEvidenceBytesPerParty) {
            refuse(`cannot add evidence: the ${actor.role}'s files on the case would total ${bytes + file.size} bytes, over the limit maxEvidenceBytesPerParty = ${maxEvidenceBytesPerParty} bytes`);
          }
        },
      }),
    },
  );

  setHandler(
    resolveCaseUpdate,
    async ({ actor, kind, reason, amount, resend, causedByBuyer, productFine }: ResolveInput) => exclusively(async () => {
      const now = nowMs();
      const decided = { decidedAt: iso(now), decidedBy: actor, reason };
      let resolution: Resolution;
      let next: CaseStatus = 'AWAITING_CONFIRMATION';
      let customerText: string;
      switch (kind) {
        case 'REFUND':
        case 'PARTIAL_REFUND': {
          const value = amount ?? refundable();
          await refund(actor, `refund:${state.revision + 1}`, value, reason);
          resolution = { kind, amount: value, ...decided };
          customerText = `We refunded ${money(value)} for order ${order.orderId}: ${reason}.`;
          break;
        }
        case 'RESEND': {
          const shippingPaidBy = causedByBuyer ? 'buyer' : 'supplier';
          await acts.recordResend({ caseId, order, carrier: resend!.carrier, trackingNumber: resend!.trackingNumber, shippedAt: iso(now), shippingPaidBy });
          resolution = { kind, resend, shippingPaidBy, ...decided };
          customerText = `We resent the goods of order ${order.orderId} with ${resend!.carrier}, tracking ${resend!.trackingNumber}: ${reason}.${causedByBuyer ? ' The resend was caused on the buyer\'s side, so its shipping is at the buyer\'s cost.' : ''}`;
          break;
        }
        case 'RETURN_AND_REFUND': {
          const value = amount ?? refundable();
          const shippingPaidBy = productFine ? 'buyer' : 'supplier';
          resolution = { kind, amount: value, shippingPaidBy, ...decided };
          next = 'AWAITING_RETURN';
          customerText = `Please send the goods of order ${order.orderId} back; ${money(value)} is refunded when they arrive. Return shipping is at the ${shippingPaidBy === 'buyer' ? "buyer's cost (the product is fine: a no-reason return)" : "supplier's cost"}.`;
          break;
        }
        case 'REJECTED':
          resolution = { kind, ...decided };
          next = 'CLOSED';
          customerText = `Your after-service request for order ${order.orderId} was not accepted: ${reason}.`;
          break;
      }
      firstReply(now);
      state.resolution = resolution;
      if (next === 'AWAITING_CONFIRMATION') awaitConfirmation(now);
      else clearKinds('first-reply-reminder', 'first-reply');
      await change(next, {
        type: `RESOLVED_${kind}`,
        actor,
        summary: `Resolved: ${kind.toLowerCase().replace(/_/g, ' ')}${resolution.amount !== undefined ? ` ${money(resolution.amount)}` : ''}: ${reason}`,
        data: { resolution },
        customer: { subject: kind === 'REJECTED' ? 'your request was not accepted' : 'your case is resolved', text: customerText },
        supplier: kind === 'RESEND' || kind === 'RETURN_AND_REFUND' ? { subject: `after-service: ${kind.toLowerCase().replace(/_/g, ' ')}`, text: customerText } : undefined,
      });
      return ack();
    }),
    {
      validator: actionBook.validator(resolveCaseUpdate, {
        when: (actor) => {
          notWhileActing();
          requireActor(actor, [], input, 'resolve a case');
          requireStatus(state.status, OPEN_STATUSES, 'resolve');
        },
        check: ({ kind, amount, resend, reason }: ResolveInput) => {
          if (!reason?.trim()) refuse('a resolution needs a reason the customer can read');
          if (state.type === 'CHANGE_CANCEL' && kind !== 'REJECTED') refuse('a change/cancel request is settled by a recall attempt (POST …/recall) or rejected with a reason');
          if (kind === 'RESEND' && !resend) refuse('a resend needs the new parcel: resend.carrier and resend.trackingNumber');
          if (kind === 'RESEND' && state.type === 'RETURN') refuse('a no-reason return is refunded after the goods come back, not resent');
          if (kind === 'PARTIAL_REFUND' && amount === undefined) refuse('a partial refund needs an amount');
          if (kind === 'REFUND' || kind === 'PARTIAL_REFUND' || kind === 'RETURN_AND_REFUND') {
            const value = amount ?? refundable();
            if (refundable() <= 0) refuse(`nothing is left to refund: ${money(order.paidAmount)} paid, ${money(state.refunded)} refunded`);
            if (!Number.isSafeInteger(value) || value <= 0) refuse('the refund amount must be a positive whole number of minor units');
            if (value > refundable()) refuse(`cannot refund ${money(value)}: at most ${money(refundable())} is refundable (${money(order.paidAmount)} paid)`);
            if (kind === 'PARTIAL_REFUND' && value === refundable()) refuse(`${money(value)} is everything refundable: resolve as REFUND instead`);
          }
        },
      }),
    },
  );

  setHandler(
    receiveReturnUpdate,
    async ({ actor, note }: ActionInput & { note?: string }) => exclusively(async () => {
      const now = nowMs();
      const value = state.resolution?.amount ?? 0;
      await refund(actor, 'return-refund', value, `return received for case ${caseId}`);
      awaitConfirmation(now);
      await change('AWAITING_CONFIRMATION', {
        type: 'RETURN_RECEIVED',
        actor,
        summary: `Return received${note ? ` (${note})` : ''}; ${money(value)} refunded`,
        data: { amount: value, note },
        customer: { subject: 'return received: refund sent', text: `Your return for order ${order.orderId} arrived; ${money(value)} is refunded.` },
      });
      return ack();
    }),
    {
      validator: actionBook.validator(receiveReturnUpdate, {
        when: (actor) => {
          requireActor(actor, [], input, 'record a returned parcel');
          notWhileActing();
          requireStatus(state.status, ['AWAITING_RETURN'], 'record the return');
        },
      }),
    },
  );

  setHandler(
    attemptRecallUpdate,
    async ({ actor, note, succeeded }: RecallInput) => exclusively(async () => {
      const now = nowMs();
      firstReply(now);
      let ok: boolean;
      let why: string;
      if (state.request === 'CANCEL') {
        const result = await acts.cancelOrderForCase({ key: `${workflowId}:recall`, caseId, order, actor, reason: `recall for case ${caseId}: ${note}` });
        ok = result.ok;
        why = result.ok ? note : result.reason;
      } else {
        ok = succeeded === true;
        why = note;
      }
      state.resolution = { kind: ok ? (state.request === 'CANCEL' ? 'ORDER_CANCELLED' : 'CHANGE_ACCEPTED') : 'RECALL_FAILED', reason: why, decidedAt: iso(now), decidedBy: actor };
      if (ok) awaitConfirmation(now);
      await change(ok ? 'AWAITING_CONFIRMATION' : 'CLOSED', {
        type: ok ? 'RECALL_SUCCEEDED' : 'RECALL_FAILED',
        actor,
        summary: ok ? `Recall succeeded: ${why}` : `Recall failed: ${why}`,
        data: { request: state.request, note, reason: why },
        customer: {
          subject: ok ? `your ${state.request === 'CANCEL' ? 'cancellation' : 'change'} went through` : 'your request could not be carried out',
          text: ok
            ? `Order ${order.orderId} was recalled: your ${state.request === 'CANCEL' ? 'cancellation is done and the payment is refunded' : 'change is applied'}.`
            : `We tried to recall order ${order.orderId} but could not: ${why}.`,
        },
        supplier: ok && state.request === 'CHANGE' ? { subject: 'change to apply', text: `Apply the buyer's change to order ${order.orderId}: ${input.description}` } : undefined,
      });
      return ack();
    }),
    {
      validator: actionBook.validator(attemptRecallUpdate, {
        when: (actor) => {
          notWhileActing();
          requireActor(actor, [], input, 'attempt a recall');
          if (state.type !== 'CHANGE_CANCEL') refuse('only a change/cancel request is settled by a recall');
          requireStatus(state.status, OPEN_STATUSES, 'attempt a recall');
        },
        check: ({ succeeded }: RecallInput) => {
          if (state.request === 'CHANGE' && succeeded === undefined) refuse('say whether the change could still be applied: succeeded true or false');
        },
      }),
    },
  );

  setHandler(
    confirmCaseUpdate,
    async ({ actor, satisfied, comment }: ConfirmInput) => {
      state.confirmation = { by: 'customer', at: iso(nowMs()), satisfied, comment };
      await change('CLOSED', {
        type: 'CONFIRMED',
        actor,
        summary: `The customer confirmed the resolution (${satisfied ? 'satisfied' : 'not satisfied'})${comment ? `: ${comment}` : ''}`,
        data: { satisfied, comment },
        ops: satisfied ? undefined : { audience: 'ops', subject: 'customer not satisfied with a resolution', text: `Case ${caseId}: ${comment ?? 'no comment'}` },
      });
      return ack();
    },
    {
      validator: actionBook.validator(confirmCaseUpdate, {
        when: (actor) => {
          requireActor(actor, ['buyer'], input, 'confirm the resolution');
          requireStatus(state.status, ['AWAITING_CONFIRMATION'], 'confirm');
        },
      }),
    },
  );

  await opened;

  // A change or cancellation inside its automatic window is accepted without review.
  if (input.type === 'CHANGE_CANCEL' && window.automatic && !input.proactive) {
    const now = nowMs();
    let ok = true;
    let why = `inside the automatic window (${window.rule})`;
    if (input.request === 'CANCEL') {
      const result = await acts.cancelOrderForCase({ key: `${workflowId}:automatic`, caseId, order, actor: input.openedBy, reason: `cancelled through case ${caseId}: ${input.description}` });
      ok = result.ok;
      if (!result.ok) why = result.reason;
    }
    if (ok) {
      firstReply(now);
      state.resolution = { kind: input.request === 'CANCEL' ? 'ORDER_CANCELLED' : 'CHANGE_ACCEPTED', reason: why, decidedAt: iso(now), decidedBy: system };
      awaitConfirmation(now);
      await change('AWAITING_CONFIRMATION', {
        type: 'ACCEPTED_AUTOMATICALLY',
        actor: system,
        summary: `${input.request === 'CANCEL' ? 'Cancellation' : 'Change'} accepted automatically: ${why}`,
        data: { request: input.request },
        customer: {
          subject: `your ${input.request === 'CANCEL' ? 'cancellation' : 'change'} is accepted`,
          text: input.request === 'CANCEL' ? `Order ${order.orderId} is cancelled and the payment refunded.` : `Your change to order ${order.orderId} is accepted: ${input.description}`,
        },
        supplier: input.request === 'CHANGE' ? { subject: 'change to apply', text: `The buyer changed order ${order.orderId} within the automatic window: ${input.description}` } : undefined,
      });
    } else {
      await change(state.status, {
        type: 'AUTOMATIC_CANCEL_REFUSED',
        actor: system,
        summary: `The order refused the automatic cancellation: ${why}; the team takes it from here`,
        data: { reason: why },
        ops: { audience: 'ops', subject: 'automatic cancellation refused: review the case', text: `Case ${caseId} on order ${order.orderId}: ${why}` },
      });
    }
  }

  // Deadlines: sleep until the earliest falls due or the state changes, then act on what is due.
  await runDeadlines({
    list: core.deadlines,
    take: (id) => core.clearDeadlines((d) => d.id === id),
    wake: core.wake,
    finished: () => state.status === 'CLOSED',
    fire,
  });
  await drained();
  await condition(allHandlersFinished);
  return state;
}
