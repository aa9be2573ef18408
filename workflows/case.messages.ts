/**
 * The after-service case workflow's contract: its input, state, updates and queries. The API and the
 * weekly self-check import this module (never the workflow body) to open, act on and read cases.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor } from './common';
import type { CaseCategory, CaseType, WindowBasis } from './after-service.policy';
import type { StoredFileRef } from './monitoring.messages';
import type { ActionInput } from './order.messages';
import type { OpenDeadlineInput } from './read-model';

export type { ActionInput } from './order.messages';
export type { CaseCategory, CaseType } from './after-service.policy';

export const CASE_WORKFLOW_TYPE = 'afterServiceCaseWorkflow';

export function caseWorkflowId(caseId: string): string {
  return `case:${caseId}`;
}

/** The workflow failed at start: the request is outside its window (the message says which, and when it closed). */
export const CASE_REFUSED = 'CaseRefused';

/** Tracking problems the weekly self-check flags. */
export type TrackingProblem = 'NOT_FOUND' | 'EXCEPTION' | 'EXPIRED' | 'STALE';
export const TRACKING_PROBLEMS: readonly TrackingProblem[] = ['NOT_FOUND', 'EXCEPTION', 'EXPIRED', 'STALE'];

/** The case opened proactively for a shipment and problem: the same pair always gives the same id. */
export function proactiveCaseId(shipmentId: string, problem: TrackingProblem): string {
  return `TRK-${shipmentId.replace(/[^A-Za-z0-9_-]/g, '-')}-${problem}`;
}

export type CaseStatus =
  /** Opened; the first reply is due within 24 h (the after-service promise). */
  | 'AWAITING_REPLY'
  /** Replied; the team works out a resolution (or ops attempts a recall). */
  | 'IN_PROGRESS'
  /** Return-and-refund: waiting for the goods to come back. */
  | 'AWAITING_RETURN'
  /** Resolved; the customer confirms, or the case closes by itself. */
  | 'AWAITING_CONFIRMATION'
  | 'CLOSED';

/** The order a case is about: a TradeGuard order or a manual order entered by ops. */
export interface CaseOrderRef {
  source: 'order' | 'manual';
  orderId: string;
  buyerId?: string;
  supplierId?: string;
  /** Manual orders: where the customer is emailed. */
  customerEmail?: string;
  currency: string;
  /** What the customer paid, the ceiling of all refunds (minor units). */
  paidAmount: number;
}

/** What was known of the order when the case opened (ISO instants). */
export interface CaseOrderFacts {
  paidAt?: string;
  shippedAt?: string;
  deliveredAt?: string;
  recallable: boolean;
}

export interface CaseInput {
  caseId: string;
  type: CaseType;
  order: CaseOrderRef;
  facts: CaseOrderFacts;
  description: string;
  /** CHANGE_CANCEL: what the customer asks for. */
  request?: 'CHANGE' | 'CANCEL';
  /** Opened by the weekly self-check before the customer complained. */
  proactive?: { shipmentId: string; problem: TrackingProblem; carrierStatus: string; lastEventAt?: string; detectedAt: string };
  evidence?: StoredFileRef[];
  policyVersion: string;
  openedBy: Actor;
  /**
   * The case workflow's code revision the case starts on (CASE_CODE_REVISION). From revision 1 on,
   * every change made behind a patch before it applies without asking `patched()` and search
   * attributes are upserted only when they moved. Cases started without it ask the patches, as their
   * histories recorded.
   */
  codeRevision?: number;
}

/** The case workflow's code revision new cases start on: see CaseInput.codeRevision. */
export const CASE_CODE_REVISION = 1;

export type ResolutionKind = 'RESEND' | 'REFUND' | 'PARTIAL_REFUND' | 'RETURN_AND_REFUND' | 'REJECTED';
export const RESOLUTION_KINDS: readonly ResolutionKind[] = ['RESEND', 'REFUND', 'PARTIAL_REFUND', 'RETURN_AND_REFUND', 'REJECTED'];

export interface Resolution {
  kind: ResolutionKind | 'ORDER_CANCELLED' | 'CHANGE_ACCEPTED' | 'RECALL_FAILED';
  /** Refunds: the amount refunded (minor units, the order's currency). */
  amount?: number;
  reason: string;
  /** Resends and returns: who pays the shipping. */
  shippingPaidBy?: 'buyer' | 'supplier';
  resend?: { carrier: string; trackingNumber: string };
  decidedAt: string;
  decidedBy: Actor;
}

export type CaseDeadlineKind = 'first-reply-reminder' | 'first-reply' | 'auto-close';

/** One of its open deadlines, in the shape every process hands its read model. */
export interface CaseDeadline extends OpenDeadlineInput {
  kind: CaseDeadlineKind;
}

export interface CaseMessage {
  at: string;
  by: Actor;
  text: string;
}

export interface CaseState {
  caseId: string;
  type: CaseType;
  category: CaseCategory;
  status: CaseStatus;
  order: CaseOrderRef;
  facts: CaseOrderFacts;
  request?: 'CHANGE' | 'CANCEL';
  description: string;
  proactive?: CaseInput['proactive'];
  window: { basis?: WindowBasis; opensAt?: string; closesAt?: string; rule: string; automatic?: boolean };
  policyVersion: string;
  evidence: (StoredFileRef & { addedBy: string; addedAt: string })[];
  messages: CaseMessage[];
  firstReplyDueAt: string;
  firstRepliedAt?: string;
  /** The first reply was missed and the case escalated to ops. */
  late: boolean;
  resolution?: Resolution;
  refunded: number;
  confirmation?: { by: 'customer' | 'system'; at: string; satisfied?: boolean; comment?: string };
  deadlines: CaseDeadline[];
  nextStep: { action: string; by: 'buyer' | 'supplier' | 'ops' | 'system' | 'nobody'; description: string };
  revision: number;
  openedAt: string;
  updatedAt: string;
  closedAt?: string;
}

export interface ReplyInput extends ActionInput {
  message: string;
}

export interface CaseEvidenceInput extends ActionInput {
  file: StoredFileRef;
}

export interface ResolveInput extends ActionInput {
  kind: ResolutionKind;
  reason: string;
  /** PARTIAL_REFUND: required; REFUND and RETURN_AND_REFUND: defaults to everything still refundable. */
  amount?: number;
  /** RESEND: the new parcel. */
  resend?: { carrier: string; trackingNumber: string };
  /** RESEND: a resend caused by the buyer (wrong address, refused parcel) is at the buyer's cost. */
  causedByBuyer?: boolean;
  /** RETURN_AND_REFUND: the product is fine (a no-reason return): return shipping at the buyer's cost. */
  productFine?: boolean;
}

export interface RecallInput extends ActionInput {
  /** Ops' note on the attempt (e.g. the warehouse stopped the pick). */
  note: string;
  /** CHANGE requests: whether the warehouse could still apply the change (a CANCEL asks the order). */
  succeeded?: boolean;
}

export interface ConfirmInput extends ActionInput {
  satisfied: boolean;
  comment?: string;
}

export const getCaseQuery = defineQuery<CaseState>('getCase');

/**
 * What a case's Update answers: small on purpose, since every answer is kept in the workflow's
 * history. Callers read the case with getCaseQuery.
 */
export interface CaseAck {
  caseId: string;
  status: CaseStatus;
  revision: number;
}

export const replyToCaseUpdate = defineUpdate<CaseAck, [ReplyInput]>('replyToCase');
export const addCaseEvidenceUpdate = defineUpdate<CaseAck, [CaseEvidenceInput]>('addCaseEvidence');
export const resolveCaseUpdate = defineUpdate<CaseAck, [ResolveInput]>('resolveCase');
export const receiveReturnUpdate = defineUpdate<CaseAck, [ActionInput & { note?: string }]>('receiveReturn');
export const attemptRecallUpdate = defineUpdate<CaseAck, [RecallInput]>('attemptRecall');
export const confirmCaseUpdate = defineUpdate<CaseAck, [ConfirmInput]>('confirmCase');
