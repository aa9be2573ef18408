/**
 * tradeOrderWorkflow (workflow ID `order:<id>`): one buyer-protected purchase order, from the
 * supplier's draft to the release of escrowed funds. The workflow owns the order's state; the
 * database read model, timeline, ledger and emails are written by idempotent activities.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { OrderReadModel } from '../activities/orders';
import { formatMoney } from './money';
import {
  ACTION_REFUSED,
  ACTOR_NOT_ALLOWED,
  ActionInput,
  Actor,
  INVALID_DRAFT,
  NextStep,
  OrderState,
  OrderStatus,
  PaymentInput,
  ShipInput,
  TradeOrderInput,
  confirmByBuyerUpdate,
  confirmBySupplierUpdate,
  confirmReceiptUpdate,
  getOrderQuery,
  markDeliveredUpdate,
  payUpdate,
  shipUpdate,
} from './order.messages';
import { checkDraft, orderPolicy, orderTotal } from './order.policy';

// Database and mail activities retry until the dependency is back: a state change is never dropped.
const { recordOrderChange, notifyParties, holdPaymentInEscrow, releaseEscrowToSupplier } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

type Party = 'buyer' | 'supplier';

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: ACTION_REFUSED, message, nonRetryable: true });
}

/** Checks that the caller may act on this order as one of the given parties (ops may always act). */
function requireActor(actor: Actor, allowed: Party[], input: TradeOrderInput, action: string): void {
  if (actor.role === 'ops') return;
  const party = actor.role === 'buyer' || actor.role === 'supplier' ? actor.role : undefined;
  const ownId = party === 'buyer' ? input.buyerId : party === 'supplier' ? input.supplierId : undefined;
  if (!party || !allowed.includes(party) || actor.partyId !== ownId) {
    const who = [...allowed.map((p) => `the order's ${p}`), 'ops'].join(' or ');
    throw ApplicationFailure.create({
      type: ACTOR_NOT_ALLOWED,
      message: `only ${who} may ${action}`,
      nonRetryable: true,
    });
  }
}

function requireStatus(current: OrderStatus, expected: OrderStatus[], action: string, why: string): void {
  if (!expected.includes(current)) refuse(`cannot ${action}: ${why} (order is ${current})`);
}

function nowIso(): string {
  // Workflow time: deterministic on replay.
  return new Date(Date.now()).toISOString();
}

const NEXT_STEPS: Record<OrderStatus, NextStep> = {
  DRAFT: { action: 'confirm-by-buyer', by: 'buyer', description: 'the buyer reviews and confirms the purchase order' },
  BUYER_CONFIRMED: {
    action: 'confirm-by-supplier',
    by: 'supplier',
    description: 'the supplier confirms the purchase order, accepting every term',
  },
  CONFIRMED: { action: 'pay', by: 'buyer', description: 'the buyer pays the initial payment (deposit)' },
  DEPOSIT_PAID: { action: 'pay', by: 'buyer', description: 'the buyer pays the balance before shipment' },
  PAID: { action: 'ship', by: 'supplier', description: 'the supplier ships by the agreed shipping date' },
  SHIPPED: { action: 'mark-delivered', by: 'ops', description: 'the carrier delivers the goods' },
  DELIVERED: { action: 'confirm-receipt', by: 'buyer', description: 'the buyer confirms receipt of the goods' },
  RECEIPT_CONFIRMED: { action: 'none', by: 'system', description: 'held funds are released to the supplier' },
  COMPLETED: { action: 'none', by: 'nobody', description: 'the order is complete' },
};

export async function tradeOrderWorkflow(input: TradeOrderInput): Promise<OrderState> {
  const policy = orderPolicy(input.policyVersion);
  const problems = checkDraft(input.terms, policy);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: INVALID_DRAFT,
      message: problems.map((p) => `${p.field}: ${p.reason}`).join('; '),
      nonRetryable: true,
    });
  }

  const { orderId, buyerId, supplierId, terms } = input;
  const currency = terms.currency;
  const total = orderTotal(terms.items);
  const createdAt = nowIso();
  const state: OrderState = {
    orderId,
    status: 'DRAFT',
    buyerId,
    supplierId,
    terms,
    policyVersion: policy.version,
    amounts: {
      currency,
      total,
      deposit: terms.depositAmount,
      balance: total - terms.depositAmount,
      paid: 0,
      held: 0,
      released: 0,
    },
    nextStep: NEXT_STEPS.DRAFT,
    revision: 0,
    createdAt,
    updatedAt: createdAt,
  };
  const money = (amount: number) => formatMoney(amount, currency);
  const partyIds = (parties: Party[]) => parties.map((p) => (p === 'buyer' ? buyerId : supplierId));

  // Side effects run one after another, in the order the state changed.
  let effects: Promise<void> = Promise.resolve();
  function enqueue(effect: () => Promise<void>): Promise<void> {
    const run = effects.then(effect);
    effects = run.catch(() => undefined);
    return run;
  }

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
    };
  }

  interface Change {
    type: string;
    actor: Actor;
    summary: string;
    data?: Record<string, unknown>;
    notify: Party[];
    subject: string;
    text: string;
    before?: () => Promise<unknown>;
  }

  /** Moves the order to a new revision now, and records it (read model, timeline, emails) in order. */
  function change(status: OrderStatus, c: Change): Promise<void> {
    state.status = status;
    state.nextStep = NEXT_STEPS[status];
    state.revision += 1;
    state.updatedAt = nowIso();
    const order = readModel();
    const event = {
      seq: state.revision,
      type: c.type,
      actorRole: c.actor.role,
      actorId: c.actor.partyId,
      summary: c.summary,
      data: { status, ...c.data },
      occurredAt: state.updatedAt,
    };
    const key = `${workflowInfo().workflowId}:${event.seq}`;
    return enqueue(async () => {
      if (c.before) await c.before();
      await recordOrderChange({ order, event });
      if (c.notify.length > 0) {
        await notifyParties({ key, partyIds: partyIds(c.notify), subject: `[TradeGuard ${orderId}] ${c.subject}`, text: c.text });
      }
    });
  }

  // The draft is revision 1 before any handler exists: an update delivered with the start is
  // dispatched as soon as its handler is registered, and must find the draft in place.
  const drafted = change('DRAFT', {
    type: 'DRAFTED',
    actor: input.createdBy,
    summary: `Purchase order drafted: ${terms.items.length} item(s), ${money(total)}, deposit ${money(terms.depositAmount)}`,
    data: { total, deposit: terms.depositAmount, currency, shippingDate: terms.shippingDate },
    notify: ['buyer'],
    subject: 'new purchase order to confirm',
    text: `Supplier ${supplierId} drafted purchase order ${orderId} for ${money(total)} (deposit ${money(terms.depositAmount)}, shipping by ${terms.shippingDate}). Please review and confirm it.`,
  });

  const snapshot = (): OrderState => state;
  setHandler(getOrderQuery, snapshot);

  setHandler(
    confirmByBuyerUpdate,
    async ({ actor }: ActionInput) => {
      await change('BUYER_CONFIRMED', {
        type: 'BUYER_CONFIRMED',
        actor,
        summary: 'Buyer confirmed the purchase order',
        notify: ['supplier'],
        subject: 'buyer confirmed the purchase order',
        text: `The buyer confirmed purchase order ${orderId} (${money(total)}). Please confirm it to accept all terms.`,
      });
      return snapshot();
    },
    {
      validator: ({ actor }: ActionInput) => {
        requireActor(actor, ['buyer'], input, 'confirm the purchase order as buyer');
        requireStatus(state.status, ['DRAFT'], 'confirm as buyer', 'only a draft awaits the buyer\'s confirmation');
      },
    },
  );

  setHandler(
    confirmBySupplierUpdate,
    async ({ actor }: ActionInput) => {
      await change('CONFIRMED', {
        type: 'SUPPLIER_CONFIRMED',
        actor,
        summary: 'Supplier confirmed the purchase order, accepting all terms',
        notify: ['buyer'],
        subject: 'purchase order confirmed: deposit due',
        text: `The supplier confirmed purchase order ${orderId}. Please pay the initial payment of ${money(state.amounts.deposit)}; it is held in escrow until you confirm receipt.`,
      });
      return snapshot();
    },
    {
      validator: ({ actor }: ActionInput) => {
        requireActor(actor, ['supplier'], input, 'confirm the purchase order as supplier');
        if (state.status === 'DRAFT') refuse('cannot confirm as supplier: the buyer has not confirmed the purchase order yet');
        requireStatus(state.status, ['BUYER_CONFIRMED'], 'confirm as supplier', 'the purchase order is already confirmed');
      },
    },
  );

  setHandler(
    payUpdate,
    async ({ actor, kind, amount, reference }: PaymentInput) => {
      state.amounts.paid += amount;
      state.amounts.held += amount;
      const fullyPaid = state.amounts.paid === state.amounts.total;
      const movementId = `${workflowInfo().workflowId}:payment:${kind}`;
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
        before: () => holdPaymentInEscrow({ id: movementId, orderId, partyId: buyerId, amount, currency }),
      });
      return snapshot();
    },
    {
      validator: ({ actor, kind, amount }: PaymentInput) => {
        requireActor(actor, ['buyer'], input, 'pay for the order');
        if (kind === 'deposit') {
          if (state.status === 'DRAFT' || state.status === 'BUYER_CONFIRMED') {
            refuse('cannot pay the deposit: the purchase order is not confirmed by both parties yet');
          }
          requireStatus(state.status, ['CONFIRMED'], 'pay the deposit', 'the deposit is already paid');
          if (amount !== state.amounts.deposit) {
            refuse(`deposit must be ${money(state.amounts.deposit)} as agreed on the purchase order, not ${money(amount)}`);
          }
        } else {
          if (state.amounts.balance === 0) refuse('cannot pay a balance: this order has no balance; its deposit is the full amount');
          if (state.status === 'CONFIRMED') refuse('cannot pay the balance: the deposit is due first');
          requireStatus(state.status, ['DEPOSIT_PAID'], 'pay the balance', 'the balance is not due now');
          if (amount !== state.amounts.balance) {
            refuse(`balance must be ${money(state.amounts.balance)}, not ${money(amount)}`);
          }
        }
      },
    },
  );

  setHandler(
    shipUpdate,
    async ({ actor, carrier, trackingNumber }: ShipInput) => {
      state.shipment = { carrier, trackingNumber, shippedAt: nowIso() };
      await change('SHIPPED', {
        type: 'SHIPPED',
        actor,
        summary: `Shipped with ${carrier}, tracking number ${trackingNumber}`,
        data: { carrier, trackingNumber },
        notify: ['buyer'],
        subject: 'your order has shipped',
        text: `Order ${orderId} shipped with ${carrier}; tracking number ${trackingNumber}.`,
      });
      return snapshot();
    },
    {
      validator: ({ actor }: ShipInput) => {
        requireActor(actor, ['supplier'], input, 'ship the order');
        if (['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED'].includes(state.status)) {
          refuse('cannot ship: the order is unpaid; the buyer pays the deposit and balance before shipment');
        }
        if (state.status === 'DEPOSIT_PAID') {
          refuse(`cannot ship: the balance of ${money(state.amounts.balance)} is due before shipment`);
        }
        requireStatus(state.status, ['PAID'], 'ship', 'the order has already shipped');
      },
    },
  );

  setHandler(
    markDeliveredUpdate,
    async ({ actor }: ActionInput) => {
      state.deliveredAt = nowIso();
      await change('DELIVERED', {
        type: 'DELIVERED',
        actor,
        summary: 'Goods delivered to the buyer',
        notify: ['buyer', 'supplier'],
        subject: 'delivered: please confirm receipt',
        text: `Order ${orderId} was delivered. Buyer: please inspect the goods and confirm receipt; the supplier is paid from escrow after that.`,
      });
      return snapshot();
    },
    {
      validator: ({ actor }: ActionInput) => {
        requireActor(actor, [], input, 'record a delivery');
        requireStatus(state.status, ['SHIPPED'], 'mark as delivered', 'only a shipped order can be delivered');
      },
    },
  );

  setHandler(
    confirmReceiptUpdate,
    async ({ actor }: ActionInput) => {
      state.receiptConfirmedAt = nowIso();
      await change('RECEIPT_CONFIRMED', {
        type: 'RECEIPT_CONFIRMED',
        actor,
        summary: 'Buyer confirmed receipt',
        notify: ['supplier'],
        subject: 'buyer confirmed receipt',
        text: `The buyer confirmed receipt of order ${orderId}. Held funds of ${money(state.amounts.held)} are being released to you.`,
      });
      return snapshot();
    },
    {
      validator: ({ actor }: ActionInput) => {
        requireActor(actor, ['buyer'], input, 'confirm receipt');
        requireStatus(state.status, ['DELIVERED'], 'confirm receipt', 'the order is not delivered yet');
      },
    },
  );

  await drafted;

  await condition(() => state.status === 'RECEIPT_CONFIRMED');
  await effects;

  const released = state.amounts.held;
  state.amounts.held = 0;
  state.amounts.released += released;
  state.completedAt = nowIso();
  await change('COMPLETED', {
    type: 'FUNDS_RELEASED',
    actor: { role: 'system' },
    summary: `Funds of ${money(released)} released to the supplier; order completed`,
    data: { amount: released, currency },
    notify: ['buyer', 'supplier'],
    subject: 'order completed: funds released to the supplier',
    text: `Order ${orderId} is complete. ${money(released)} was released from escrow to the supplier.`,
    before: () =>
      releaseEscrowToSupplier({
        id: `${workflowInfo().workflowId}:release`,
        orderId,
        partyId: supplierId,
        amount: released,
        currency,
      }),
  });

  await condition(allHandlersFinished);
  return state;
}
