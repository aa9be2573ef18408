/**
 * Purchase order request policy, by version: how long a request waits for the supplier's draft and
 * what one request may hold. A request pins the version in force when it was submitted; a new version
 * is added here, never an old one edited. Pure module: imported by the workflow and by the API.
 */
import { isValidDate } from './calendar';
import type { RequestedItem } from './po-request.messages';

export interface PurchaseRequestPolicy {
  version: string;
  /** A request the supplier has not drafted a purchase order from within this many days expires. */
  expiryDays: number;
  /** Most products on one request. */
  maxItems: number;
}

export const PURCHASE_REQUEST_POLICIES: Readonly<Record<string, PurchaseRequestPolicy>> = {
  '2026-12': { version: '2026-12', expiryDays: 14, maxItems: 200 },
};

export const CURRENT_PURCHASE_REQUEST_POLICY_VERSION = '2026-12';

export function purchaseRequestPolicy(version: string): PurchaseRequestPolicy {
  const policy = Object.prototype.hasOwnProperty.call(PURCHASE_REQUEST_POLICIES, version) ? PURCHASE_REQUEST_POLICIES[version] : undefined;
  if (!policy) throw new Error(`unknown purchase order request policy version ${version}`);
  return policy;
}

export interface FieldProblem {
  field: string;
  reason: string;
}

/** Business checks on a request (the API checks shapes first); `today` is YYYY-MM-DD (UTC). */
export function checkRequest(
  request: { items: readonly RequestedItem[]; desiredShippingDate: string; buyerId: string; supplierId: string },
  policy: PurchaseRequestPolicy,
  today: string,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (request.items.length === 0) problems.push({ field: 'items', reason: 'a request names at least one product' });
  if (request.items.length > policy.maxItems) problems.push({ field: 'items', reason: `at most ${policy.maxItems} products per request` });
  request.items.forEach((item, i) => {
    if (!Number.isSafeInteger(item.quantity) || item.quantity <= 0) problems.push({ field: `items[${i}].quantity`, reason: 'must be a positive whole number' });
  });
  if (!isValidDate(request.desiredShippingDate)) problems.push({ field: 'desiredShippingDate', reason: 'must be a real date as YYYY-MM-DD' });
  else if (request.desiredShippingDate < today) problems.push({ field: 'desiredShippingDate', reason: `${request.desiredShippingDate} is in the past (today is ${today})` });
  if (request.buyerId === request.supplierId) problems.push({ field: 'supplierId', reason: 'a buyer requests a purchase order from another party' });
  return problems;
}
