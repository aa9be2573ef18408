/**
 * What a process hands its read model with each change: the timeline entry and the open deadlines,
 * and for an order its row and its view.
 * The workflows produce these and the record*Change activities write them; a leaf module, so the
 * activities that share the contract do not import each other.
 */

import type { OrderState } from './order.messages';

/** One entry of a resource's timeline: the change at revision `seq`. */
export interface TimelineEntry {
  seq: number;
  type: TimelineEventType;
  actorRole: string;
  actorId?: string;
  summary: string;
  data: Record<string, unknown>;
  occurredAt: string;
}

/** One open deadline as the workflow holds it (order, monitoring and case deadlines share this shape). */
export interface OpenDeadlineInput {
  id: string;
  kind: string;
  dueAt: string;
  rule: string;
  policyVersion: string;
  onExpiry: string;
  claimId?: string;
  /** Counted in working days on provisional calendar data. */
  provisional?: boolean;
}

/** The order's row in the read model, as the workflow sees it at one revision. */
export interface OrderReadModel {
  id: string;
  status: string;
  buyerId: string;
  supplierId: string;
  currency: string;
  totalAmount: number;
  depositAmount: number;
  paidAmount: number;
  heldAmount: number;
  releasedAmount: number;
  shippingDate: string;
  policyVersion: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
  coveredAmount?: number;
  refundedAmount?: number;
  nextDeadlineAt?: string;
  completedAt?: string;
  paidAt?: string;
  deliveredAt?: string;
  shipment?: { carrier: string; trackingNumber: string; shippedAt: string };
  /** Every open deadline at this revision (absent from orders of the first workflow version). */
  deadlines?: OpenDeadlineInput[];
}

/** The order's row at the view's revision. */
export function orderRowOf(view: OrderState): OrderReadModel {
  const { amounts } = view;
  const deadlines = view.deadlines ?? [];
  return {
    id: view.orderId,
    status: view.status,
    buyerId: view.buyerId,
    supplierId: view.supplierId,
    currency: amounts.currency,
    totalAmount: amounts.total,
    depositAmount: amounts.deposit,
    paidAmount: amounts.paid,
    heldAmount: amounts.held,
    releasedAmount: amounts.released,
    shippingDate: view.shippingDate ?? view.terms.shippingDate,
    policyVersion: view.policyVersion,
    revision: view.revision,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    paidAt: view.paidAt,
    deliveredAt: view.deliveredAt,
    shipment: view.shipment && { carrier: view.shipment.carrier, trackingNumber: view.shipment.trackingNumber, shippedAt: view.shipment.shippedAt },
    coveredAmount: amounts.covered ?? 0,
    refundedAmount: amounts.refunded ?? 0,
    nextDeadlineAt: deadlines[0]?.dueAt,
    completedAt: view.completedAt,
    deadlines: [...deadlines],
  };
}

/**
 * The longest order view (JSON characters) that travels with a change. Each change's record activity
 * carries it and the history keeps it, so an order with many claims and files sends its row alone
 * instead, and its actions are answered by a Query.
 */
export const ORDER_VIEW_MAX_CHARS = 8_000;

/** The same for a monitoring task: a longer one (many rounds, reports, checks) sends its row alone. */
export const MONITORING_VIEW_MAX_CHARS = 8_000;

/** Every change an order records on its timeline. */
export const ORDER_EVENT_TYPES = [
  'DRAFTED', 'CHANGES_REQUESTED', 'DRAFT_REVISED', 'DRAFT_EXPIRED', 'BUYER_CONFIRMED', 'SUPPLIER_CONFIRMED',
  'DEPOSIT_PAID', 'BALANCE_PAID', 'PAID', 'SHIPPING_REMINDER', 'SHIPPING_EXTENDED', 'SHIPMENT_LATE', 'SHIPPED', 'SHIPMENT_VERIFIED',
  'DELIVERED', 'RECEIVING_EXTENDED', 'RECEIPT_CONFIRMED', 'RECEIPT_AUTO_CONFIRMED', 'FUNDS_RELEASED',
  'CANCELLED', 'CANCELLED_UNPAID', 'CANCELLED_IN_WINDOW', 'CANCELLED_BY_RECALL',
  'CLAIM_OPENED', 'CLAIM_EVIDENCE_ADDED', 'CLAIM_EVIDENCE_REQUESTED', 'CLAIM_COUNTER_OFFER', 'CLAIM_REJECTED_BY_SUPPLIER', 'CLAIM_SUPPLIER_SILENT',
  'CLAIM_ESCALATED', 'CLAIM_DECISION_REMINDER', 'CLAIM_DECISION_OVERDUE', 'CLAIM_DECIDED', 'CLAIM_REFUNDED', 'CLAIM_WITHDRAWN', 'CLAIM_CANCELLED',
  'ORDER_SETTLED', 'REFUND_PAID', 'REFUND_PAYMENT_LATE', 'REFUND_PAYMENT_FAILED', 'AFTER_SERVICE_REFUND', 'FEEDBACK_LEFT', 'DEADLINE_PASSED',
] as const;

/** Every change a production-monitoring task records on its timeline. */
export const MONITORING_EVENT_TYPES = [
  'BOOKED', 'PAID', 'BOOKING_LAPSED', 'EDITED', 'SHIPMENT_DATE_CHANGED', 'SHIPMENT_DATE_NOT_APPLIED', 'PRODUCT_INFO_ADDED', 'PRODUCT_INFO_REMINDER',
  'INSPECTOR_ASSIGNED', 'INSPECTOR_ASSIGNMENT_OVERDUE', 'PROGRESS_RECORDED', 'PRODUCTION_AT_RISK', 'CHECK_RECORDED', 'REPORT_REMINDER',
  'REPORT_LATE', 'REPORT_UPLOADED', 'REINSPECTION_REQUESTED', 'REVIEWED', 'COMPLETED', 'CANCELLED', 'DESELECTED',
] as const;

/** Every change an after-service case records on its timeline. */
export const CASE_EVENT_TYPES = [
  'OPENED', 'OPENED_PROACTIVELY', 'ACCEPTED_AUTOMATICALLY', 'AUTOMATIC_CANCEL_REFUSED', 'FIRST_REPLY_REMINDER', 'FIRST_REPLY_MISSED',
  'FIRST_REPLY', 'REPLY', 'EVIDENCE_ADDED', 'RESOLVED_RESEND', 'RESOLVED_REFUND', 'RESOLVED_PARTIAL_REFUND', 'RESOLVED_RETURN_AND_REFUND',
  'RESOLVED_REJECTED', 'RETURN_RECEIVED', 'RECALL_SUCCEEDED', 'RECALL_FAILED', 'CONFIRMED', 'AUTO_CLOSED', 'CLOSED',
] as const;

/** Every change a purchase order request records. */
export const PURCHASE_REQUEST_EVENT_TYPES = ['REQUEST_SUBMITTED', 'ORDER_DRAFTED', 'REQUEST_WITHDRAWN', 'REQUEST_DECLINED', 'REQUEST_EXPIRED'] as const;

export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];
export type MonitoringEventType = (typeof MONITORING_EVENT_TYPES)[number];
export type CaseEventType = (typeof CASE_EVENT_TYPES)[number];
export type PurchaseRequestEventType = (typeof PURCHASE_REQUEST_EVENT_TYPES)[number];
/** A timeline event's type: renaming one breaks the build wherever it is named (escalations, reminders, the late-task queue). */
export type TimelineEventType = OrderEventType | MonitoringEventType | CaseEventType | PurchaseRequestEventType;
