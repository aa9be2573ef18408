/**
 * The order workflow's contract: its input, state, updates and queries. The API imports this
 * module (never the workflow body) to start, update and query orders.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DraftItem } from './order.policy';

export const ORDER_WORKFLOW_TYPE = 'tradeOrderWorkflow';

export function orderWorkflowId(orderId: string): string {
  return `order:${orderId}`;
}

export type OrderStatus =
  | 'DRAFT'
  | 'BUYER_CONFIRMED'
  | 'CONFIRMED'
  | 'DEPOSIT_PAID'
  | 'PAID'
  | 'SHIPPED'
  | 'DELIVERED'
  | 'RECEIPT_CONFIRMED'
  | 'COMPLETED';

export type ActorRole = 'ops' | 'support' | 'buyer' | 'supplier' | 'system';

/** Who asked for an action: the API fills it from the caller's API key, never from the request body. */
export interface Actor {
  role: ActorRole;
  partyId?: string;
  keyId?: string;
}

export interface OrderTermsInput {
  currency: string;
  items: DraftItem[];
  depositAmount: number;
  shippingDate: string;
  qualityRequirements?: string;
  shippingMarks?: string;
  packaging?: string;
}

export interface TradeOrderInput {
  orderId: string;
  buyerId: string;
  supplierId: string;
  terms: OrderTermsInput;
  policyVersion: string;
  createdBy: Actor;
}

export interface Shipment {
  carrier: string;
  trackingNumber: string;
  shippedAt: string;
}

export interface NextStep {
  /** The action that moves the order on, in the API's words. */
  action: string;
  /** Which party is expected to take it. */
  by: 'buyer' | 'supplier' | 'ops' | 'system' | 'nobody';
  description: string;
}

export interface OrderState {
  orderId: string;
  status: OrderStatus;
  buyerId: string;
  supplierId: string;
  terms: OrderTermsInput;
  policyVersion: string;
  amounts: {
    currency: string;
    total: number;
    deposit: number;
    balance: number;
    paid: number;
    held: number;
    released: number;
  };
  shipment?: Shipment;
  deliveredAt?: string;
  receiptConfirmedAt?: string;
  completedAt?: string;
  nextStep: NextStep;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export interface ActionInput {
  actor: Actor;
}

export type PaymentKind = 'deposit' | 'balance';

export interface PaymentInput extends ActionInput {
  kind: PaymentKind;
  amount: number;
  /** The payment's reference at the bank or gateway; it keys the ledger transaction. */
  reference: string;
}

export interface ShipInput extends ActionInput {
  carrier: string;
  trackingNumber: string;
}

export type DeliveryInput = ActionInput;

/** Failure types the API maps to HTTP statuses. */
export const ACTION_REFUSED = 'ActionRefused';
export const ACTOR_NOT_ALLOWED = 'ActorNotAllowed';
export const INVALID_DRAFT = 'InvalidDraft';

export const getOrderQuery = defineQuery<OrderState>('getOrder');

export const confirmByBuyerUpdate = defineUpdate<OrderState, [ActionInput]>('confirmByBuyer');
export const confirmBySupplierUpdate = defineUpdate<OrderState, [ActionInput]>('confirmBySupplier');
export const payUpdate = defineUpdate<OrderState, [PaymentInput]>('pay');
export const shipUpdate = defineUpdate<OrderState, [ShipInput]>('ship');
export const markDeliveredUpdate = defineUpdate<OrderState, [DeliveryInput]>('markDelivered');
export const confirmReceiptUpdate = defineUpdate<OrderState, [ActionInput]>('confirmReceipt');
