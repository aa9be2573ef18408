/**
 * The monitoring workflow's contract: its input, state, updates and queries. The API imports this
 * module (never the workflow body) to book, update and query Production Monitoring & Inspection tasks.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor } from './common';
import type { Judgement } from './aql';
import type { AcceptedCardBrand, MonitoringAddedVia } from './monitoring.policy';
import type { ActionInput, OrderStatus } from './order.messages';
import type { OpenDeadlineInput } from './read-model';

export type { ActionInput } from './order.messages';

export const MONITORING_WORKFLOW_TYPE = 'productionMonitoringWorkflow';

export function monitoringWorkflowId(monitoringId: string): string {
  return `monitoring:${monitoringId}`;
}

/** The workflow failed at start: the booking is not allowed (after the cutoff, no supplier agreement…). */
export const BOOKING_REFUSED = 'BookingRefused';

export type MonitoringStatus =
  /** Booked; the fee is due before the booking cutoff. */
  | 'AWAITING_PAYMENT'
  /** Paid; ops assigns an inspector and confirms the check date. */
  | 'AWAITING_INSPECTOR'
  /** Inspector assigned and check date confirmed. */
  | 'INSPECTION_SCHEDULED'
  /** The on-site check is recorded; the report is due within 1–2 working days. */
  | 'AWAITING_REPORT'
  /** Report uploaded: the buyer downloads it and reviews; a Fail offers a claim or a re-inspection. */
  | 'REPORT_READY'
  | 'COMPLETED'
  /** Not paid by the booking cutoff. */
  | 'LAPSED'
  /** Cancelled or deselected by the buyer (or ops); the fee refunded by policy. */
  | 'CANCELLED';

export const MONITORING_TERMINAL: readonly MonitoringStatus[] = ['COMPLETED', 'LAPSED', 'CANCELLED'];

/** What the inspector verifies against the proforma invoice (the order's terms). */
export interface ProductDetails {
  productName: string;
  quantity: number;
  shippingMarks?: string;
  packaging?: string;
  innerCartonMarkings?: string;
}

export interface MonitoringInput {
  monitoringId: string;
  orderId: string;
  buyerId: string;
  supplierId: string;
  addedVia: MonitoringAddedVia;
  /** Whether the order's initial payment was made when the service was added. */
  orderInitialPaymentMade: boolean;
  supplierAgreed?: boolean;
  /** The order's shipment date, YYYY-MM-DD. */
  shipmentDate: string;
  /** The supplier's working-day calendar id (e.g. CN), from the supplier's profile. */
  supplierCalendar: string;
  /** The order's status when the service was booked (a shipped or closed order is refused). */
  orderStatus?: OrderStatus;
  /** The proforma invoice the on-site check is verified against. */
  proforma: ProductDetails;
  details?: string;
  policyVersion: string;
  createdBy: Actor;
  /**
   * The monitoring workflow's code revision the task starts on (MONITORING_CODE_REVISION). From
   * revision 1 on, every change made behind a patch before it applies without asking `patched()`
   * (no patch markers, no TemporalChangeVersion upserts) and search attributes are upserted only
   * when they moved. Tasks started without it ask the patches, as their histories recorded.
   */
  codeRevision?: number;
}

/** The monitoring workflow's code revision new tasks start on: see MonitoringInput.codeRevision. */
export const MONITORING_CODE_REVISION = 1;

export type MonitoringDeadlineKind =
  | 'booking-cutoff'
  | 'product-info-reminder'
  | 'inspector-assignment'
  | 'report-reminder'
  | 'report-late'
  | 'review-window';

/** One of its open deadlines, in the shape every process hands its read model. */
export interface MonitoringDeadline extends OpenDeadlineInput {
  kind: MonitoringDeadlineKind;
}

export interface StoredFileRef {
  fileId: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface UploadedFile extends StoredFileRef {
  uploadedBy: 'buyer' | 'supplier' | 'ops' | 'inspector';
  uploadedAt: string;
}

/** What the workflow keeps of a card payment: never the card number. */
export interface CardPayment {
  paymentId: string;
  brand: AcceptedCardBrand;
  last4: string;
  amount: number;
  currency: string;
}

export type CheckResult = 'PASS' | 'PENDING' | 'FAIL';

export interface OnSiteCheck {
  round: number;
  inspector: string;
  checkedAt: string;
  observed: ProductDetails;
  lotSize: number;
  sampleInspected: number;
  defects: { critical: number; major: number; minor: number };
  aql: Judgement & { codeLetter: string; unitsToDraw: number };
  /** Each detail that differs from the proforma invoice. */
  mismatches: { field: keyof ProductDetails; expected: string; observed: string }[];
  result: CheckResult;
  reasons: string[];
  notes?: string;
}

export interface ProgressUpdate {
  at: string;
  percentComplete: number;
  expectedCompletionDate?: string;
  note: string;
  photos: StoredFileRef[];
  atRisk: boolean;
}

export interface MonitoringState {
  monitoringId: string;
  orderId: string;
  status: MonitoringStatus;
  buyerId: string;
  supplierId: string;
  addedVia: MonitoringAddedVia;
  supplierAgreed?: boolean;
  policyVersion: string;
  supplierCalendar: string;
  calendarVersion: string;
  shipmentDate: string;
  bookingCutoffAt: string;
  bookingCutoffDate: string;
  proforma: ProductDetails;
  details?: string;
  fee: { amount: number; currency: string; paid: number; refunded: number };
  payment?: CardPayment & { paidAt: string };
  /**
   * A charge the card processor never answered: it may have been taken. The next payment asks it
   * again with the same card and key before any other card is charged.
   */
  uncertainCharge?: { card: CardToCharge; amount: number; askedAt: string };
  productInfo: { description?: string; pictures: UploadedFile[] };
  /** The inspector of the current round; `inspectorId` is the inspector party whose key may act on the task. */
  inspector?: { name: string; inspectorId?: string; checkDate: string; assignedAt: string };
  round: number;
  checks: OnSiteCheck[];
  progress: ProgressUpdate[];
  reports: (UploadedFile & { round: number })[];
  /** How often each repeatable action was taken, against the policy's limits. */
  repeated?: { productInfo?: number; edits?: number; shipmentDateChanges?: number };
  late: boolean;
  review?: { rating: number; comment: string; at: string };
  closedReason?: string;
  deadlines: MonitoringDeadline[];
  nextStep: { action: string; by: 'buyer' | 'supplier' | 'ops' | 'system' | 'nobody'; description: string };
  revision: number;
  createdAt: string;
  updatedAt: string;
}

/** A card the API handed to the gateway: its token, brand and last four digits, never its number. */
export interface CardToCharge {
  token: string;
  brand: string;
  last4: string;
}

export interface PayMonitoringInput extends ActionInput {
  /** The card to charge: the workflow charges the token in an activity. */
  card?: CardToCharge;
  /** A payment the API had already charged: how tasks were paid before the workflow charged cards (their histories carry it). */
  payment?: CardPayment;
}

export interface ShipmentDateInput extends ActionInput {
  shipmentDate: string;
}

export interface ProductInfoInput extends ActionInput {
  description?: string;
  picture?: StoredFileRef;
}

export interface AssignInspectorInput extends ActionInput {
  inspector: string;
  /** The inspector party (Party.kind inspector) whose key may then record progress, the check and the report. */
  inspectorId?: string;
  /** The confirmed on-site check date, YYYY-MM-DD (supplier's calendar). */
  checkDate: string;
}

export interface RecordCheckInput extends ActionInput {
  observed: ProductDetails;
  lotSize: number;
  sampleInspected: number;
  defects: { critical: number; major: number; minor: number };
  /** Reasons the inspector cannot conclude (e.g. goods not finished); they make the result Pending. */
  pendingReasons?: string[];
  notes?: string;
}

export interface ProgressInput extends ActionInput {
  percentComplete: number;
  expectedCompletionDate?: string;
  note: string;
  photos?: StoredFileRef[];
}

export interface UploadReportInput extends ActionInput {
  file: StoredFileRef;
}

export interface EditMonitoringInput extends ActionInput {
  checkDate?: string;
  details?: string;
}

export interface CancelMonitoringInput extends ActionInput {
  reason: string;
  /** The buyer deselects the service (before the on-site check) rather than cancelling it. */
  deselect?: boolean;
}

export interface ReviewInput extends ActionInput {
  rating: number;
  comment: string;
}

export const getMonitoringQuery = defineQuery<MonitoringState>('getMonitoring');

/**
 * What a monitoring task's Update answers: small on purpose, since every answer is kept in the
 * workflow's history. Callers read the task with getMonitoringQuery.
 */
export interface MonitoringAck {
  monitoringId: string;
  status: MonitoringStatus;
  revision: number;
}

export const payMonitoringUpdate = defineUpdate<MonitoringAck, [PayMonitoringInput]>('payMonitoring');
export const changeShipmentDateUpdate = defineUpdate<MonitoringAck, [ShipmentDateInput]>('changeShipmentDate');
export const addProductInfoUpdate = defineUpdate<MonitoringAck, [ProductInfoInput]>('addProductInfo');
export const assignInspectorUpdate = defineUpdate<MonitoringAck, [AssignInspectorInput]>('assignInspector');
export const recordProgressUpdate = defineUpdate<MonitoringAck, [ProgressInput]>('recordProgress');
export const recordCheckUpdate = defineUpdate<MonitoringAck, [RecordCheckInput]>('recordCheck');
export const uploadReportUpdate = defineUpdate<MonitoringAck, [UploadReportInput]>('uploadReport');
export const editMonitoringUpdate = defineUpdate<MonitoringAck, [EditMonitoringInput]>('editMonitoring');
export const cancelMonitoringUpdate = defineUpdate<MonitoringAck, [CancelMonitoringInput]>('cancelMonitoring');
export const reviewMonitoringUpdate = defineUpdate<MonitoringAck, [ReviewInput]>('reviewMonitoring');
export const requestReinspectionUpdate = defineUpdate<MonitoringAck, [ActionInput]>('requestReinspection');

/** The order's shipping date as it stands now, sent by the order workflow when it moves. */
export interface OrderShipmentDate {
  orderId: string;
  shipmentDate: string;
}

export const orderShipmentDateSignal = defineSignal<[OrderShipmentDate]>('orderShipmentDate');

/** The order was cancelled, sent by the order workflow to each task linked to it. */
export interface OrderCancelled {
  orderId: string;
  /** Why the order was cancelled, as its timeline says. */
  reason: string;
}

export const orderCancelledSignal = defineSignal<[OrderCancelled]>('orderCancelled');
