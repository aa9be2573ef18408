/**
 * The purchase order request's contract (workflow ID `po-request:<id>`): the buyer asks a supplier for
 * a purchase order (products, quantities, desired shipping date, quality requirements, a message),
 * and the supplier drafts the order from it. The API imports this module, never the workflow body.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor } from './common';
import type { ActionInput, OrderTermsInput } from './order.messages';

export const PO_REQUEST_WORKFLOW_TYPE = 'purchaseOrderRequestWorkflow';

export function poRequestWorkflowId(requestId: string): string {
  return `po-request:${requestId}`;
}

/** The workflow failed at start: the request breaks a rule (no items, a shipping date in the past…). */
export const INVALID_REQUEST = 'InvalidPurchaseRequest';

export interface RequestedItem {
  /** The supplier's SKU, when the buyer knows it. */
  sku?: string;
  description: string;
  quantity: number;
}

export interface PurchaseOrderRequestInput {
  requestId: string;
  buyerId: string;
  supplierId: string;
  items: RequestedItem[];
  /** The shipping date the buyer wants, YYYY-MM-DD. */
  desiredShippingDate: string;
  qualityRequirements?: string;
  message: string;
  policyVersion: string;
  createdBy: Actor;
}

export type PurchaseRequestStatus =
  /** Waiting for the supplier to draft the purchase order. */
  | 'OPEN'
  /** The supplier drafted the purchase order from it: `orderId`. */
  | 'DRAFTED'
  /** No draft followed within the request's window. */
  | 'EXPIRED'
  /** The buyer withdrew it. */
  | 'WITHDRAWN'
  /** The supplier declined it, with a reason. */
  | 'DECLINED';

export const PURCHASE_REQUEST_TERMINAL: readonly PurchaseRequestStatus[] = ['DRAFTED', 'EXPIRED', 'WITHDRAWN', 'DECLINED'];

export interface PurchaseRequestDeadline {
  id: string;
  kind: 'request-expiry';
  dueAt: string;
  rule: string;
  policyVersion: string;
  onExpiry: string;
}

export interface PurchaseRequestEvent {
  seq: number;
  type: string;
  at: string;
  actor: Actor;
  summary: string;
}

export interface PurchaseRequestState {
  requestId: string;
  status: PurchaseRequestStatus;
  buyerId: string;
  supplierId: string;
  items: RequestedItem[];
  desiredShippingDate: string;
  qualityRequirements?: string;
  message: string;
  policyVersion: string;
  /** The purchase order drafted from this request. */
  orderId?: string;
  closedReason?: string;
  deadlines: PurchaseRequestDeadline[];
  /** What happened to the request, oldest first (it has no table of its own). */
  events: PurchaseRequestEvent[];
  nextStep: { action: string; by: 'buyer' | 'supplier' | 'nobody'; description: string };
  revision: number;
  createdAt: string;
  updatedAt: string;
}

/** The supplier drafts the purchase order from the request; the API names the order and its policy version. */
export interface DraftFromRequestInput extends ActionInput {
  orderId: string;
  /** The buyer the caller drafts for: it must be the request's buyer. */
  buyerId: string;
  /** The supplier ops names when drafting on its behalf: it must be the request's supplier. */
  supplierId?: string;
  terms: OrderTermsInput;
  /** The order policy version the order pins (the API's current one). */
  orderPolicyVersion: string;
  /** The order workflow's code revision the order starts on (TradeOrderInput.codeRevision). */
  orderCodeRevision?: number;
}

export interface DeclineRequestInput extends ActionInput {
  reason: string;
}

export interface WithdrawRequestInput extends ActionInput {
  reason?: string;
}

/** What a request's Update answers: small, since every answer is kept in the history. */
export interface PurchaseRequestAck {
  requestId: string;
  status: PurchaseRequestStatus;
  revision: number;
  orderId?: string;
}

export const getPurchaseRequestQuery = defineQuery<PurchaseRequestState>('getPurchaseRequest');
export const draftOrderFromRequestUpdate = defineUpdate<PurchaseRequestAck, [DraftFromRequestInput]>('draftOrderFromRequest');
export const declineRequestUpdate = defineUpdate<PurchaseRequestAck, [DeclineRequestInput]>('declineRequest');
export const withdrawRequestUpdate = defineUpdate<PurchaseRequestAck, [WithdrawRequestInput]>('withdrawRequest');
