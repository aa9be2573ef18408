/**
 * What a process hands its read model with each change: the timeline entry and the open deadlines.
 * The workflows produce these and the record*Change activities write them; a leaf module, so the
 * activities that share the contract do not import each other.
 */

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
