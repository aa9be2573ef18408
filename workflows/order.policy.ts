/**
 * Order policy: the windows and limits an order is held to, by version. An order pins the version
 * in force when it was created; a new version is added here, never an old one edited.
 * Pure module: imported by the order workflow, and by the API for read-only checks before a start.
 */
import { isMinorUnits, isSupportedCurrency } from './money';

export interface OrderPolicy {
  version: string;
  /** The largest order total accepted, in minor units. */
  maxOrderTotal: number;
  /** Most line items on one purchase order. */
  maxItems: number;
}

export const ORDER_POLICIES: Readonly<Record<string, OrderPolicy>> = {
  '2026-11': {
    version: '2026-11',
    maxOrderTotal: 1_000_000_000_00,
    maxItems: 200,
  },
};

export const CURRENT_ORDER_POLICY_VERSION = '2026-11';

export function orderPolicy(version: string): OrderPolicy {
  const policy = Object.prototype.hasOwnProperty.call(ORDER_POLICIES, version) ? ORDER_POLICIES[version] : undefined;
  if (!policy) throw new Error(`unknown order policy version ${version}`);
  return policy;
}

export interface DraftItem {
  sku: string;
  description: string;
  quantity: number;
  /** Price of one unit in minor units of the order's currency. */
  unitPrice: number;
}

export interface DraftTerms {
  currency: string;
  items: DraftItem[];
  /** Initial payment (deposit) in minor units; the balance is the total minus the deposit. */
  depositAmount: number;
  /** Agreed shipping date, YYYY-MM-DD. */
  shippingDate: string;
}

export interface FieldProblem {
  field: string;
  reason: string;
}

export function orderTotal(items: readonly DraftItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
}

/**
 * Business checks on a purchase-order draft (the API checks shapes first). Returns every problem,
 * each naming its field; an empty list means the draft may be started.
 */
export function checkDraft(terms: DraftTerms, policy: OrderPolicy): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!isSupportedCurrency(terms.currency)) {
    problems.push({ field: 'currency', reason: `${terms.currency} is not a supported settlement currency` });
  }
  if (terms.items.length === 0) problems.push({ field: 'items', reason: 'a purchase order needs at least one item' });
  if (terms.items.length > policy.maxItems) {
    problems.push({ field: 'items', reason: `at most ${policy.maxItems} items per purchase order` });
  }
  const skus = new Set<string>();
  terms.items.forEach((item, i) => {
    if (skus.has(item.sku)) problems.push({ field: `items[${i}].sku`, reason: `SKU ${item.sku} appears twice` });
    skus.add(item.sku);
  });
  const total = orderTotal(terms.items);
  if (!isMinorUnits(total) || total > policy.maxOrderTotal) {
    problems.push({ field: 'items', reason: `the order total exceeds the largest accepted total (${policy.maxOrderTotal} minor units)` });
  } else if (total <= 0) {
    problems.push({ field: 'items', reason: 'the order total must be positive' });
  } else if (terms.depositAmount > total) {
    problems.push({ field: 'depositAmount', reason: 'the deposit cannot exceed the order total' });
  }
  return problems;
}
