/**
 * The rules of the ops read models every record*Change activity keeps in step with its resource:
 * the open deadlines of every order, monitoring task and case (GET /deadlines) and the queue of late
 * tasks (GET /late-tasks). record-change.ts writes them in the change's own statement, so a retried
 * activity writes the same rows and a stale retry (an older revision arriving late) writes none.
 */
import type { TimelineEntry, TimelineEventType } from '../workflows/read-model';

export type ResourceKind = 'order' | 'monitoring' | 'case';
export type MustAct = 'ops' | 'supplier' | 'buyer' | 'inspector';

/**
 * Escalations that put a row in the late-task queue, by the timeline event type the workflow records,
 * with who must act and what moves the resource on (the row is then resolved by itself).
 */
export interface Escalation {
  resource: ResourceKind;
  mustAct: MustAct;
  movedOnWhen: string;
}

export const ESCALATIONS = {
  SHIPMENT_LATE: { resource: 'order', mustAct: 'supplier', movedOnWhen: 'the order ships, or closes' },
  CLAIM_SUPPLIER_SILENT: { resource: 'order', mustAct: 'supplier', movedOnWhen: 'the supplier answers the claim, or it is escalated, decided, withdrawn or cancelled' },
  CLAIM_DECISION_OVERDUE: { resource: 'order', mustAct: 'ops', movedOnWhen: 'the claim is decided, withdrawn or cancelled' },
  REFUND_PAYMENT_LATE: { resource: 'order', mustAct: 'ops', movedOnWhen: 'the payment adapter completes the refund, or refuses it (its own task follows)' },
  REFUND_PAYMENT_FAILED: { resource: 'order', mustAct: 'ops', movedOnWhen: 'never (the adapter refused the payout): ops pays the buyer by hand and resolves it' },
  BOOKING_LAPSED: { resource: 'monitoring', mustAct: 'buyer', movedOnWhen: 'never (the booking is closed): resolved by ops' },
  INSPECTOR_ASSIGNMENT_OVERDUE: { resource: 'monitoring', mustAct: 'ops', movedOnWhen: 'an inspector is assigned, or the task closes' },
  REPORT_LATE: { resource: 'monitoring', mustAct: 'inspector', movedOnWhen: 'the report is uploaded, or the task closes' },
  FIRST_REPLY_MISSED: { resource: 'case', mustAct: 'ops', movedOnWhen: 'the case gets its first reply, or closes' },
} as const satisfies Partial<Record<TimelineEventType, Escalation>>;
export type EscalationKind = keyof typeof ESCALATIONS;
export const ESCALATION_KINDS = Object.keys(ESCALATIONS) as EscalationKind[];

/** The escalation a timeline event puts in the late-task queue, if it is one. */
export function escalationOf(type: TimelineEventType): Escalation | undefined {
  return (ESCALATIONS as Partial<Record<TimelineEventType, Escalation>>)[type];
}

/**
 * The late task of an effect a workflow gave up on (raiseEffectFailure): an activity failed for a
 * reason retrying cannot fix. Ops must act, on any resource, and it never resolves by itself: moving
 * on does not write what was not written.
 */
export const EFFECT_FAILED = 'EFFECT_FAILED';

/** Every kind of row in the late-task queue. */
export const LATE_TASK_KINDS = [...ESCALATION_KINDS, EFFECT_FAILED];

/** The reminder event recorded before a deadline falls due: it sets that deadline's reminderSent. */
export const REMINDERS: Partial<Record<TimelineEventType, { resource: ResourceKind; deadlineKind: string }>> = {
  SHIPPING_REMINDER: { resource: 'order', deadlineKind: 'shipping-date' },
  CLAIM_DECISION_REMINDER: { resource: 'order', deadlineKind: 'claim-decision-due' },
  REPORT_REMINDER: { resource: 'monitoring', deadlineKind: 'report-late' },
  FIRST_REPLY_REMINDER: { resource: 'case', deadlineKind: 'first-reply' },
};

const CLAIM_MOVED_ON: Record<'CLAIM_SUPPLIER_SILENT' | 'CLAIM_DECISION_OVERDUE', readonly TimelineEventType[]> = {
  CLAIM_SUPPLIER_SILENT: ['CLAIM_COUNTER_OFFER', 'CLAIM_REJECTED_BY_SUPPLIER', 'CLAIM_ESCALATED', 'CLAIM_DECIDED', 'CLAIM_REFUNDED', 'CLAIM_WITHDRAWN', 'CLAIM_CANCELLED'],
  CLAIM_DECISION_OVERDUE: ['CLAIM_DECIDED', 'CLAIM_REFUNDED', 'CLAIM_WITHDRAWN', 'CLAIM_CANCELLED'],
};

/** What the resource looks like after the change, as far as the late-task queue cares. */
export interface ResourceAfterChange {
  resource: ResourceKind;
  resourceId: string;
  status: string;
  terminal: boolean;
  shipped?: boolean;
  firstReplied?: boolean;
}

/** Whether an open late task of `kind` (on `claimId`) no longer needs acting on after `event`. */
export function movedOn(kind: string, claimId: string | undefined, after: ResourceAfterChange, event: TimelineEntry): boolean {
  if (kind === 'BOOKING_LAPSED' || kind === 'REFUND_PAYMENT_FAILED') return false;
  // A refund is owed whether or not the order has closed: only its payment (or its refusal) moves it on.
  if (kind === 'REFUND_PAYMENT_LATE') return claimId !== undefined && event.data.claimId === claimId && ['REFUND_PAID', 'REFUND_PAYMENT_FAILED'].includes(event.type);
  if (after.terminal) return true;
  switch (kind) {
    case 'SHIPMENT_LATE':
      return Boolean(after.shipped);
    case 'CLAIM_SUPPLIER_SILENT':
    case 'CLAIM_DECISION_OVERDUE':
      return claimId !== undefined && event.data.claimId === claimId && CLAIM_MOVED_ON[kind].includes(event.type);
    case 'INSPECTOR_ASSIGNMENT_OVERDUE':
      return after.status !== 'AWAITING_INSPECTOR';
    case 'REPORT_LATE':
      return after.status !== 'AWAITING_REPORT';
    case 'FIRST_REPLY_MISSED':
      return Boolean(after.firstReplied);
    default:
      return false;
  }
}

export const lateTaskId = (resource: ResourceKind, resourceId: string, seq: number) => `LT-${resource}-${resourceId}-${seq}`;

/** A late task's life as ops work it: each action and the statuses it is taken from. */
export type LateTaskAction = 'acknowledge' | 'assign' | 'resolve';
export const LATE_TASK_TAKEN_FROM: Record<LateTaskAction, readonly string[]> = {
  acknowledge: ['open'],
  assign: ['open', 'acknowledged'],
  resolve: ['open', 'acknowledged'],
};

/** Why the late task's status does not allow the action, in words ops can act on; undefined when it does. */
export function lateTaskRefusal(
  action: LateTaskAction,
  task: { id: string; status: string; resolvedAt?: Date | null; resolution?: string | null; acknowledgedAt?: Date | null; assignee?: string | null },
): string | undefined {
  if (LATE_TASK_TAKEN_FROM[action].includes(task.status)) return undefined;
  if (task.status === 'resolved') {
    return `cannot ${action} late task ${task.id}: it was resolved at ${task.resolvedAt?.toISOString()} (${task.resolution ?? 'no note'}); nothing is left to do`;
  }
  return `cannot ${action} late task ${task.id}: it was already acknowledged at ${task.acknowledgedAt?.toISOString()}${task.assignee ? ` and is assigned to ${task.assignee}` : ''}; assign or resolve it instead`;
}
