/**
 * The order's rules (workflows/order.rules.ts): what each Update validator of tradeOrderWorkflow and
 * its claims allows, on plain snapshots of the order, with the boundaries of every limit and window.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { afterServicePolicy } from '../../workflows/after-service.policy';
import { DAY_MS, HOUR_MS } from '../../workflows/common';
import { type Claim, type Deadline, type OrderState, type OrderStatus } from '../../workflows/order.messages';
import { CURRENT_ORDER_POLICY_VERSION, orderPolicy, type OrderPolicy } from '../../workflows/order.policy';
import {
  PRE_SHIPMENT,
  acceptCounterOfferRefusal,
  addEvidenceRefusal,
  afterServiceRefundRefusal,
  cancelRefusal,
  changesPendingRefusal,
  claimDecisionRefusal,
  claimResponseRefusal,
  confirmAsBuyerRefusal,
  confirmAsSupplierRefusal,
  confirmReceiptRefusal,
  confirmedTermsRefusal,
  reserveMonitoringRefusal,
  confirmingRefusal,
  decideClaimRefusal,
  escalateClaimRefusal,
  escrowAccountOf,
  evidenceDueRefusal,
  evidenceFileRefusal,
  extendReceivingRefusal,
  extendShippingRefusal,
  isRepeatedEvidence,
  leaveFeedbackRefusal,
  markDeliveredRefusal,
  newClaimRefusal,
  openClaimRefusal,
  partyOf,
  payRefusal,
  paymentAmountRefusal,
  ratingRefusal,
  receivingExtensionRefusal,
  requestChangesRefusal,
  requestEvidenceRefusal,
  respondToClaimRefusal,
  reviseDraftRefusal,
  revisedTermsRefusal,
  shipRefusal,
  shippingDateRefusal,
  withdrawClaimRefusal,
  withinChangeCancelWindow,
  type OrderSnapshot,
} from '../../workflows/order.rules';

const policy: OrderPolicy = orderPolicy(CURRENT_ORDER_POLICY_VERSION);
const buyer = { role: 'buyer' as const };
const supplier = { role: 'supplier' as const };
const ops = { role: 'ops' as const };

const ALL_STATUSES: OrderStatus[] = [
  'DRAFT',
  'BUYER_CONFIRMED',
  'CONFIRMED',
  'DEPOSIT_PAID',
  'PAID',
  'SHIPPED',
  'DELIVERED',
  'RECEIPT_CONFIRMED',
  'COMPLETED',
  'EXPIRED',
  'CANCELLED',
  'SETTLED',
];

const CREATED = '2026-12-01T08:00:00.000Z';
const NOW = Date.parse('2026-12-05T12:00:00.000Z');

/** An order of 7,000.00 USD with a 2,100.00 USD deposit, nothing paid, in the given status. */
function orderState(overrides: Partial<OrderState> = {}, amounts: Partial<OrderState['amounts']> = {}): OrderState {
  return {
    orderId: 'PO-1',
    status: 'DRAFT',
    buyerId: 'buyer-1',
    supplierId: 'supplier-1',
    terms: {
      currency: 'USD',
      items: [{ sku: 'A-1', description: 'speaker', quantity: 500, unitPrice: 1_400 }],
      depositAmount: 210_000,
      shippingDate: '2026-12-20',
    },
    policyVersion: policy.version,
    amounts: { currency: 'USD', total: 700_000, deposit: 210_000, balance: 490_000, paid: 0, held: 0, released: 0, ...amounts },
    nextStep: { action: 'none', by: 'nobody', description: '' },
    revision: 1,
    createdAt: CREATED,
    updatedAt: CREATED,
    shippingDate: '2026-12-20',
    late: false,
    claims: [],
    deadlines: [],
    feedback: {},
    receivingExtensions: {},
    ...overrides,
  };
}

function snap(state: OrderState, now = NOW, extra: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return { state, policy, now, ...extra };
}

/** The statuses in which the rule allows the action, everything else about the order as given. */
function allowedIn(rule: (order: OrderSnapshot) => string | undefined, base: Partial<OrderState> = {}, amounts: Partial<OrderState['amounts']> = {}): OrderStatus[] {
  return ALL_STATUSES.filter((status) => rule(snap(orderState({ ...base, status }, amounts))) === undefined);
}

/** Paid in full and covered in full: 7,000.00 USD held. */
const PAID_AMOUNTS = { paid: 700_000, held: 700_000, covered: 700_000, balance: 490_000 };

function claim(overrides: Partial<Claim> = {}): Claim {
  return {
    id: 'C1',
    cause: 'QUALITY_MISMATCH',
    status: 'OPEN',
    refundAsked: 100_000,
    description: 'scratched',
    openedAt: '2026-12-10T09:30:00.000Z',
    evidence: [],
    evidenceRequests: [],
    ...overrides,
  };
}

function evidence(uploadedBy: 'buyer' | 'supplier' | 'ops', i: number, size = 1_000) {
  return { fileId: `f${uploadedBy}${i}`, name: `photo-${i}.jpg`, contentType: 'image/jpeg', size, sha256: `${uploadedBy}-sha-${i}`, uploadedBy, uploadedAt: CREATED };
}

const feedbackWindow: Deadline = {
  id: 'feedback-window',
  kind: 'feedback-window',
  dueAt: '2027-02-01T00:00:00.000Z',
  rule: 'feedback may be left 60 days after the order closes',
  onExpiry: 'feedback closes',
  policyVersion: policy.version,
};

describe('the rules module', () => {
  it('loads without @temporalio/workflow, directly or through any module it imports for values', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)) {
        if (m[1]) continue;
        const spec = m[2];
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!spec.endsWith('.json')) visit(`${target}.ts`);
        } else {
          packages.add(spec);
        }
      }
    };
    visit(resolve(__dirname, '../../workflows/order.rules.ts'));
    expect(seen.size).toBeGreaterThan(3);
    expect([...packages]).not.toContain('@temporalio/workflow');
  });
});

describe('escrowAccountOf and partyOf', () => {
  it('reads the escrow account from the amounts, absent amounts as zero', () => {
    expect(escrowAccountOf(orderState({}, { paid: 10, held: 7, released: 3 }))).toEqual({
      currency: 'USD',
      paid: 10,
      held: 7,
      covered: 0,
      refunded: 0,
      claimRefunded: 0,
      released: 3,
      recovered: 0,
    });
    expect(escrowAccountOf(orderState({}, { covered: 5, refunded: 4, claimRefunded: 2, recovered: 1 }))).toMatchObject({ covered: 5, refunded: 4, claimRefunded: 2, recovered: 1 });
  });

  it('names the party an actor acts for', () => {
    expect(partyOf(buyer)).toBe('buyer');
    expect(partyOf(supplier)).toBe('supplier');
    expect(partyOf(ops)).toBe('ops');
    expect(partyOf({ role: 'support' })).toBe('ops');
  });
});

describe('the supplier confirmation in flight and pending changes', () => {
  it('refuses while the supplier confirmation reserves coverage', () => {
    expect(confirmingRefusal({ confirming: true }, 'pay')).toBe("cannot pay: the supplier's confirmation is being recorded; try again in a moment");
    expect(confirmingRefusal({ confirming: false }, 'pay')).toBeUndefined();
    expect(confirmingRefusal({}, 'pay')).toBeUndefined();
  });

  it('refuses a confirmation while changes are pending, naming the last request', () => {
    const state = orderState({
      changesPending: true,
      changeRequests: [
        { by: 'buyer', message: 'fewer units', at: '2026-12-02T00:00:00.000Z', revision: 1 },
        { by: 'supplier', message: 'later date', at: '2026-12-03T00:00:00.000Z', revision: 1 },
      ],
    });
    expect(changesPendingRefusal(state, 'confirm as buyer')).toBe(
      'cannot confirm as buyer: the supplier asked for changes at 2026-12-03T00:00:00.000Z ("later date"); the supplier revises the draft first',
    );
    expect(changesPendingRefusal(orderState({ changesPending: true }), 'x')).toBe('cannot x: the buyer asked for changes at an earlier time (""); the supplier revises the draft first');
    expect(changesPendingRefusal(orderState({ changesPending: false, changeRequests: state.changeRequests }), 'x')).toBeUndefined();
  });
});

describe('confirmations', () => {
  it('the buyer confirms only a draft with no changes pending', () => {
    expect(allowedIn(confirmAsBuyerRefusal)).toEqual(['DRAFT']);
    expect(allowedIn(confirmAsBuyerRefusal, { changesPending: true })).toEqual([]);
    expect(confirmAsBuyerRefusal(snap(orderState({ status: 'BUYER_CONFIRMED' })))).toBe(
      "cannot confirm as buyer: only a draft awaits the buyer's confirmation (order is BUYER_CONFIRMED)",
    );
    // The status is checked before pending changes.
    expect(confirmAsBuyerRefusal(snap(orderState({ status: 'CONFIRMED', changesPending: true })))).toMatch(/\(order is CONFIRMED\)$/);
  });

  it('the supplier confirms only after the buyer, and says why not otherwise', () => {
    expect(allowedIn(confirmAsSupplierRefusal)).toEqual(['BUYER_CONFIRMED']);
    expect(confirmAsSupplierRefusal(snap(orderState({ status: 'DRAFT' })))).toBe('cannot confirm as supplier: the buyer has not confirmed the purchase order yet');
    expect(confirmAsSupplierRefusal(snap(orderState({ status: 'EXPIRED' })))).toBe('cannot confirm as supplier: the order is expired');
    expect(confirmAsSupplierRefusal(snap(orderState({ status: 'SETTLED' })))).toBe('cannot confirm as supplier: the order is settled');
    expect(confirmAsSupplierRefusal(snap(orderState({ status: 'CONFIRMED' })))).toBe('cannot confirm as supplier: the purchase order is already confirmed (order is CONFIRMED)');
    expect(confirmAsSupplierRefusal(snap(orderState({ status: 'DELIVERED' })))).toBe('cannot confirm as supplier: the purchase order is already confirmed (order is DELIVERED)');
  });

  it('an open order takes monitoring tasks up to its limit over its life; the same task again finds its place taken', () => {
    const limit = policy.limits.maxMonitoringTasks;
    const ids = Array.from({ length: limit }, (_, i) => `PM-${i}`);
    expect(reserveMonitoringRefusal(snap(orderState({ status: 'CONFIRMED', monitoringIds: ids.slice(0, limit - 1) })), 'PM-new')).toBeUndefined();
    expect(reserveMonitoringRefusal(snap(orderState({ status: 'CONFIRMED', monitoringIds: ids })), 'PM-new')).toMatch(
      new RegExp(`already has ${limit} monitoring tasks, the most allowed \\(limit maxMonitoringTasks = ${limit}\\)$`),
    );
    expect(reserveMonitoringRefusal(snap(orderState({ status: 'CONFIRMED', monitoringIds: ids })), 'PM-0')).toBeUndefined();
    expect(reserveMonitoringRefusal(snap(orderState({ status: 'CANCELLED' })), 'PM-new')).toMatch(/is cancelled$/);
    expect(reserveMonitoringRefusal(snap(orderState({ status: 'DRAFT' })), 'PM-new')).toBeUndefined();
  });

  it('a confirmation naming a draft revision confirms those terms only; without one, the terms as they are', () => {
    // A first draft has no draftRevision field: it is revision 1.
    expect(confirmedTermsRefusal(snap(orderState()), 1)).toBeUndefined();
    expect(confirmedTermsRefusal(snap(orderState()), undefined)).toBeUndefined();
    expect(confirmedTermsRefusal(snap(orderState({ draftRevision: 3 })), 3)).toBeUndefined();
    expect(confirmedTermsRefusal(snap(orderState({ draftRevision: 3 })), undefined)).toBeUndefined();
    expect(confirmedTermsRefusal(snap(orderState({ draftRevision: 2 })), 1)).toBe(
      'cannot confirm draft revision 1: the terms are at draft revision 2 now; read the order again and confirm the terms it shows (draftRevision 2)',
    );
    // A revision the order has not reached is no better.
    expect(confirmedTermsRefusal(snap(orderState()), 2)).toMatch(/^cannot confirm draft revision 2: the terms are at draft revision 1 now/);
  });
});

describe('changes to the draft', () => {
  const requests = (n: number) => Array.from({ length: n }, (_, i) => ({ by: 'buyer' as const, message: `change ${i}`, at: CREATED, revision: 1 }));

  it('changes are asked for before both parties confirm, never while the supplier confirmation is recorded', () => {
    expect(allowedIn(requestChangesRefusal)).toEqual(['DRAFT', 'BUYER_CONFIRMED']);
    expect(requestChangesRefusal(snap(orderState({ status: 'CONFIRMED' })))).toBe(
      'cannot request changes: changes are asked for before both parties confirm the purchase order (order is CONFIRMED)',
    );
    expect(requestChangesRefusal(snap(orderState({ status: 'CONFIRMED' }), NOW, { confirming: true }))).toBe(
      "cannot request changes: the supplier's confirmation is being recorded; try again in a moment",
    );
  });

  it(`allows ${policy.limits.maxChangeRequests} requests for changes, not one more`, () => {
    const max = policy.limits.maxChangeRequests;
    expect(requestChangesRefusal(snap(orderState({ changeRequests: requests(max - 1) })))).toBeUndefined();
    expect(requestChangesRefusal(snap(orderState({ changeRequests: requests(max) })))).toBe(
      `cannot request changes: this draft has had ${max} requests for changes, the most allowed (limit maxChangeRequests = ${max}); cancel the order and draft a new one`,
    );
    expect(requestChangesRefusal(snap(orderState({ changeRequests: requests(max + 3) })))).toMatch(/has had 23 requests/);
  });

  it(`allows revisions up to revision ${policy.limits.maxDraftRevisions}`, () => {
    const max = policy.limits.maxDraftRevisions;
    expect(allowedIn(reviseDraftRefusal)).toEqual(['DRAFT', 'BUYER_CONFIRMED']);
    expect(reviseDraftRefusal(snap(orderState({})))).toBeUndefined();
    expect(reviseDraftRefusal(snap(orderState({ draftRevision: max - 1 })))).toBeUndefined();
    expect(reviseDraftRefusal(snap(orderState({ draftRevision: max })))).toBe(
      `cannot revise the draft: it is at revision ${max}, the most allowed (limit maxDraftRevisions = ${max}); cancel the order and draft a new one`,
    );
    // An order with no recorded revision is at revision 1.
    const one = { ...policy, limits: { ...policy.limits, maxDraftRevisions: 1 } };
    expect(reviseDraftRefusal({ state: orderState(), policy: one, now: NOW })).toMatch(/at revision 1, the most allowed/);
    expect(reviseDraftRefusal(snap(orderState({ status: 'PAID' }), NOW, { confirming: true }))).toBe(
      "cannot revise the draft: the supplier's confirmation is being recorded; try again in a moment",
    );
  });

  it('revised terms keep the currency and pass the draft checks as of today', () => {
    const state = orderState();
    const terms = { currency: 'USD', items: [{ sku: 'A-1', description: 'speaker', quantity: 10, unitPrice: 100 }], depositAmount: 500, shippingDate: '2026-12-05' };
    // NOW is 2026-12-05: today is not in the past.
    expect(revisedTermsRefusal(snap(state), terms)).toBeUndefined();
    expect(revisedTermsRefusal(snap(state), { ...terms, currency: 'EUR' })).toBe(
      'cannot revise the currency: the purchase order is in USD; cancel it and draft a new one in EUR',
    );
    expect(revisedTermsRefusal(snap(state), { ...terms, shippingDate: '2026-12-04' })).toBe(
      'cannot revise the draft: terms.shippingDate: 2026-12-04 is in the past (today is 2026-12-05)',
    );
    expect(revisedTermsRefusal(snap(state), { ...terms, depositAmount: 1_001 })).toBe('cannot revise the draft: terms.depositAmount: the deposit cannot exceed the order total');
    expect(revisedTermsRefusal(snap(state), { ...terms, depositAmount: 1_000 })).toBeUndefined();
    expect(revisedTermsRefusal(snap(state), { ...terms, items: [] })).toMatch(/^cannot revise the draft: terms\.items: a purchase order needs at least one item; terms\.items: the order total must be positive$/);
  });
});

describe('payments', () => {
  it('the deposit is paid once both confirmed, the balance after the deposit', () => {
    expect(allowedIn((o) => payRefusal(o, 'deposit'))).toEqual(['CONFIRMED']);
    expect(allowedIn((o) => payRefusal(o, 'balance'))).toEqual(['DEPOSIT_PAID']);
    // Without a kind, the payment due now: the deposit, or the balance once the deposit is paid.
    expect(allowedIn((o) => payRefusal(o))).toEqual(['CONFIRMED', 'DEPOSIT_PAID']);
    expect(payRefusal(snap(orderState({ status: 'DEPOSIT_PAID' })))).toBeUndefined();
    expect(payRefusal(snap(orderState({ status: 'PAID' })))).toBe('cannot pay the deposit: the deposit is already paid (order is PAID)');
  });

  it('says why a payment is not due', () => {
    const at = (status: OrderStatus, kind: 'deposit' | 'balance', amounts = {}) => payRefusal(snap(orderState({ status }, amounts)), kind);
    expect(at('DRAFT', 'deposit')).toBe('cannot pay the deposit: the purchase order is not confirmed by both parties yet');
    expect(at('BUYER_CONFIRMED', 'deposit')).toBe('cannot pay the deposit: the purchase order is not confirmed by both parties yet');
    expect(at('DEPOSIT_PAID', 'deposit')).toBe('cannot pay the deposit: the deposit is already paid (order is DEPOSIT_PAID)');
    expect(at('CONFIRMED', 'balance')).toBe('cannot pay the balance: the deposit is due first');
    expect(at('PAID', 'balance')).toBe('cannot pay the balance: the balance is not due now (order is PAID)');
    // No balance at all is said before the status.
    expect(at('CONFIRMED', 'balance', { balance: 0 })).toBe('cannot pay a balance: this order has no balance; its deposit is the full amount');
    expect(at('DEPOSIT_PAID', 'balance', { balance: 0 })).toBe('cannot pay a balance: this order has no balance; its deposit is the full amount');
  });

  it('refuses every payment while settling or while the supplier confirmation is recorded, in that order', () => {
    const settling = orderState({ status: 'DEPOSIT_PAID', settlementPending: 'C2' });
    expect(payRefusal(snap(settling), 'balance')).toBe('cannot pay: claim C2 was refunded in full and the order settles once the open claims close');
    expect(payRefusal(snap(settling, NOW, { confirming: true }), 'balance')).toBe("cannot pay: the supplier's confirmation is being recorded; try again in a moment");
    expect(payRefusal(snap(orderState({ status: 'CONFIRMED' }), NOW, { confirming: true }), 'deposit')).toMatch(/being recorded/);
  });

  it('takes exactly the agreed deposit and balance', () => {
    const o = snap(orderState({ status: 'CONFIRMED' }));
    expect(paymentAmountRefusal(o, { kind: 'deposit', amount: 210_000 })).toBeUndefined();
    expect(paymentAmountRefusal(o, { kind: 'deposit', amount: 209_999 })).toBe('deposit must be 2,100.00 USD as agreed on the purchase order, not 2,099.99 USD');
    expect(paymentAmountRefusal(o, { kind: 'deposit', amount: 210_001 })).toBe('deposit must be 2,100.00 USD as agreed on the purchase order, not 2,100.01 USD');
    expect(paymentAmountRefusal(o, { kind: 'balance', amount: 490_000 })).toBeUndefined();
    expect(paymentAmountRefusal(o, { kind: 'balance', amount: 489_999 })).toBe('balance must be 4,900.00 USD, not 4,899.99 USD');
    expect(paymentAmountRefusal(o, { kind: 'balance', amount: 490_001 })).toBe('balance must be 4,900.00 USD, not 4,900.01 USD');
    // The deposit amount is not a balance, nor the other way round.
    expect(paymentAmountRefusal(o, { kind: 'balance', amount: 210_000 })).toBeDefined();
    expect(paymentAmountRefusal(o, { kind: 'deposit', amount: 490_000 })).toBeDefined();
  });
});

describe('shipment and delivery', () => {
  it('the supplier ships a paid order only', () => {
    expect(allowedIn(shipRefusal)).toEqual(['PAID']);
    for (const status of ['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED'] as const) {
      expect(shipRefusal(snap(orderState({ status })))).toBe('cannot ship: the order is unpaid; the buyer pays the deposit and balance before shipment');
    }
    expect(shipRefusal(snap(orderState({ status: 'DEPOSIT_PAID' })))).toBe('cannot ship: the balance of 4,900.00 USD is due before shipment');
    expect(shipRefusal(snap(orderState({ status: 'DELIVERED' })))).toBe('cannot ship: the order has already shipped (order is DELIVERED)');
    expect(shipRefusal(snap(orderState({ status: 'PAID', settlementPending: 'C1' })))).toBe(
      'cannot ship: claim C1 was refunded in full and the order settles once the open claims close',
    );
  });

  it('ops mark a shipped order delivered', () => {
    expect(allowedIn(markDeliveredRefusal)).toEqual(['SHIPPED']);
    expect(markDeliveredRefusal(snap(orderState({ status: 'PAID' })))).toBe('cannot mark as delivered: only a shipped order can be delivered (order is PAID)');
  });

  it('the buyer confirms receipt of a delivered order with no claim open', () => {
    expect(allowedIn(confirmReceiptRefusal)).toEqual(['DELIVERED']);
    expect(confirmReceiptRefusal(snap(orderState({ status: 'SHIPPED' })))).toBe('cannot confirm receipt: the order is not delivered yet (order is SHIPPED)');
    const claims = [claim({ id: 'C1', status: 'CLOSED' }), claim({ id: 'C2', status: 'RESPONDED' }), claim({ id: 'C3', status: 'ESCALATED' })];
    expect(confirmReceiptRefusal(snap(orderState({ status: 'DELIVERED', claims })))).toBe('cannot confirm receipt while claim C2 is open: funds stay held until it is closed');
    expect(confirmReceiptRefusal(snap(orderState({ status: 'DELIVERED', claims: [claim({ status: 'CLOSED' })] })))).toBeUndefined();
  });
});

describe('cancellation', () => {
  const hours = afterServicePolicy(policy.afterServicePolicyVersion).changeCancelWindowHours;
  const paidAt = '2026-12-03T10:00:00.000Z';
  const closes = Date.parse(paidAt) + hours * HOUR_MS;
  const paid = (status: OrderStatus = 'PAID', extra: Partial<OrderState> = {}) => orderState({ status, paidAt, ...extra }, PAID_AMOUNTS);

  it('an unpaid order is cancelled by either party before shipment', () => {
    const cancellable = ['DRAFT', 'BUYER_CONFIRMED', 'CONFIRMED', 'DEPOSIT_PAID', 'PAID'];
    expect(allowedIn((o) => cancelRefusal(o, buyer))).toEqual(cancellable);
    expect(allowedIn((o) => cancelRefusal(o, supplier))).toEqual(cancellable);
    expect(allowedIn((o) => cancelRefusal(o, ops))).toEqual(cancellable);
    expect(cancelRefusal(snap(orderState({ status: 'CANCELLED' })), buyer)).toBe('cannot cancel: the order is already cancelled');
    expect(cancelRefusal(snap(orderState({ status: 'COMPLETED' })), ops)).toBe('cannot cancel: the order is already completed');
    expect(cancelRefusal(snap(orderState({ status: 'SHIPPED' })), buyer)).toBe('cannot cancel: the order has shipped; open a claim instead');
    // Receipt confirmed is not closed yet, and past shipment.
    expect(cancelRefusal(snap(orderState({ status: 'RECEIPT_CONFIRMED' })), buyer)).toBe('cannot cancel: the order has shipped; open a claim instead');
  });

  it('is refused while the supplier confirmation is recorded, a claim is open or the order settles', () => {
    expect(cancelRefusal(snap(orderState({ status: 'CONFIRMED' }), NOW, { confirming: true }), buyer)).toBe(
      "cannot cancel: the supplier's confirmation is being recorded; try again in a moment",
    );
    expect(cancelRefusal(snap(paid('PAID', { claims: [claim({ id: 'C4' })] })), ops)).toBe('cannot cancel while claim C4 is open');
    expect(cancelRefusal(snap(paid('PAID', { settlementPending: 'C1' })), ops)).toBe('cannot cancel: claim C1 was refunded and the order is settling');
  });

  it('a paid order: the buyer inside the change/cancel window, ops always, the supplier never', () => {
    expect(hours).toBeGreaterThan(0);
    expect(cancelRefusal(snap(paid(), closes - 1), buyer)).toBeUndefined();
    expect(cancelRefusal(snap(paid(), closes), buyer)).toBe(
      `cannot cancel: the change/cancel window closed at ${new Date(closes).toISOString()} (${hours} h after payment); ask ops to attempt a recall`,
    );
    expect(cancelRefusal(snap(paid(), closes + DAY_MS), buyer)).toMatch(/window closed at/);
    expect(cancelRefusal(snap(paid(), closes + DAY_MS), ops)).toBeUndefined();
    expect(cancelRefusal(snap(paid(), closes - 1), supplier)).toBe('cannot cancel a paid order as supplier: ask ops to cancel and refund it');
    expect(cancelRefusal(snap(paid('DEPOSIT_PAID'), closes), buyer)).toMatch(/window closed/);
  });

  it('the window is half-open: the closing instant is outside; with no payment time, inside', () => {
    expect(withinChangeCancelWindow(snap(paid(), Date.parse(paidAt)))).toBe(true);
    expect(withinChangeCancelWindow(snap(paid(), closes - 1))).toBe(true);
    expect(withinChangeCancelWindow(snap(paid(), closes))).toBe(false);
    expect(withinChangeCancelWindow(snap(orderState({ status: 'PAID' }, PAID_AMOUNTS), closes + 100 * DAY_MS))).toBe(true);
    expect(cancelRefusal(snap(orderState({ status: 'PAID' }, PAID_AMOUNTS), closes + 100 * DAY_MS), buyer)).toBeUndefined();
  });
});

describe('shipping extensions', () => {
  it('the buyer extends a confirmed, unshipped order', () => {
    expect(allowedIn(extendShippingRefusal)).toEqual([...PRE_SHIPMENT]);
    expect(extendShippingRefusal(snap(orderState({ status: 'SHIPPED' })))).toBe(
      'cannot extend the shipping date: only a confirmed, unshipped order has a shipping date to extend (order is SHIPPED)',
    );
  });

  it(`moves the date later, at most ${policy.maxShippingPeriodDays} days after the confirmation day`, () => {
    // Confirmed late on 2026-12-07: the confirmation day counts, not the hour.
    const state = orderState({ status: 'PAID', confirmedAt: '2026-12-07T23:59:00.000Z', shippingDate: '2026-12-20' });
    expect(shippingDateRefusal(snap(state), '2026-12-20')).toBe('cannot extend: 2026-12-20 is not later than the current shipping date 2026-12-20');
    expect(shippingDateRefusal(snap(state), '2026-12-19')).toMatch(/^cannot extend: 2026-12-19 is not later/);
    expect(shippingDateRefusal(snap(state), '2026-12-21')).toBeUndefined();
    expect(shippingDateRefusal(snap(state), '2027-03-07')).toBeUndefined();
    expect(shippingDateRefusal(snap(state), '2027-03-08')).toBe(
      'cannot extend to 2027-03-08: the shipping period would be 91 days from the confirmation day 2026-12-07; ' +
        'the original period plus extensions may be at most 90 days, so 2027-03-07 is the latest shipping date',
    );
  });

  it('counts from the creation when no confirmation time is recorded, and from the drafted date without an extended one', () => {
    const state = orderState({ status: 'PAID', shippingDate: undefined });
    // Created 2026-12-01: 2027-03-01 is 90 days on.
    expect(shippingDateRefusal(snap(state), '2027-03-01')).toBeUndefined();
    expect(shippingDateRefusal(snap(state), '2027-03-02')).toMatch(/latest shipping date$/);
    expect(shippingDateRefusal(snap(state), '2026-12-20')).toBe('cannot extend: 2026-12-20 is not later than the current shipping date 2026-12-20');
  });
});

describe('receiving-window extensions', () => {
  it('each party extends once after delivery; ops does not', () => {
    expect(allowedIn((o) => extendReceivingRefusal(o, buyer))).toEqual(['DELIVERED']);
    expect(allowedIn((o) => extendReceivingRefusal(o, supplier))).toEqual(['DELIVERED']);
    expect(allowedIn((o) => extendReceivingRefusal(o, ops))).toEqual([]);
    expect(extendReceivingRefusal(snap(orderState({ status: 'DELIVERED' })), ops)).toBe('cannot extend as ops: each party extends the receiving window for itself');
    expect(extendReceivingRefusal(snap(orderState({ status: 'SHIPPED' })), buyer)).toBe(
      'cannot extend the receiving window: the receiving window is open only after delivery (order is SHIPPED)',
    );
    const extended = orderState({ status: 'DELIVERED', receivingExtensions: { buyer: 5 } });
    expect(extendReceivingRefusal(snap(extended), buyer)).toBe('cannot extend: the buyer already extended the receiving window once (by 5 days)');
    expect(extendReceivingRefusal(snap(extended), supplier)).toBeUndefined();
    expect(extendReceivingRefusal(snap(orderState({ status: 'DELIVERED', receivingExtensions: { supplier: 1 } })), supplier)).toMatch(/the supplier already extended/);
  });

  it(`an extension is 1 to ${policy.receivingExtensionMaxDays} whole days`, () => {
    const o = snap(orderState({ status: 'DELIVERED' }));
    const max = policy.receivingExtensionMaxDays;
    for (const days of [1, 2, max - 1, max]) expect(receivingExtensionRefusal(o, days)).toBeUndefined();
    for (const days of [0, -1, max + 1, 2.5, Number.NaN]) expect(receivingExtensionRefusal(o, days)).toBeDefined();
    expect(receivingExtensionRefusal(o, 0)).toBe(`cannot extend by 0 days: an extension is 1 to ${max} days`);
    expect(receivingExtensionRefusal(o, max + 1)).toBe(`cannot extend by ${max + 1} days: an extension is 1 to ${max} days`);
  });

  it(`all extensions together stay within ${policy.receivingExtensionsTotalMaxDays} days`, () => {
    const total = policy.receivingExtensionsTotalMaxDays;
    const max = policy.receivingExtensionMaxDays;
    const after = (ext: { buyer?: number; supplier?: number }) => snap(orderState({ status: 'DELIVERED', receivingExtensions: ext }));
    expect(receivingExtensionRefusal(after({ buyer: total - max }), max)).toBeUndefined();
    expect(receivingExtensionRefusal(after({ buyer: total - max + 1 }), max)).toBe(
      `cannot extend by ${max} days: extensions may total at most ${total} days (${total - max + 1} used)`,
    );
    expect(receivingExtensionRefusal(after({ supplier: total - 1 }), 1)).toBeUndefined();
    expect(receivingExtensionRefusal(after({ supplier: total - 1 }), 2)).toMatch(/may total at most/);
    expect(receivingExtensionRefusal(after({ buyer: 10, supplier: 10 }), 10)).toBeUndefined();
    expect(receivingExtensionRefusal(after({ buyer: 10, supplier: 10 }), 11)).toMatch(/\(20 used\)$/);
  });
});

describe('feedback', () => {
  const closed = (status: OrderStatus, extra: Partial<OrderState> = {}) => orderState({ status, deadlines: [feedbackWindow], ...extra });

  it('each party leaves feedback once on a completed or settled order while its window is open', () => {
    expect(allowedIn((o) => leaveFeedbackRefusal(o, buyer), { deadlines: [feedbackWindow] })).toEqual(['COMPLETED', 'SETTLED']);
    expect(allowedIn((o) => leaveFeedbackRefusal(o, supplier), { deadlines: [feedbackWindow] })).toEqual(['COMPLETED', 'SETTLED']);
    expect(allowedIn((o) => leaveFeedbackRefusal(o, buyer))).toEqual([]);
    expect(leaveFeedbackRefusal(snap(closed('COMPLETED')), ops)).toBe("cannot leave feedback as ops: feedback is the parties' own");
    expect(leaveFeedbackRefusal(snap(closed('DELIVERED')), buyer)).toBe('cannot leave feedback: feedback is left after the order completes (order is DELIVERED)');
    expect(leaveFeedbackRefusal(snap(closed('COMPLETED', { deadlines: [] })), buyer)).toBe('cannot leave feedback: the feedback window has closed');
    const left = closed('SETTLED', { feedback: { supplier: { rating: 4, comment: 'ok', at: CREATED } } });
    expect(leaveFeedbackRefusal(snap(left), supplier)).toBe('the supplier already left feedback on this order');
    expect(leaveFeedbackRefusal(snap(left), buyer)).toBeUndefined();
  });

  it('a rating is a whole number from 1 to 5', () => {
    for (const rating of [1, 2, 3, 4, 5]) expect(ratingRefusal(rating)).toBeUndefined();
    for (const rating of [0, 6, 2.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(ratingRefusal(rating)).toBe('rating must be a whole number from 1 to 5');
  });
});

describe('after-service refunds', () => {
  const state = (extra: Partial<OrderState> = {}, amounts = {}) => orderState({ status: 'COMPLETED', ...extra }, { ...PAID_AMOUNTS, held: 0, released: 700_000, ...amounts });

  it('refunds at most what was paid less every refund so far', () => {
    expect(afterServiceRefundRefusal(snap(state()), 700_000)).toBeUndefined();
    expect(afterServiceRefundRefusal(snap(state()), 1)).toBeUndefined();
    expect(afterServiceRefundRefusal(snap(state()), 700_001)).toBe('cannot refund 7,000.01 USD: 7,000.00 USD of the 7,000.00 USD paid is still refundable');
    expect(afterServiceRefundRefusal(snap(state({}, { refunded: 200_000 })), 500_000)).toBeUndefined();
    expect(afterServiceRefundRefusal(snap(state({}, { refunded: 200_000 })), 500_001)).toBe(
      'cannot refund 5,000.01 USD: 5,000.00 USD of the 7,000.00 USD paid is still refundable',
    );
    expect(afterServiceRefundRefusal(snap(orderState({ status: 'CONFIRMED' })), 1)).toBe('cannot refund 0.01 USD: 0.00 USD of the 0.00 USD paid is still refundable');
  });

  it('takes a positive whole amount, refuses while a claim is open or the supplier confirmation is recorded', () => {
    for (const amount of [0, -5, 1.5, Number.NaN]) {
      expect(afterServiceRefundRefusal(snap(state()), amount)).toBe('the refund amount must be a positive whole number of minor units');
    }
    expect(afterServiceRefundRefusal(snap(state({ claims: [claim({ id: 'C1', status: 'CLOSED' }), claim({ id: 'C2' })] })), 100)).toBe(
      'claim C2 is open on the order: its decision refunds the buyer',
    );
    // The amount is checked before the open claim.
    expect(afterServiceRefundRefusal(snap(state({ claims: [claim()] })), 0)).toMatch(/^the refund amount/);
    expect(afterServiceRefundRefusal(snap(state(), NOW, { confirming: true }), 100)).toBe("cannot refund: the supplier's confirmation is being recorded; try again in a moment");
  });
});

describe('opening a claim', () => {
  it('after payment, before shipment and while receiving', () => {
    expect(allowedIn(openClaimRefusal)).toEqual(['DEPOSIT_PAID', 'PAID', 'SHIPPED', 'DELIVERED']);
    expect(openClaimRefusal(snap(orderState({ status: 'CONFIRMED' })))).toBe(
      `cannot open a claim: claims are opened after payment, before shipment, while receiving, or within ${policy.postReceiptClaimDays} days after receipt (order is CONFIRMED)`,
    );
    // A completed order without a recorded receipt time has no post-receipt window.
    expect(openClaimRefusal(snap(orderState({ status: 'COMPLETED' })))).toMatch(/\(order is COMPLETED\)$/);
    expect(openClaimRefusal(snap(orderState({ status: 'SHIPPED', settlementPending: 'C1' })))).toBe(
      'cannot open a claim: claim C1 was refunded and the order settles once the open claims close',
    );
  });

  it(`within ${policy.postReceiptClaimDays} days after receipt was confirmed, not at the closing instant`, () => {
    const receiptConfirmedAt = '2026-12-10T00:00:00.000Z';
    const closes = Date.parse(receiptConfirmedAt) + policy.postReceiptClaimDays * DAY_MS;
    const state = orderState({ status: 'COMPLETED', receiptConfirmedAt });
    expect(openClaimRefusal(snap(state, closes - 1))).toBeUndefined();
    expect(openClaimRefusal(snap(state, closes))).toBe(
      `cannot open a claim: claims closed ${new Date(closes).toISOString()}, ${policy.postReceiptClaimDays} days after receipt was confirmed`,
    );
    expect(openClaimRefusal(snap({ ...state, settlementPending: 'C3' }, closes - 1))).toMatch(/claim C3 was refunded/);
  });

  it('a cause the order fits, one open claim per cause, at most the claim limit', () => {
    const paid = (extra: Partial<OrderState> = {}) => snap(orderState({ status: 'PAID', ...extra }, PAID_AMOUNTS));
    expect(newClaimRefusal(paid(), { cause: 'LATE_SHIPMENT', refundAsked: 100 })).toBe('cannot open a late-shipment claim: the order is not late (shipping date 2026-12-20)');
    expect(newClaimRefusal(paid({ late: true }), { cause: 'LATE_SHIPMENT', refundAsked: 100 })).toBeUndefined();
    expect(newClaimRefusal(paid(), { cause: 'NOT_RECEIVED', refundAsked: 100 })).toBe('cannot open a not-received claim: the order has not shipped');
    const shipment = { carrier: 'DHL', trackingNumber: 'T1', shippedAt: CREATED };
    expect(newClaimRefusal(paid({ shipment }), { cause: 'NOT_RECEIVED', refundAsked: 100 })).toBeUndefined();
    expect(newClaimRefusal(paid({ claims: [claim({ id: 'C1', status: 'ESCALATED' })] }), { cause: 'QUALITY_MISMATCH', refundAsked: 100 })).toBe(
      'cannot open a second QUALITY_MISMATCH claim: claim C1 for that cause is still open',
    );
    expect(newClaimRefusal(paid({ claims: [claim({ id: 'C1', status: 'CLOSED' })] }), { cause: 'QUALITY_MISMATCH', refundAsked: 100 })).toBeUndefined();
    expect(newClaimRefusal(paid({ claims: [claim({ id: 'C1' })] }), { cause: 'NOT_AS_DESCRIBED', refundAsked: 100 })).toBeUndefined();

    const max = policy.limits.maxClaims;
    const closedClaims = (n: number) => Array.from({ length: n }, (_, i) => claim({ id: `C${i + 1}`, status: 'CLOSED' }));
    expect(newClaimRefusal(paid({ claims: closedClaims(max - 1) }), { cause: 'QUALITY_MISMATCH', refundAsked: 100 })).toBeUndefined();
    expect(newClaimRefusal(paid({ claims: closedClaims(max) }), { cause: 'QUALITY_MISMATCH', refundAsked: 100 })).toBe(
      `cannot open a claim: an order takes at most ${max} claims (limit maxClaims); ask ops to reopen the matter`,
    );
  });
});

describe('the claim refund ceiling: min(covered, paid) less earlier claim refunds, within what is left of the amount paid', () => {
  const paid = (amounts: Partial<OrderState['amounts']>) => snap(orderState({ status: 'DELIVERED' }, { ...PAID_AMOUNTS, ...amounts }));
  const ask = (o: OrderSnapshot, refundAsked: number) => newClaimRefusal(o, { cause: 'QUALITY_MISMATCH', refundAsked });

  it('the covered amount binds when it is below the amount paid', () => {
    const o = paid({ covered: 500_000 });
    expect(ask(o, 500_000)).toBeUndefined();
    expect(ask(o, 500_001)).toBe('refund asked 5,000.01 USD exceeds the covered amount 5,000.00 USD');
  });

  it('the amount paid binds when it is below the coverage', () => {
    const o = paid({ paid: 210_000, held: 210_000, covered: 700_000 });
    expect(ask(o, 210_000)).toBeUndefined();
    expect(ask(o, 210_001)).toBe('refund asked 2,100.01 USD exceeds the amount paid 2,100.00 USD');
  });

  it('earlier claim refunds come off', () => {
    const o = paid({ covered: 500_000, claimRefunded: 100_000, refunded: 100_000 });
    expect(ask(o, 400_000)).toBeUndefined();
    expect(ask(o, 400_001)).toBe('refund asked 4,000.01 USD exceeds the covered amount 5,000.00 USD less 1,000.00 USD already refunded on claims (4,000.00 USD left)');
  });

  it('after-service refunds lower what is left of the amount paid', () => {
    const o = paid({ covered: 700_000, refunded: 650_000 });
    expect(ask(o, 50_000)).toBeUndefined();
    expect(ask(o, 50_001)).toBe('refund asked 500.01 USD exceeds what is still refundable of the amount paid (500.00 USD of 7,000.00 USD)');
  });

  it('nothing paid: nothing refundable', () => {
    expect(ask(paid({ paid: 0, held: 0 }), 1)).toBe('refund asked 0.01 USD exceeds the amount paid 0.00 USD');
  });
});

describe('answering and settling a claim', () => {
  const withClaims = (claims: Claim[], amounts: Partial<OrderState['amounts']> = {}) => snap(orderState({ status: 'DELIVERED', claims }, { ...PAID_AMOUNTS, ...amounts }));

  it('names an unknown claim', () => {
    const o = withClaims([claim({ id: 'C1' })]);
    const unknown = 'no claim C9 on order PO-1';
    expect(respondToClaimRefusal(o, 'C9')).toBe(unknown);
    expect(claimResponseRefusal(o, { claimId: 'C9', kind: 'reject' })).toBe(unknown);
    expect(acceptCounterOfferRefusal(o, 'C9')).toBe(unknown);
    expect(escalateClaimRefusal(o, 'C9')).toBe(unknown);
    expect(withdrawClaimRefusal(o, 'C9')).toBe(unknown);
    expect(decideClaimRefusal(o, 'C9')).toBe(unknown);
    expect(claimDecisionRefusal(o, { claimId: 'C9', refund: 0 })).toBe(unknown);
    expect(addEvidenceRefusal(o, buyer, 'C9')).toBe(unknown);
    expect(evidenceFileRefusal(o, buyer, { claimId: 'C9', file: { sha256: 'x', size: 1 } })).toBe(unknown);
    expect(requestEvidenceRefusal(o, 'C9')).toBe(unknown);
    // The query asks without a claim: the empty id is no claim either.
    expect(respondToClaimRefusal(o, '')).toBe('no claim  on order PO-1');
  });

  it('the supplier answers an open claim only', () => {
    const statuses = ['OPEN', 'RESPONDED', 'ESCALATED', 'CLOSED'] as const;
    expect(statuses.filter((status) => respondToClaimRefusal(withClaims([claim({ status })]), 'C1') === undefined)).toEqual(['OPEN']);
    expect(respondToClaimRefusal(withClaims([claim({ status: 'ESCALATED' })]), 'C1')).toBe('cannot answer claim C1: it is escalated, not awaiting the supplier');
  });

  it('a counter-offer lies strictly between 0 and the refund asked', () => {
    const o = withClaims([claim({ refundAsked: 100_000 })]);
    const counter = (counterAmount?: number) => claimResponseRefusal(o, { claimId: 'C1', kind: 'counter', counterAmount });
    expect(counter(1)).toBeUndefined();
    expect(counter(99_999)).toBeUndefined();
    for (const amount of [undefined, 0, -1, 100_000, 100_001]) {
      expect(counter(amount)).toBe('a counter-offer must be more than 0 and less than the refund asked (1,000.00 USD)');
    }
  });

  it('what the supplier grants stays within the claim refund ceiling; a rejection grants nothing', () => {
    const o = withClaims([claim({ refundAsked: 300_000 })], { covered: 200_000 });
    expect(claimResponseRefusal(o, { claimId: 'C1', kind: 'accept' })).toBe(
      'cannot accept claim C1 in full: its refund 3,000.00 USD exceeds the covered amount 2,000.00 USD; counter-offer at most what is left, or reject it',
    );
    expect(claimResponseRefusal(o, { claimId: 'C1', kind: 'counter', counterAmount: 200_000 })).toBeUndefined();
    expect(claimResponseRefusal(o, { claimId: 'C1', kind: 'counter', counterAmount: 200_001 })).toBe(
      'the counter-offer 2,000.01 USD exceeds the covered amount 2,000.00 USD; offer at most what is left',
    );
    expect(claimResponseRefusal(o, { claimId: 'C1', kind: 'reject' })).toBeUndefined();
    expect(claimResponseRefusal(withClaims([claim({ refundAsked: 200_000 })], { covered: 200_000 }), { claimId: 'C1', kind: 'accept' })).toBeUndefined();
  });

  it('the buyer accepts a counter-offer awaiting it, within the ceiling', () => {
    const countered = (counterAmount: number, status: Claim['status'] = 'RESPONDED') =>
      claim({ status, supplierResponse: { kind: 'counter', counterAmount, message: 'half', at: CREATED } });
    expect(acceptCounterOfferRefusal(withClaims([countered(50_000)]), 'C1')).toBeUndefined();
    expect(acceptCounterOfferRefusal(withClaims([countered(50_000, 'ESCALATED')]), 'C1')).toBe('cannot accept: claim C1 has no counter-offer awaiting the buyer');
    const rejected = claim({ status: 'RESPONDED', supplierResponse: { kind: 'reject', message: 'no', at: CREATED } });
    expect(acceptCounterOfferRefusal(withClaims([rejected]), 'C1')).toBe('cannot accept: claim C1 has no counter-offer awaiting the buyer');
    expect(acceptCounterOfferRefusal(withClaims([claim()]), 'C1')).toBe('cannot accept: claim C1 has no counter-offer awaiting the buyer');
    expect(acceptCounterOfferRefusal(withClaims([countered(50_000)], { covered: 50_000 }), 'C1')).toBeUndefined();
    expect(acceptCounterOfferRefusal(withClaims([countered(50_000)], { covered: 49_999 }), 'C1')).toBe(
      'cannot accept the counter-offer: its refund 500.00 USD exceeds the covered amount 499.99 USD; escalate the claim to the platform instead',
    );
  });

  it(`the buyer escalates an open or answered claim from day ${policy.buyerEscalationFromDay}`, () => {
    const openedAt = '2026-12-10T09:30:00.000Z';
    const from = Date.parse(openedAt) + (policy.buyerEscalationFromDay - 1) * DAY_MS;
    const at = (status: Claim['status'], now: number) => escalateClaimRefusal(snap(orderState({ status: 'DELIVERED', claims: [claim({ status, openedAt })] }), now), 'C1');
    expect(at('OPEN', from)).toBeUndefined();
    expect(at('RESPONDED', from + DAY_MS)).toBeUndefined();
    expect(at('OPEN', from - 1)).toBe(`cannot escalate claim C1 yet: the buyer may escalate from day ${policy.buyerEscalationFromDay} (2026-12-13T09:30:00.000Z)`);
    expect(at('RESPONDED', Date.parse(openedAt))).toMatch(/yet: the buyer may escalate/);
    expect(at('ESCALATED', from)).toBe('cannot escalate claim C1: it is escalated');
    expect(at('CLOSED', from)).toBe('cannot escalate claim C1: it is closed');
  });

  it('the buyer withdraws any claim not closed', () => {
    const statuses = ['OPEN', 'RESPONDED', 'ESCALATED', 'CLOSED'] as const;
    expect(statuses.filter((status) => withdrawClaimRefusal(withClaims([claim({ status })]), 'C1') === undefined)).toEqual(['OPEN', 'RESPONDED', 'ESCALATED']);
    expect(withdrawClaimRefusal(withClaims([claim({ status: 'CLOSED' })]), 'C1')).toBe('cannot withdraw claim C1: it is already closed');
  });

  it('ops decide an escalated claim only', () => {
    const statuses = ['OPEN', 'RESPONDED', 'ESCALATED', 'CLOSED'] as const;
    expect(statuses.filter((status) => decideClaimRefusal(withClaims([claim({ status })]), 'C1') === undefined)).toEqual(['ESCALATED']);
    expect(decideClaimRefusal(withClaims([claim({ status: 'RESPONDED' })]), 'C1')).toBe(
      "cannot decide claim C1: only an escalated claim awaits the platform's decision (it is responded)",
    );
  });

  it('the decided refund: a whole number from 0 to the refund asked, within the ceiling', () => {
    const o = withClaims([claim({ status: 'ESCALATED', refundAsked: 100_000 })]);
    const decide = (refund: number) => claimDecisionRefusal(o, { claimId: 'C1', refund });
    expect(decide(0)).toBeUndefined();
    expect(decide(100_000)).toBeUndefined();
    for (const refund of [-1, 1.5, Number.NaN]) expect(decide(refund)).toBe('the refund must be a whole number of minor units, zero or more');
    expect(decide(100_001)).toBe('refund 1,000.01 USD exceeds the refund asked 1,000.00 USD');
    const capped = withClaims([claim({ status: 'ESCALATED', refundAsked: 100_000 })], { covered: 300_000, claimRefunded: 250_000, refunded: 250_000 });
    expect(claimDecisionRefusal(capped, { claimId: 'C1', refund: 50_000 })).toBeUndefined();
    expect(claimDecisionRefusal(capped, { claimId: 'C1', refund: 50_001 })).toBe(
      'refund 500.01 USD exceeds the covered amount 3,000.00 USD less 2,500.00 USD already refunded on claims (500.00 USD left)',
    );
  });
});

describe('evidence', () => {
  const maxFiles = policy.limits.maxEvidenceFilesPerParty;
  const maxBytes = policy.limits.maxEvidenceBytesPerParty;
  const withClaim = (c: Claim) => snap(orderState({ status: 'DELIVERED', claims: [c] }, PAID_AMOUNTS));
  const files = (party: 'buyer' | 'supplier', n: number, size = 1_000) => Array.from({ length: n }, (_, i) => evidence(party, i, size));

  it('a repeat is a file the party already added, with no request to that party open', () => {
    const c = claim({ evidence: [evidence('buyer', 0)] });
    expect(isRepeatedEvidence(c, 'buyer', 'buyer-sha-0')).toBe(true);
    expect(isRepeatedEvidence(c, 'buyer', 'buyer-sha-1')).toBe(false);
    expect(isRepeatedEvidence(c, 'supplier', 'buyer-sha-0')).toBe(false);
    expect(isRepeatedEvidence(c, 'ops', 'buyer-sha-0')).toBe(false);
    const asked = { ...c, evidenceRequests: [{ id: 'C1-E1', party: 'buyer' as const, description: 'more', dueAt: CREATED, status: 'OPEN' as const }] };
    expect(isRepeatedEvidence(asked, 'buyer', 'buyer-sha-0')).toBe(false);
    const answered = { ...c, evidenceRequests: [{ ...asked.evidenceRequests[0], status: 'FULFILLED' as const }] };
    expect(isRepeatedEvidence(answered, 'buyer', 'buyer-sha-0')).toBe(true);
  });

  it(`each party adds at most ${maxFiles} files to an open claim; a repeat answers even at the cap`, () => {
    expect(addEvidenceRefusal(withClaim(claim({ status: 'CLOSED' })), buyer, 'C1')).toBe('cannot add evidence: claim C1 is closed');
    for (const status of ['OPEN', 'RESPONDED', 'ESCALATED'] as const) expect(addEvidenceRefusal(withClaim(claim({ status })), buyer, 'C1')).toBeUndefined();
    expect(addEvidenceRefusal(withClaim(claim({ evidence: files('buyer', maxFiles - 1) })), buyer, 'C1')).toBeUndefined();
    const full = withClaim(claim({ evidence: files('buyer', maxFiles) }));
    expect(addEvidenceRefusal(full, buyer, 'C1')).toBe(
      `cannot add evidence: the buyer has added ${maxFiles} files to claim C1, the most allowed (limit maxEvidenceFilesPerParty = ${maxFiles})`,
    );
    expect(addEvidenceRefusal(full, buyer, 'C1', { sha256: 'new' })).toMatch(/the most allowed/);
    expect(addEvidenceRefusal(full, buyer, 'C1', { sha256: 'buyer-sha-3' })).toBeUndefined();
    // The other party's files do not count.
    expect(addEvidenceRefusal(full, supplier, 'C1')).toBeUndefined();
    // A request to the buyer since: the same file again counts as a new one.
    const asked = withClaim(claim({ evidence: files('buyer', maxFiles), evidenceRequests: [{ id: 'C1-E1', party: 'buyer', description: 'more', dueAt: CREATED, status: 'OPEN' }] }));
    expect(addEvidenceRefusal(asked, buyer, 'C1', { sha256: 'buyer-sha-3' })).toMatch(/the most allowed/);
  });

  it(`each party's files on a claim total at most ${maxBytes} bytes; a repeat adds none`, () => {
    const o = withClaim(claim({ evidence: [evidence('buyer', 0, 1_000_000), evidence('supplier', 0, maxBytes)] }));
    const add = (size: number, sha256 = 'new', actor: { role: 'buyer' | 'supplier' } = buyer) => evidenceFileRefusal(o, actor, { claimId: 'C1', file: { sha256, size } });
    expect(add(maxBytes - 1_000_000)).toBeUndefined();
    expect(add(maxBytes - 1_000_000 + 1)).toBe(
      `cannot add evidence: the buyer's files on claim C1 would total ${maxBytes + 1} bytes, over the limit maxEvidenceBytesPerParty = ${maxBytes} bytes`,
    );
    expect(add(maxBytes, 'buyer-sha-0')).toBeUndefined();
    expect(add(1, 'new', supplier)).toMatch(/the supplier's files on claim C1 would total/);
    expect(add(0, 'new', supplier)).toBeUndefined();
  });

  it(`ops request evidence on an open claim, at most ${policy.limits.maxEvidenceRequests} times`, () => {
    const max = policy.limits.maxEvidenceRequests;
    const requests = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `C1-E${i + 1}`, party: 'buyer' as const, description: 'more', dueAt: CREATED, status: 'FULFILLED' as const }));
    expect(requestEvidenceRefusal(withClaim(claim({ status: 'CLOSED' })), 'C1')).toBe('cannot request evidence: claim C1 is closed');
    expect(requestEvidenceRefusal(withClaim(claim({ status: 'ESCALATED', evidenceRequests: requests(max - 1) })), 'C1')).toBeUndefined();
    expect(requestEvidenceRefusal(withClaim(claim({ evidenceRequests: requests(max) })), 'C1')).toBe(
      `cannot request evidence: claim C1 has had ${max} evidence requests, the most allowed (limit maxEvidenceRequests); decide the claim`,
    );
  });

  it(`an evidence request is due ${policy.evidenceMinDueHours} hours to ${policy.evidenceMaxDueDays} days from now, both included`, () => {
    const o = snap(orderState(), NOW);
    const due = (ms: number) => evidenceDueRefusal(o, new Date(ms).toISOString());
    const min = NOW + policy.evidenceMinDueHours * HOUR_MS;
    const max = NOW + policy.evidenceMaxDueDays * DAY_MS;
    const window = `an evidence request is due between ${policy.evidenceMinDueHours} hours and ${policy.evidenceMaxDueDays} days from now`;
    expect(due(min)).toBeUndefined();
    expect(due(max)).toBeUndefined();
    expect(due(min - 1)).toBe(window);
    expect(due(max + 1)).toBe(window);
    expect(due(NOW)).toBe(window);
    expect(evidenceDueRefusal(o, 'next tuesday')).toBe('dueAt is not a date');
    expect(evidenceDueRefusal(o, '')).toBe('dueAt is not a date');
  });
});
