/**
 * The order workflow's first version, frozen: orders whose histories carry no ORDER_RULES_PATCH
 * marker run here, and issue exactly the commands that version did (record each change, then email
 * its parties; hold each payment, release on receipt). Draft, confirmations, payment, shipment,
 * delivery and receipt; no deadlines, claims, cancellation or search attributes: an action of a
 * later version is refused with a message saying so.
 *
 * Nothing here changes with later versions; a change to how these orders behave would be a
 * nondeterminism error on their replay. `tradeOrderWorkflow` branches here once, at its start.
 */
import { ApplicationFailure, allHandlersFinished, condition, getExternalWorkflowHandle, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { Activities } from '../activities';
import type { OrderReadModel } from '../activities/orders';
import { Actor } from './common';
import { EscrowAccount, applyPayment, applyRelease } from './escrow';
import { formatMoney } from './money';
import { Validation, availableActionsQuery, createActionBook, processActors } from './actions';
import { monitoringWorkflowId, orderShipmentDateSignal } from './monitoring.messages';
import type { OrderChange } from './order-claims';
import {
  ActionInput,
  Deadline,
  INVALID_DRAFT,
  NextStep,
  ORDER_NEXT_STEPS,
  OrderAck,
  OrderState,
  OrderStatus,
  PaymentInput,
  ShipInput,
  TERMINAL_STATUSES,
  TradeOrderInput,
  acceptCounterOfferUpdate,
  addEvidenceUpdate,
  afterServiceRefundUpdate,
  cancelOrderUpdate,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  decideClaimUpdate,
  escalateClaimUpdate,
  extendReceivingUpdate,
  extendShippingUpdate,
  getOrderQuery,
  leaveFeedbackUpdate,
  linkMonitoringSignal,
  markDeliveredUpdate,
  openClaimUpdate,
  payUpdate,
  requestChangesUpdate,
  requestEvidenceUpdate,
  respondToClaimUpdate,
  reviseDraftUpdate,
  shipUpdate,
  withdrawClaimUpdate,
} from './order.messages';
import { checkDraft, orderPolicy, orderTotal } from './order.policy';
import { Party, PROCESS_ACTIVITY_OPTIONS, createProcessCore, inputKey, iso, nowMs, refuse, requireParty, toOpsQueue, withSummaries } from './process-kit';

const activities = proxyActivities<Activities>(PROCESS_ACTIVITY_OPTIONS);

/** The actions of later versions, each refused on these orders (in the words of its validator). */
const LATER_ACTIONS: [UpdateDefinition<OrderAck, [ActionInput]>, string][] = [
  [requestChangesUpdate, 'request changes'],
  [reviseDraftUpdate, 'revise the draft'],
  [cancelOrderUpdate, 'cancel'],
  [extendShippingUpdate, 'extend the shipping date'],
  [extendReceivingUpdate, 'extend the receiving window'],
  [leaveFeedbackUpdate, 'leave feedback'],
  [afterServiceRefundUpdate, 'refund through an after-service case'],
  [openClaimUpdate, 'open a claim'],
  [respondToClaimUpdate, 'answer a claim'],
  [acceptCounterOfferUpdate, 'accept a counter-offer'],
  [escalateClaimUpdate, 'escalate a claim'],
  [withdrawClaimUpdate, 'withdraw a claim'],
  [decideClaimUpdate, 'decide a claim'],
  [addEvidenceUpdate, 'add evidence'],
  [requestEvidenceUpdate, 'request evidence'],
];

function requireStatus(current: OrderStatus, expected: OrderStatus[], action: string, why: string): void {
  if (!expected.includes(current)) refuse(`cannot ${action}: ${why} (order is ${current})`);
}

export async function runFirstVersionOrder(input: TradeOrderInput): Promise<OrderState> {
  const policy = orderPolicy(input.policyVersion);
  const problems = checkDraft(input.terms, policy);
  if (problems.length > 0) {
    throw ApplicationFailure.create({ type: INVALID_DRAFT, message: problems.map((p) => `${p.field}: ${p.reason}`).join('; '), nonRetryable: true });
  }

  const { orderId, buyerId, supplierId, terms } = input;
  const workflowId = workflowInfo().workflowId;
  const acts = withSummaries(activities, (activity, i) => `${activity} · order ${orderId}${inputKey(i) ? ` · ${inputKey(i)}` : ''}`);
  const currency = terms.currency;
  const total = orderTotal(terms.items);
  const createdAt = iso(nowMs());
  const state: OrderState = {
    orderId,
    status: 'DRAFT',
    buyerId,
    supplierId,
    terms,
    policyVersion: policy.version,
    amounts: { currency, total, deposit: terms.depositAmount, balance: total - terms.depositAmount, paid: 0, held: 0, released: 0 },
    nextStep: ORDER_NEXT_STEPS.DRAFT,
    revision: 0,
    createdAt,
    updatedAt: createdAt,
  };
  const money = (amount: number) => formatMoney(amount, currency);
  const partyIds = (parties: Party[]) => parties.map((p) => (p === 'buyer' ? buyerId : supplierId));
  const system: Actor = { role: 'system' };

  function account(): EscrowAccount {
    const a = state.amounts;
    return { currency, paid: a.paid, held: a.held, covered: 0, refunded: 0, claimRefunded: 0, released: a.released, recovered: 0 };
  }
  function setAccount(a: EscrowAccount): void {
    Object.assign(state.amounts, { paid: a.paid, held: a.held, released: a.released });
  }

  const core = createProcessCore<OrderStatus, NextStep, Deadline>(state, {
    workflowId,
    policyVersion: policy.version,
    nextSteps: ORDER_NEXT_STEPS,
    parties: { buyerId, supplierId },
    title: () => `Order ${orderId}: buyer ${buyerId}, supplier ${supplierId}, ${money(state.amounts.total)}`,
    searchAttributes: 'none',
    // An effect that fails stops the order's later effects, as it did in this version.
    effectFailures: toOpsQueue('order', orderId, () => false, acts),
  });
  const { enqueue, drained } = core;

  function readModel(): OrderReadModel {
    return {
      id: orderId,
      status: state.status,
      buyerId,
      supplierId,
      currency,
      totalAmount: state.amounts.total,
      depositAmount: state.amounts.deposit,
      paidAmount: state.amounts.paid,
      heldAmount: state.amounts.held,
      releasedAmount: state.amounts.released,
      shippingDate: terms.shippingDate,
      policyVersion: state.policyVersion,
      revision: state.revision,
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
      paidAt: state.paidAt,
      deliveredAt: state.deliveredAt,
      shipment: state.shipment && { carrier: state.shipment.carrier, trackingNumber: state.shipment.trackingNumber, shippedAt: state.shipment.shippedAt },
    };
  }

  /** Moves the order to a new revision now; records it, then emails its parties, in order. */
  function change(status: OrderStatus, c: OrderChange): Promise<void> {
    const { event, key } = core.advance(status, c);
    const order = readModel();
    const parties = c.notify.length > 0 ? { key, partyIds: partyIds(c.notify), subject: `[TradeGuard ${orderId}] ${c.subject}`, text: c.text } : undefined;
    return enqueue(async () => {
      if (c.before) await core.effect(`${c.type}:money`, key, c.before);
      await acts.recordOrderChange({ order, event });
      if (parties) await acts.notifyParties(parties);
    });
  }

  const actionBook = createActionBook();
  const ack = (): OrderAck => ({ orderId, status: state.status, revision: state.revision });
  function onUpdate<A extends { actor: Actor }>(def: UpdateDefinition<OrderAck, [A]>, validation: Validation<A>, run: (a: A) => Promise<void>): void {
    const validate = actionBook.validator(def, validation);
    setHandler(
      def,
      async (a: A) => {
        await run(a);
        return ack();
      },
      { validator: validate },
    );
  }
  const requireActor = (actor: Actor, allowed: Party[], action: string) => requireParty(actor, allowed, input, action);

  // The draft is revision 1 before any handler exists: an update delivered with the start is
  // dispatched as soon as its handler is registered, and must find the draft in place.
  const drafted = change('DRAFT', {
    type: 'DRAFTED',
    actor: input.createdBy,
    summary: `Purchase order drafted: ${terms.items.length} item(s), ${money(total)}, deposit ${money(terms.depositAmount)}`,
    data: { total, deposit: terms.depositAmount, currency, shippingDate: terms.shippingDate, ...(input.requestId ? { requestId: input.requestId } : {}) },
    notify: ['buyer'],
    subject: 'new purchase order to confirm',
    text: `Supplier ${supplierId} drafted purchase order ${orderId}${input.requestId ? ` from your request ${input.requestId}` : ''} for ${money(total)} (deposit ${money(terms.depositAmount)}, shipping by ${terms.shippingDate}). Please review and confirm it, or ask for changes.`,
  });

  setHandler(getOrderQuery, () => state);
  setHandler(availableActionsQuery, () => actionBook.available(processActors(input)));

  onUpdate(
    confirmByBuyerUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['buyer'], 'confirm the purchase order as buyer');
        requireStatus(state.status, ['DRAFT'], 'confirm as buyer', "only a draft awaits the buyer's confirmation");
      },
    },
    async ({ actor }: ActionInput) => {
      await change('BUYER_CONFIRMED', {
        type: 'BUYER_CONFIRMED',
        actor,
        summary: 'Buyer confirmed the purchase order',
        notify: ['supplier'],
        subject: 'buyer confirmed the purchase order',
        text: `The buyer confirmed purchase order ${orderId} (${money(state.amounts.total)}). Please confirm it to accept all terms.`,
      });
    },
  );

  onUpdate(
    confirmBySupplierUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['supplier'], 'confirm the purchase order as supplier');
        if (state.status === 'DRAFT') refuse('cannot confirm as supplier: the buyer has not confirmed the purchase order yet');
        if (TERMINAL_STATUSES.includes(state.status)) refuse(`cannot confirm as supplier: the order is ${state.status.toLowerCase()}`);
        requireStatus(state.status, ['BUYER_CONFIRMED'], 'confirm as supplier', 'the purchase order is already confirmed');
      },
    },
    async ({ actor }: ActionInput) => {
      await change('CONFIRMED', {
        type: 'SUPPLIER_CONFIRMED',
        actor,
        summary: 'Supplier confirmed the purchase order, accepting all terms',
        notify: ['buyer'],
        subject: 'purchase order confirmed: deposit due',
        text: `The supplier confirmed purchase order ${orderId}. Please pay the initial payment of ${money(state.amounts.deposit)}; it is held in escrow until you confirm receipt.`,
      });
    },
  );

  onUpdate(
    payUpdate,
    {
      // Asked without a kind (the query), the payment due now is meant: the balance once the deposit is paid.
      when: (actor, { kind = state.status === 'DEPOSIT_PAID' ? 'balance' : 'deposit' }) => {
        requireActor(actor, ['buyer'], 'pay for the order');
        if (kind === 'deposit') {
          if (state.status === 'DRAFT' || state.status === 'BUYER_CONFIRMED') refuse('cannot pay the deposit: the purchase order is not confirmed by both parties yet');
          requireStatus(state.status, ['CONFIRMED'], 'pay the deposit', 'the deposit is already paid');
        } else {
          if (state.amounts.balance === 0) refuse('cannot pay a balance: this order has no balance; its deposit is the full amount');
          if (state.status === 'CONFIRMED') refuse('cannot pay the balance: the deposit is due first');
          requireStatus(state.status, ['DEPOSIT_PAID'], 'pay the balance', 'the balance is not due now');
        }
      },
      check: ({ kind, amount }: PaymentInput) => {
        if (kind === 'deposit' && amount !== state.amounts.deposit) refuse(`deposit must be ${money(state.amounts.deposit)} as agreed on the purchase order, not ${money(amount)}`);
        if (kind === 'balance' && amount !== state.amounts.balance) refuse(`balance must be ${money(state.amounts.balance)}, not ${money(amount)}`);
      },
    },
    async ({ actor, kind, amount, reference }: PaymentInput) => {
      setAccount(applyPayment(account(), amount));
      const fullyPaid = state.amounts.paid === state.amounts.total;
      await change(fullyPaid ? 'PAID' : 'DEPOSIT_PAID', {
        type: kind === 'deposit' ? 'DEPOSIT_PAID' : 'BALANCE_PAID',
        actor,
        summary: `${kind === 'deposit' ? 'Deposit' : 'Balance'} of ${money(amount)} paid and held in escrow`,
        data: { kind, amount, currency, reference },
        notify: ['buyer', 'supplier'],
        subject: `${kind} of ${money(amount)} received and held in escrow`,
        text: fullyPaid
          ? `Payment of ${money(amount)} for order ${orderId} is held in escrow. The order is fully paid; the supplier may ship by ${terms.shippingDate}.`
          : `The deposit of ${money(amount)} for order ${orderId} is held in escrow. The balance of ${money(state.amounts.balance)} is due before shipment.`,
        before: () => acts.holdPaymentInEscrow({ id: `${workflowId}:payment:${kind}`, orderId, partyId: buyerId, amount, currency }),
      });
    },
  );

  onUpdate(
    shipUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['supplier'], 'ship the order');
        if (['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED'].includes(state.status)) refuse('cannot ship: the order is unpaid; the buyer pays the deposit and balance before shipment');
        if (state.status === 'DEPOSIT_PAID') refuse(`cannot ship: the balance of ${money(state.amounts.balance)} is due before shipment`);
        requireStatus(state.status, ['PAID'], 'ship', 'the order has already shipped');
      },
    },
    async ({ actor, carrier, trackingNumber }: ShipInput) => {
      state.shipment = { carrier, trackingNumber, shippedAt: iso(nowMs()) };
      await change('SHIPPED', {
        type: 'SHIPPED',
        actor,
        summary: `Shipped with ${carrier}, tracking number ${trackingNumber}`,
        data: { carrier, trackingNumber },
        notify: ['buyer'],
        subject: 'your order has shipped',
        text: `Order ${orderId} shipped with ${carrier}; tracking number ${trackingNumber}.`,
      });
    },
  );

  onUpdate(
    markDeliveredUpdate,
    {
      when: (actor) => {
        requireActor(actor, [], 'record a delivery');
        requireStatus(state.status, ['SHIPPED'], 'mark as delivered', 'only a shipped order can be delivered');
      },
    },
    async ({ actor }: ActionInput) => {
      state.deliveredAt = iso(nowMs());
      await change('DELIVERED', {
        type: 'DELIVERED',
        actor,
        summary: 'Goods delivered to the buyer',
        notify: ['buyer', 'supplier'],
        subject: 'delivered: please confirm receipt',
        text: `Order ${orderId} was delivered. Buyer: please inspect the goods and confirm receipt; the supplier is paid from escrow after that.`,
      });
    },
  );

  onUpdate(
    confirmReceiptUpdate,
    {
      when: (actor) => {
        requireActor(actor, ['buyer'], 'confirm receipt');
        requireStatus(state.status, ['DELIVERED'], 'confirm receipt', 'the order is not delivered yet');
      },
    },
    async ({ actor }: ActionInput) => {
      state.receiptConfirmedAt = iso(nowMs());
      await change('RECEIPT_CONFIRMED', {
        type: 'RECEIPT_CONFIRMED',
        actor,
        summary: 'Buyer confirmed receipt',
        notify: ['supplier'],
        subject: 'buyer confirmed receipt',
        text: `Receipt of order ${orderId} is confirmed by the buyer. Held funds of ${money(state.amounts.held)} are being released to the supplier.`,
      });
    },
  );

  for (const [def, action] of LATER_ACTIONS) {
    onUpdate(def, { when: () => refuse(`cannot ${action}: this order runs an earlier workflow version without that action`) }, async () => undefined);
  }

  // A monitoring task links itself when it starts, and is told the order's date if it booked another.
  setHandler(linkMonitoringSignal, ({ monitoringId, shipmentDate }) => {
    const linked = state.monitoringIds ?? [];
    if (!linked.includes(monitoringId)) state.monitoringIds = [...linked, monitoringId];
    if (terms.shippingDate !== shipmentDate) {
      void enqueue(() =>
        getExternalWorkflowHandle(monitoringWorkflowId(monitoringId))
          .signal(orderShipmentDateSignal, { orderId, shipmentDate: terms.shippingDate })
          .catch(() => undefined),
      );
    }
  });

  await drafted;

  // Receipt, then release.
  await condition(() => state.status === 'RECEIPT_CONFIRMED');
  await drained();
  const { account: after, released } = applyRelease(account(), 0);
  setAccount(after);
  state.completedAt = iso(nowMs());
  await change('COMPLETED', {
    type: 'FUNDS_RELEASED',
    actor: system,
    summary: `Funds of ${money(released)} released to the supplier; order completed`,
    data: { amount: released, currency },
    notify: ['buyer', 'supplier'],
    subject: 'order completed: funds released to the supplier',
    text: `Order ${orderId} is complete. ${money(released)} was released from escrow to the supplier.`,
    before: () => acts.releaseEscrowToSupplier({ id: `${workflowId}:release`, orderId, partyId: supplierId, amount: released, currency }),
  });
  await condition(allHandlersFinished);
  return state;
}
