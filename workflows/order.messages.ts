/**
 * The order workflow's contract: its input, state, updates and queries. The API imports this
 * module (never the workflow body) to start, update and query orders.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor } from './common';
import type { DraftItem } from './order.policy';
import type { OpenDeadlineInput } from './read-model';

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
  | 'COMPLETED'
  /** Nobody confirmed the draft within its window. */
  | 'EXPIRED'
  /** Cancelled by a party, or because a payment window ended unpaid; held funds were refunded. */
  | 'CANCELLED'
  /** A claim was decided while funds were held: the refund went to the buyer, the rest to the supplier. */
  | 'SETTLED';

export { TERMINAL_STATUSES } from './order.policy';

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
  /** The buyer's purchase order request the supplier drafted this order from. */
  requestId?: string;
  /**
   * The order workflow's code revision the order starts on (ORDER_CODE_REVISION). From revision 6 on,
   * every change made behind a patch before it applies without asking `patched()`: a new order's
   * history carries no patch markers (each one also upserts the TemporalChangeVersion search
   * attribute). Orders started without it ask the patches, as their histories recorded. From
   * revision 7 on, a draft's shipping date is held to the policy's shipping period
   * (SHIPPING_PERIOD_CODE_REVISION) and a cancellation tells the order's monitoring tasks. From
   * revision 8 on, an expired draft tells its monitoring tasks too (EXPIRY_TELLS_MONITORING_CODE_REVISION).
   */
  codeRevision?: number;
}

/** The order workflow's code revision new orders start on: see TradeOrderInput.codeRevision. */
export const ORDER_CODE_REVISION = 8;

/** The first code revision whose expired draft tells its monitoring tasks without a patch marker (ORDER_EXPIRY_TELLS_MONITORING_PATCH). */
export const EXPIRY_TELLS_MONITORING_CODE_REVISION = 8;

/**
 * The first code revision whose drafts (and revisions of them) must ship within the policy's
 * shipping period of the day they are made; orders started before it keep the rule they ran with.
 */
export const SHIPPING_PERIOD_CODE_REVISION = 7;

/** The first code revision whose cancellation tells its monitoring tasks without a patch marker (ORDER_CANCEL_TELLS_MONITORING_PATCH). */
export const CANCEL_TELLS_MONITORING_CODE_REVISION = 7;

export interface Shipment {
  carrier: string;
  trackingNumber: string;
  /** When the shipping proof was uploaded. */
  shippedAt: string;
  /** The carrier's first scan, once known. */
  carrierFirstScanAt?: string;
  /** The shipping time that counts: the carrier's first scan, or the upload time without carrier data. */
  effectiveShippedAt?: string;
  onTime?: boolean;
}

export type DeadlineKind =
  | 'draft-expiry'
  | 'deposit-due'
  | 'balance-due'
  | 'shipping-reminder'
  | 'shipping-date'
  | 'carrier-check'
  | 'receiving-window'
  | 'post-receipt-claims'
  | 'claim-supplier-response'
  | 'claim-buyer-may-escalate'
  | 'claim-auto-escalation'
  | 'claim-decision-reminder'
  | 'claim-decision-due'
  | 'evidence-due'
  | 'feedback-window'
  /** A refund decided on a claim is paid to the buyer by then. */
  | 'refund-payment';

/** An open deadline: when it falls due, the rule that set it, what happens then, and whether it rests on provisional calendar data. */
export interface Deadline extends OpenDeadlineInput {
  kind: DeadlineKind;
}

export type ClaimCause = 'QUALITY_MISMATCH' | 'LATE_SHIPMENT' | 'NOT_RECEIVED' | 'NOT_AS_DESCRIBED';
export const CLAIM_CAUSES: readonly ClaimCause[] = ['QUALITY_MISMATCH', 'LATE_SHIPMENT', 'NOT_RECEIVED', 'NOT_AS_DESCRIBED'];

export type ClaimStatus =
  /** Waiting for the supplier's answer. */
  | 'OPEN'
  /** The supplier counter-offered or rejected; the buyer accepts the counter-offer or escalates. */
  | 'RESPONDED'
  /** With ops for a decision. */
  | 'ESCALATED'
  /** Closed: refund decided (maybe zero), withdrawn, or cancelled by a missed evidence request. */
  | 'CLOSED';

export interface EvidenceFile {
  fileId: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  uploadedBy: 'buyer' | 'supplier' | 'ops';
  uploadedAt: string;
}

export interface EvidenceRequest {
  id: string;
  party: 'buyer' | 'supplier';
  description: string;
  dueAt: string;
  status: 'OPEN' | 'FULFILLED' | 'MISSED';
}

export interface Claim {
  id: string;
  cause: ClaimCause;
  status: ClaimStatus;
  refundAsked: number;
  description: string;
  openedAt: string;
  supplierResponse?: { kind: 'accept' | 'counter' | 'reject'; counterAmount?: number; message: string; at: string };
  escalatedAt?: string;
  escalatedBy?: 'buyer' | 'system';
  decision?: { refund: number; reason: string; by: 'supplier' | 'buyer' | 'ops' | 'system'; at: string };
  outcome?: 'REFUNDED' | 'NO_REFUND' | 'WITHDRAWN' | 'CANCELLED';
  evidence: EvidenceFile[];
  evidenceRequests: EvidenceRequest[];
}

/** A refund decided on a claim, on its way to the buyer through the payment adapter. */
export interface RefundPayment {
  claimId: string;
  amount: number;
  currency: string;
  decidedAt: string;
  /** The refund is paid by then (working days of the order's ops calendar). */
  dueAt: string;
  /** PENDING: the adapter has not completed it; PAID; FAILED: the adapter refused it, ops pays by hand. */
  status: 'PENDING' | 'PAID' | 'FAILED';
  /** The due time passed before the adapter completed it: ops leads were paged. */
  late?: boolean;
  payoutId?: string;
  paidAt?: string;
  failure?: string;
}

export interface Feedback {
  rating: number;
  comment: string;
  at: string;
}

export interface NextStep {
  /** The action that moves the order on, in the API's words. */
  action: string;
  /** Which party is expected to take it. */
  by: 'buyer' | 'supplier' | 'ops' | 'system' | 'nobody';
  description: string;
}

/** What moves an order on from each status, and who is expected to act: a pure table the API reads too. */
export const ORDER_NEXT_STEPS: Record<OrderStatus, NextStep> = {
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
  COMPLETED: { action: 'leave-feedback', by: 'nobody', description: 'the order is complete; both parties may leave feedback' },
  EXPIRED: { action: 'none', by: 'nobody', description: 'the draft expired unconfirmed' },
  CANCELLED: { action: 'none', by: 'nobody', description: 'the order is cancelled; held funds were refunded' },
  SETTLED: { action: 'leave-feedback', by: 'nobody', description: 'a claim settled the order; both parties may leave feedback' },
};

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
    /** Trade Assurance coverage reserved for this order (0 before the supplier confirms). */
    covered?: number;
    /** Every refund to the buyer: claims and after-service, from escrow or from the supplier's payable. */
    refunded?: number;
    /** The part of `refunded` decided on claims (at most min(covered, paid) in all). */
    claimRefunded?: number;
    /** The part of `refunded` recovered from the supplier's payable after release. */
    recovered?: number;
  };
  shipment?: Shipment;
  /** The agreed shipping date after any extensions. */
  shippingDate?: string;
  late?: boolean;
  confirmedAt?: string;
  paidAt?: string;
  receivingWindowEndsAt?: string;
  receivingExtensions?: { buyer?: number; supplier?: number };
  claims?: Claim[];
  /** Every open deadline, earliest first. */
  deadlines?: Deadline[];
  feedback?: { buyer?: Feedback; supplier?: Feedback };
  closedReason?: string;
  deliveredAt?: string;
  receiptConfirmedAt?: string;
  completedAt?: string;
  /** Monitoring tasks linked to this order (each linked itself): each is told when the shipping date moves or the order is cancelled. */
  monitoringIds?: string[];
  /** Places taken for monitoring tasks by bookings (reserveMonitoring), linked or not yet: they count against the order's limit. */
  monitoringReservations?: string[];
  /** A claim's refund settles the order once no claim is open: the rest of the held funds go to the supplier. */
  settlementPending?: string;
  /** Side effects that failed for good and wait on the ops late-task queue. */
  failedEffects?: number;
  /** The draft's revision: 1 as drafted, one more for each revision by the supplier. */
  draftRevision?: number;
  /** Every request for changes to the draft; the last is pending until the supplier revises. */
  changeRequests?: ChangeRequest[];
  /** Changes were asked for and the supplier has not revised the draft since: nobody can confirm yet. */
  changesPending?: boolean;
  /** Refunds decided on claims and their payment to the buyer (orders from the refund-payment change on). */
  refundPayments?: RefundPayment[];
  nextStep: NextStep;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export interface ActionInput {
  actor: Actor;
}

/** A monitoring task about to be booked on the order, by the id it will start with. */
export interface ReserveMonitoringInput extends ActionInput {
  monitoringId: string;
}

export interface ConfirmInput extends ActionInput {
  /**
   * The draft revision whose terms the party confirms (the order's `draftRevision` as it read it).
   * Given, a confirmation of terms revised since is refused; absent, the current terms are confirmed.
   */
  draftRevision?: number;
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

export interface CancelInput extends ActionInput {
  reason: string;
}

export interface ExtendShippingInput extends ActionInput {
  /** The new agreed shipping date, YYYY-MM-DD, later than the current one. */
  shippingDate: string;
}

export interface ExtendReceivingInput extends ActionInput {
  days: number;
}

export interface OpenClaimInput extends ActionInput {
  cause: ClaimCause;
  refundAsked: number;
  description: string;
}

export interface ClaimActionInput extends ActionInput {
  claimId: string;
}

export interface SupplierResponseInput extends ClaimActionInput {
  kind: 'accept' | 'counter' | 'reject';
  counterAmount?: number;
  message: string;
}

export interface DecideClaimInput extends ClaimActionInput {
  refund: number;
  reason: string;
}

export interface AddEvidenceInput extends ClaimActionInput {
  file: Omit<EvidenceFile, 'uploadedBy' | 'uploadedAt'>;
}

export interface RequestEvidenceInput extends ClaimActionInput {
  party: 'buyer' | 'supplier';
  description: string;
  dueAt: string;
}

/** A refund an after-service case decided (asked by the case through its activity). */
export interface AfterServiceRefundInput extends ActionInput {
  caseId: string;
  amount: number;
  reason: string;
}

/** Either party asks for changes to the draft before both have confirmed it. */
export interface RequestChangesInput extends ActionInput {
  message: string;
}

/** The supplier revises the draft: new terms, a new draft revision; both parties confirm again. */
export interface ReviseDraftInput extends ActionInput {
  terms: OrderTermsInput;
  /** What the revision changes, or how it answers the changes asked for. */
  message?: string;
}

/** A request for changes to the draft, kept on the order. */
export interface ChangeRequest {
  by: 'buyer' | 'supplier' | 'ops';
  message: string;
  at: string;
  /** The draft revision the changes were asked of. */
  revision: number;
}

export interface FeedbackInput extends ActionInput {
  rating: number;
  comment: string;
}

/** Failure types the API maps to HTTP statuses. */
export const INVALID_DRAFT = 'InvalidDraft';
/** A refund payout the payment adapter has not completed yet (retried), or refused for good. */
export const PAYOUT_PENDING = 'PayoutPending';
export const PAYOUT_FAILED = 'PayoutFailed';

export const getOrderQuery = defineQuery<OrderState>('getOrder');

/**
 * What an order's Update answers: small on purpose, since every answer is kept in the workflow's
 * history. Callers read the order itself with getOrderQuery.
 */
export interface OrderAck {
  orderId: string;
  status: OrderStatus;
  revision: number;
  /** The claim the action opened or acted on. */
  claimId?: string;
}

/** A monitoring task booked for this order, with the shipment date it was booked against. */
export interface MonitoringLink {
  monitoringId: string;
  shipmentDate: string;
}

/** Sent by a monitoring task when it starts: the order tells it whenever the shipping date moves. */
export const linkMonitoringSignal = defineSignal<[MonitoringLink]>('linkMonitoring');

export const confirmByBuyerUpdate = defineUpdate<OrderAck, [ConfirmInput]>('confirmByBuyer');
/**
 * Takes one of the order's places for a monitoring task before the task starts (the API's booking),
 * so that the order's limit holds however many bookings arrive at once. A place already taken by the
 * same id is answered as taken.
 */
export const reserveMonitoringUpdate = defineUpdate<OrderAck, [ReserveMonitoringInput]>('reserveMonitoring');
export const confirmBySupplierUpdate = defineUpdate<OrderAck, [ConfirmInput]>('confirmBySupplier');
export const payUpdate = defineUpdate<OrderAck, [PaymentInput]>('pay');
export const shipUpdate = defineUpdate<OrderAck, [ShipInput]>('ship');
export const markDeliveredUpdate = defineUpdate<OrderAck, [DeliveryInput]>('markDelivered');
export const confirmReceiptUpdate = defineUpdate<OrderAck, [ActionInput]>('confirmReceipt');
export const cancelOrderUpdate = defineUpdate<OrderAck, [CancelInput]>('cancelOrder');
export const extendShippingUpdate = defineUpdate<OrderAck, [ExtendShippingInput]>('extendShipping');
export const extendReceivingUpdate = defineUpdate<OrderAck, [ExtendReceivingInput]>('extendReceiving');
export const openClaimUpdate = defineUpdate<OrderAck, [OpenClaimInput]>('openClaim');
export const respondToClaimUpdate = defineUpdate<OrderAck, [SupplierResponseInput]>('respondToClaim');
export const acceptCounterOfferUpdate = defineUpdate<OrderAck, [ClaimActionInput]>('acceptCounterOffer');
export const escalateClaimUpdate = defineUpdate<OrderAck, [ClaimActionInput]>('escalateClaim');
export const withdrawClaimUpdate = defineUpdate<OrderAck, [ClaimActionInput]>('withdrawClaim');
export const afterServiceRefundUpdate = defineUpdate<OrderAck, [AfterServiceRefundInput]>('afterServiceRefund');
export const decideClaimUpdate = defineUpdate<OrderAck, [DecideClaimInput]>('decideClaim');
export const addEvidenceUpdate = defineUpdate<OrderAck, [AddEvidenceInput]>('addEvidence');
export const requestEvidenceUpdate = defineUpdate<OrderAck, [RequestEvidenceInput]>('requestEvidence');
export const leaveFeedbackUpdate = defineUpdate<OrderAck, [FeedbackInput]>('leaveFeedback');
export const requestChangesUpdate = defineUpdate<OrderAck, [RequestChangesInput]>('requestChanges');
export const reviseDraftUpdate = defineUpdate<OrderAck, [ReviseDraftInput]>('reviseDraft');
