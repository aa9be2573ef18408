import {
  CURRENT_ORDER_POLICY_VERSION,
  ORDER_POLICIES,
  checkDraft,
  latestDraftShippingDate,
  latestShippingDate,
  orderPolicy,
  orderTotal,
  shippingPeriodDays,
  type DraftItem,
  type DraftTerms,
  type OrderPolicy,
} from '../../workflows/order.policy';

const policy: OrderPolicy = orderPolicy(CURRENT_ORDER_POLICY_VERSION);

function item(sku: string, quantity: number, unitPrice: number): DraftItem {
  return { sku, description: `item ${sku}`, quantity, unitPrice };
}

function draft(overrides: Partial<DraftTerms> = {}): DraftTerms {
  return {
    currency: 'USD',
    items: [item('A-1', 10, 1_000), item('B-2', 2, 2_500)],
    depositAmount: 3_000,
    shippingDate: '2026-12-01',
    ...overrides,
  };
}

const fields = (terms: DraftTerms, p: OrderPolicy = policy) => checkDraft(terms, p).map((problem) => problem.field);

describe('orderTotal', () => {
  it('sums quantity times unit price', () => {
    expect(orderTotal([item('A', 10, 1_000), item('B', 2, 2_500)])).toBe(15_000);
    expect(orderTotal([item('A', 3, 7)])).toBe(21);
  });

  it('is zero for no items or free items', () => {
    expect(orderTotal([])).toBe(0);
    expect(orderTotal([item('A', 5, 0)])).toBe(0);
  });
});

describe('orderPolicy', () => {
  it('resolves the current version', () => {
    expect(CURRENT_ORDER_POLICY_VERSION in ORDER_POLICIES).toBe(true);
    expect(policy.version).toBe(CURRENT_ORDER_POLICY_VERSION);
    expect(policy.maxItems).toBeGreaterThan(0);
    expect(policy.maxOrderTotal).toBeGreaterThan(0);
  });

  it('throws for an unknown version', () => {
    expect(() => orderPolicy('1999-01')).toThrow('unknown order policy version 1999-01');
    expect(() => orderPolicy('')).toThrow(/unknown order policy version/);
    // Names inherited from Object.prototype are not policy versions either.
    expect(() => orderPolicy('toString')).toThrow('unknown order policy version toString');
    expect(() => orderPolicy('constructor')).toThrow(/unknown order policy version/);
  });
});

describe('checkDraft', () => {
  it('holds the shipping date to the shipping period of the draft day when asked (orders of code revision 7 on), naming the field and the last date', () => {
    const period = { shippingPeriod: true };
    expect(latestDraftShippingDate(policy, '2026-12-08')).toBe('2027-03-08');
    expect(checkDraft(draft({ shippingDate: '2027-03-08' }), policy, '2026-12-08', period)).toEqual([]);
    const [problem, ...rest] = checkDraft(draft({ shippingDate: '2027-03-09' }), policy, '2026-12-08', period);
    expect(rest).toEqual([]);
    expect(problem.field).toBe('shippingDate');
    expect(problem.reason).toContain('more than 90 days away');
    expect(problem.reason).toContain('2027-03-08');
    // A date no calendar of the order could count to (its deadline would fall in the year 10000).
    expect(checkDraft(draft({ shippingDate: '9999-12-31' }), policy, '2026-12-08', period).map((x) => x.field)).toEqual(['shippingDate']);
    // A date in the past is named as such, once.
    expect(checkDraft(draft({ shippingDate: '2026-12-07' }), policy, '2026-12-08', period).map((x) => x.reason)).toEqual(['2026-12-07 is in the past (today is 2026-12-08)']);
    // Without the rule (orders of earlier code revisions), or without a day to count from, any date ahead passes.
    expect(checkDraft(draft({ shippingDate: '9999-12-31' }), policy, '2026-12-08')).toEqual([]);
    expect(checkDraft(draft({ shippingDate: '9999-12-31' }), policy, undefined, period)).toEqual([]);
  });

  it('returns no problems for a valid draft', () => {
    expect(checkDraft(draft(), policy)).toEqual([]);
  });

  it('accepts a deposit equal to the total', () => {
    expect(checkDraft(draft({ depositAmount: 15_000 }), policy)).toEqual([]);
  });

  it('refuses a deposit above the total, naming depositAmount', () => {
    const problems = checkDraft(draft({ depositAmount: 15_001 }), policy);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('depositAmount');
    expect(problems[0]!.reason).toMatch(/deposit/);
  });

  it('refuses an unsupported currency, naming currency', () => {
    const problems = checkDraft(draft({ currency: 'XYZ' }), policy);
    expect(problems).toEqual([{ field: 'currency', reason: expect.stringContaining('XYZ') }]);
    expect(fields(draft({ currency: 'usd' }))).toEqual(['currency']);
  });

  it('refuses an empty item list, naming items', () => {
    const problems = checkDraft(draft({ items: [] }), policy);
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems.every((p) => p.field === 'items')).toBe(true);
    expect(problems.map((p) => p.reason)).toContain('a purchase order needs at least one item');
  });

  it('names the second occurrence of a duplicate SKU', () => {
    const problems = checkDraft(draft({ items: [item('A-1', 1, 100), item('A-1', 2, 100)], depositAmount: 100 }), policy);
    expect(problems).toEqual([{ field: 'items[1].sku', reason: expect.stringContaining('A-1') }]);
  });

  it('names every later duplicate by its index', () => {
    const items = [item('A', 1, 100), item('B', 1, 100), item('A', 1, 100), item('B', 1, 100)];
    expect(fields(draft({ items, depositAmount: 100 }))).toEqual(['items[2].sku', 'items[3].sku']);
  });

  it('accepts a total exactly at policy.maxOrderTotal', () => {
    expect(checkDraft(draft({ items: [item('A', 1, policy.maxOrderTotal)], depositAmount: 1 }), policy)).toEqual([]);
  });

  it('refuses a total over policy.maxOrderTotal, naming items', () => {
    const problems = checkDraft(draft({ items: [item('A', 1, policy.maxOrderTotal + 1)], depositAmount: 1 }), policy);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('items');
    expect(problems[0]!.reason).toMatch(/exceeds/);
  });

  it('refuses a total past the safe-integer range, naming items', () => {
    const problems = checkDraft(draft({ items: [item('A', 10_000_000, Number.MAX_SAFE_INTEGER)], depositAmount: 1 }), policy);
    expect(problems.map((p) => p.field)).toEqual(['items']);
    expect(problems[0]!.reason).toMatch(/exceeds/);
  });

  it('applies the maxOrderTotal of the policy passed in', () => {
    const small: OrderPolicy = { ...policy, maxOrderTotal: 10_000 };
    expect(fields(draft(), small)).toEqual(['items']);
    expect(fields(draft(), { ...policy, maxOrderTotal: 15_000 })).toEqual([]);
  });

  it('refuses a zero total, naming items', () => {
    const problems = checkDraft(draft({ items: [item('A', 3, 0)], depositAmount: 1 }), policy);
    expect(problems).toEqual([{ field: 'items', reason: 'the order total must be positive' }]);
  });

  it('refuses more items than policy.maxItems, naming items', () => {
    const tooMany = Array.from({ length: policy.maxItems + 1 }, (_, i) => item(`SKU-${i}`, 1, 100));
    const problems = checkDraft(draft({ items: tooMany, depositAmount: 100 }), policy);
    expect(problems).toEqual([{ field: 'items', reason: `at most ${policy.maxItems} items per purchase order` }]);
  });

  it('accepts exactly policy.maxItems items', () => {
    const items = Array.from({ length: policy.maxItems }, (_, i) => item(`SKU-${i}`, 1, 100));
    expect(checkDraft(draft({ items, depositAmount: 100 }), policy)).toEqual([]);
  });

  it('reports several problems at once', () => {
    const items = [item('A', 1, 100), item('A', 1, 100)];
    expect(fields(draft({ currency: 'XYZ', items, depositAmount: 201 }))).toEqual(['currency', 'items[1].sku', 'depositAmount']);
  });
});

describe('latestShippingDate', () => {
  it('is the confirmation day plus 90 calendar days, whatever the hour of confirmation', () => {
    expect(latestShippingDate(policy, Date.parse('2026-12-07T00:00:00Z'))).toBe('2027-03-07');
    expect(latestShippingDate(policy, Date.parse('2026-12-07T23:59:59.999Z'))).toBe('2027-03-07');
    expect(shippingPeriodDays(Date.parse('2026-12-07T23:00:00Z'), '2027-03-07')).toBe(90);
    expect(shippingPeriodDays(Date.parse('2026-12-07T23:00:00Z'), '2027-03-08')).toBe(91);
  });
});
