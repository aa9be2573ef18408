/**
 * purchaseOrderRequestWorkflow (workflow ID `po-request:<id>`): the buyer's purchase order request to
 * one supplier (seed 003, step 3a). The supplier drafts the purchase order from it: the request starts
 * the order's workflow (`order:<id>`) as a child that outlives it, so one request is drafted once, by
 * its own supplier, for its own buyer. A request no draft follows within the pinned policy's window
 * expires; the buyer may withdraw it and the supplier decline it.
 *
 * Its own workflow rather than a state of the order: it exists before any order (and often none
 * follows), it is addressed by its own id, and it keeps the order's history and versions as they are.
 * It has no table of its own: its state and events are read from the workflow, and requests are
 * listed through Temporal's visibility (search attributes).
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { UpdateDefinition, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { ACTION_REFUSED, Actor, DAY_MS } from './common';
import { formatMoney } from './money';
import { Validation, availableActionsQuery, createActionBook, processActors } from './actions';
import type { PurchaseRequestEventType } from './read-model';
import { orderStartMetadata } from './ui-metadata';
import { ORDER_WORKFLOW_TYPE, SHIPPING_PERIOD_CODE_REVISION, TradeOrderInput, orderWorkflowId } from './order.messages';
import { checkDraft, orderPolicy, orderTotal } from './order.policy';
import {
  DeclineRequestInput,
  DraftFromRequestInput,
  INVALID_REQUEST,
  PURCHASE_REQUEST_TERMINAL,
  PurchaseOrderRequestInput,
  PurchaseRequestAck,
  PurchaseRequestDeadline,
  PurchaseRequestState,
  PurchaseRequestStatus,
  WithdrawRequestInput,
  declineRequestUpdate,
  draftOrderFromRequestUpdate,
  getPurchaseRequestQuery,
  withdrawRequestUpdate,
} from './po-request.messages';
import { checkRequest, purchaseRequestPolicy } from './po-request.policy';
import { ChangeHeader, PROCESS_ACTIVITY_OPTIONS, Party, createLock, createProcessCore, inputKey, iso, nowMs, refuse, requireParty, runDeadlinesSerially, withSummaries } from './process-kit';

const activities = proxyActivities<Activities>(PROCESS_ACTIVITY_OPTIONS);

const NEXT_STEPS: Record<PurchaseRequestStatus, PurchaseRequestState['nextStep']> = {
  OPEN: { action: 'draft', by: 'supplier', description: 'the supplier drafts the purchase order from the request (POST /orders with requestId)' },
  DRAFTED: { action: 'none', by: 'nobody', description: 'the purchase order is drafted: the buyer reviews and confirms it' },
  EXPIRED: { action: 'none', by: 'nobody', description: 'no purchase order was drafted in time' },
  WITHDRAWN: { action: 'none', by: 'nobody', description: 'the buyer withdrew the request' },
  DECLINED: { action: 'none', by: 'nobody', description: 'the supplier declined the request' },
};

export async function purchaseOrderRequestWorkflow(input: PurchaseOrderRequestInput): Promise<PurchaseRequestState> {
  const policy = purchaseRequestPolicy(input.policyVersion);
  const { requestId, buyerId, supplierId } = input;
  const workflowId = workflowInfo().workflowId;
  const acts = withSummaries(activities, (activity, i) => `${activity} · request ${requestId}${inputKey(i) ? ` · ${inputKey(i)}` : ''}`);
  const startedAt = nowMs();
  const problems = checkRequest(input, policy, iso(startedAt).slice(0, 10));
  if (problems.length > 0) {
    throw ApplicationFailure.create({ type: INVALID_REQUEST, message: problems.map((p) => `${p.field}: ${p.reason}`).join('; '), nonRetryable: true });
  }
  const createdAt = iso(startedAt);
  const state: PurchaseRequestState = {
    requestId,
    status: 'OPEN',
    buyerId,
    supplierId,
    items: input.items,
    desiredShippingDate: input.desiredShippingDate,
    ...(input.qualityRequirements ? { qualityRequirements: input.qualityRequirements } : {}),
    message: input.message,
    policyVersion: policy.version,
    deadlines: [],
    events: [],
    nextStep: NEXT_STEPS.OPEN,
    revision: 0,
    createdAt,
    updatedAt: createdAt,
  };
  // ---- the process skeleton: revisions, deadlines, search attributes, effects ----------------------
  const core = createProcessCore<PurchaseRequestStatus, PurchaseRequestState['nextStep'], PurchaseRequestDeadline>(state, {
    workflowId,
    policyVersion: policy.version,
    nextSteps: NEXT_STEPS,
    parties: { buyerId, supplierId },
    title: () => `Purchase order request ${requestId}: buyer ${buyerId} to supplier ${supplierId}`,
    // Every change of a request moves both its status and its next deadline (it opens with the
    // expiry, and each later change closes it and clears the expiry), so 'when-changed' upserts
    // exactly what the request's first version recorded: the parties, status and deadline on
    // submission, then status and deadline.
    searchAttributes: 'when-changed',
    // No route to ops: the late-task queue keeps no purchase order requests, and a request's only
    // effect is a notice. A notice that fails for good fails its change, as it always has.
  });
  const { setDeadline, clearDeadlines, enqueue, drained } = core;
  const lock = createLock();
  const system: Actor = { role: 'system' };
  const partyIds = (parties: Party[]) => parties.map((p) => (p === 'buyer' ? buyerId : supplierId));
  const closed = () => PURCHASE_REQUEST_TERMINAL.includes(state.status);

  interface Change extends ChangeHeader<PurchaseRequestEventType> {
    notify: Party[];
    subject: string;
    text: string;
  }

  /** Moves the request on, and tells the parties (one outbox row per recipient, keyed by the change). */
  function change(status: PurchaseRequestStatus, c: Change): Promise<void> {
    const { event, key } = core.advance(status, c);
    // The request has no table: its timeline is its state's own list of events.
    state.events.push({ seq: event.seq, type: event.type, at: event.occurredAt, actor: c.actor, summary: event.summary });
    core.publishSearchAttributes();
    const notice = { key, partyIds: partyIds(c.notify), subject: `[TradeGuard request ${requestId}] ${c.subject}`, text: c.text };
    return enqueue(async () => {
      if (c.notify.length > 0) await acts.notifyParties(notice);
    });
  }

  const ack = (): PurchaseRequestAck => ({ requestId, status: state.status, revision: state.revision, ...(state.orderId ? { orderId: state.orderId } : {}) });
  const requireOpen = (action: string) => {
    if (drafting) refuse(`cannot ${action}: the supplier's purchase order is being drafted from this request`);
    if (state.status !== 'OPEN') {
      refuse(`cannot ${action}: the request is ${state.status.toLowerCase()}${state.orderId ? ` (purchase order ${state.orderId})` : ''}${state.closedReason ? `: ${state.closedReason}` : ''}`);
    }
  };

  const actionBook = createActionBook();

  /** Registers an Update whose validator refuses early and whose handler checks again under the lock. */
  function onUpdate<A extends { actor: Actor }>(
    def: UpdateDefinition<PurchaseRequestAck, [A]>,
    validation: Validation<A>,
    run: (a: A) => Promise<void>,
  ): void {
    const validate = actionBook.validator(def, validation);
    setHandler(
      def,
      async (a: A) => {
        await lock.run(async () => {
          validate(a);
          await run(a);
        });
        return ack();
      },
      { validator: validate },
    );
  }

  // ---- submitted -------------------------------------------------------------------------------
  setDeadline({
    id: 'request-expiry',
    kind: 'request-expiry',
    dueAt: startedAt + policy.expiryDays * DAY_MS,
    rule: `a purchase order request the supplier has not drafted an order from within ${policy.expiryDays} days expires`,
    onExpiry: 'the request expires and the buyer is told',
  });
  const products = input.items.map((i) => `${i.quantity} × ${i.description}`).join(', ');
  const submitted = change('OPEN', {
    type: 'REQUEST_SUBMITTED',
    actor: input.createdBy,
    summary: `Purchase order requested: ${products}, shipping by ${input.desiredShippingDate}`,
    notify: ['supplier'],
    subject: 'new purchase order request',
    text:
      `Buyer ${buyerId} asks you for a purchase order (request ${requestId}): ${products}; desired shipping date ${input.desiredShippingDate}.` +
      `${input.qualityRequirements ? ` Quality requirements: ${input.qualityRequirements}.` : ''} Message: ${input.message}. ` +
      `Draft the purchase order from it (POST /orders with requestId ${requestId}) within ${policy.expiryDays} days, or decline it.`,
  });

  setHandler(getPurchaseRequestQuery, () => state);
  setHandler(availableActionsQuery, () => actionBook.available(processActors(input)));

  /** The supplier's draft is starting the order: other actions wait for its answer. */
  let drafting = false;

  onUpdate<DraftFromRequestInput>(
    draftOrderFromRequestUpdate,
    {
      when: (actor) => {
        requireParty(actor, ['supplier'], input, 'draft a purchase order from this request');
        requireOpen('draft a purchase order');
      },
      check: ({ buyerId: forBuyer, supplierId: bySupplier, terms, orderPolicyVersion, orderCodeRevision }) => {
        if (forBuyer !== buyerId) refuse(`cannot draft for buyer ${forBuyer}: request ${requestId} is from buyer ${buyerId}`);
        if (bySupplier !== undefined && bySupplier !== supplierId) refuse(`cannot draft as supplier ${bySupplier}: request ${requestId} was sent to supplier ${supplierId}`);
        // The order's own start checks the same (requests sent by earlier code name no code revision).
        const shippingPeriod = (orderCodeRevision ?? 0) >= SHIPPING_PERIOD_CODE_REVISION;
        const draftProblems = checkDraft(terms, orderPolicy(orderPolicyVersion), iso(nowMs()).slice(0, 10), { shippingPeriod });
        if (draftProblems.length > 0) refuse(`cannot draft: ${draftProblems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`);
      },
    },
    async ({ actor, orderId, terms, orderPolicyVersion, orderCodeRevision }) => {
      drafting = true;
      const order: TradeOrderInput = { orderId, buyerId, supplierId, terms, policyVersion: orderPolicyVersion, createdBy: actor, requestId, ...(orderCodeRevision !== undefined ? { codeRevision: orderCodeRevision } : {}) };
      try {
        // The order outlives the request: it runs on when the request's workflow has ended.
        await startChild(ORDER_WORKFLOW_TYPE, {
          workflowId: orderWorkflowId(orderId),
          args: [order],
          ...orderStartMetadata(order),
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          throw ApplicationFailure.create({ type: ACTION_REFUSED, message: `cannot draft: order ${orderId} already exists; choose another order id`, nonRetryable: true });
        }
        throw err;
      } finally {
        drafting = false;
      }
      state.orderId = orderId;
      state.closedReason = `purchase order ${orderId} was drafted from it`;
      clearDeadlines(() => true);
      await change('DRAFTED', {
        type: 'ORDER_DRAFTED',
        actor,
        summary: `Purchase order ${orderId} drafted from the request: ${formatMoney(orderTotal(terms.items), terms.currency)}, shipping by ${terms.shippingDate}`,
        // The order's own notice asks the buyer to review and confirm it.
        notify: [],
        subject: '',
        text: '',
      });
    },
  );

  onUpdate<WithdrawRequestInput>(
    withdrawRequestUpdate,
    {
      when: (actor) => {
        requireParty(actor, ['buyer'], input, 'withdraw the request');
        requireOpen('withdraw the request');
      },
    },
    async ({ actor, reason }) => {
      state.closedReason = `withdrawn by the buyer${reason ? `: ${reason}` : ''}`;
      clearDeadlines(() => true);
      await change('WITHDRAWN', {
        type: 'REQUEST_WITHDRAWN',
        actor,
        summary: `Request withdrawn by the buyer${reason ? `: ${reason}` : ''}`,
        notify: ['supplier'],
        subject: 'purchase order request withdrawn',
        text: `Buyer ${buyerId} withdrew purchase order request ${requestId}${reason ? `: ${reason}` : ''}.`,
      });
    },
  );

  onUpdate<DeclineRequestInput>(
    declineRequestUpdate,
    {
      when: (actor) => {
        requireParty(actor, ['supplier'], input, 'decline the request');
        requireOpen('decline the request');
      },
    },
    async ({ actor, reason }) => {
      state.closedReason = `declined by the supplier: ${reason}`;
      clearDeadlines(() => true);
      await change('DECLINED', {
        type: 'REQUEST_DECLINED',
        actor,
        summary: `Request declined by the supplier: ${reason}`,
        notify: ['buyer'],
        subject: 'purchase order request declined',
        text: `Supplier ${supplierId} declined your purchase order request ${requestId}: ${reason}.`,
      });
    },
  );

  await submitted;

  await runDeadlinesSerially({
    list: core.deadlines,
    finished: closed,
    fire: (id) =>
      lock.run(async () => {
        const due = state.deadlines.find((d) => d.id === id);
        if (!due || Date.parse(due.dueAt) > nowMs() || state.status !== 'OPEN') return;
        state.closedReason = `no purchase order was drafted within ${policy.expiryDays} days`;
        clearDeadlines(() => true);
        await change('EXPIRED', {
          type: 'REQUEST_EXPIRED',
          actor: system,
          summary: `Request expired: no purchase order was drafted from it within ${policy.expiryDays} days`,
          notify: ['buyer', 'supplier'],
          subject: 'purchase order request expired',
          text: `Purchase order request ${requestId} expired: supplier ${supplierId} drafted no purchase order from it within ${policy.expiryDays} days. The buyer may submit a new request.`,
        });
      }),
  });
  await condition(allHandlersFinished);
  await drained();
  return state;
}
