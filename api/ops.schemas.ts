/**
 * Request shapes of the ops and support surface: the deadline list, the late-task queue, search
 * and the overviews. Types and formats only.
 */
import { z } from 'zod';
import { LATE_TASK_KINDS } from '../activities/ops-surface';
import type { CaseDeadlineKind } from '../workflows/case.messages';
import type { MonitoringDeadlineKind } from '../workflows/monitoring.messages';
import type { DeadlineKind } from '../workflows/order.messages';
import { idSchema, text, instant as instantOf } from './schemas';

export const RESOURCES = ['order', 'monitoring', 'case'] as const;
export type Resource = (typeof RESOURCES)[number];

/** Every deadline kind the workflows set. */
export const DEADLINE_KINDS = [
  'draft-expiry', 'deposit-due', 'balance-due', 'shipping-reminder', 'shipping-date', 'carrier-check', 'receiving-window',
  'post-receipt-claims', 'claim-supplier-response', 'claim-buyer-may-escalate', 'claim-auto-escalation', 'claim-decision-reminder',
  'claim-decision-due', 'evidence-due', 'feedback-window', 'refund-payment',
  'booking-cutoff', 'product-info-reminder', 'inspector-assignment', 'report-reminder', 'report-late', 'review-window',
  'first-reply-reminder', 'first-reply', 'auto-close',
] as const satisfies readonly (DeadlineKind | MonitoringDeadlineKind | CaseDeadlineKind)[];
// A kind added to a workflow and not listed here fails the type check.
type Unlisted = Exclude<DeadlineKind | MonitoringDeadlineKind | CaseDeadlineKind, (typeof DEADLINE_KINDS)[number]>;
const everyKindListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyKindListed;

const instant = instantOf('must be an ISO 8601 instant such as 2026-12-01T12:00:00Z');
const limit = (max: number) =>
  z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, `must be 1 to ${max}`).max(max, `must be 1 to ${max}`);
const cursor = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/, 'must be the nextCursor of a previous page');

export const listDeadlinesSchema = z.strictObject({
  resource: z.enum(RESOURCES, { error: `must be one of ${RESOURCES.join(', ')}` }).optional(),
  kind: z.enum(DEADLINE_KINDS, { error: `must be a deadline kind: ${DEADLINE_KINDS.join(', ')}` }).optional(),
  party: idSchema.optional().describe("a buyer's, supplier's or inspector's party id"),
  dueBefore: instant.optional().describe('deadlines due before this instant'),
  dueAfter: instant.optional().describe('deadlines due at or after this instant'),
  overdue: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().describe('true: due time passed; false: still ahead'),
  limit: limit(200).optional().describe('page size, 50 unless given'),
  cursor: cursor.optional(),
});

export const LATE_TASK_STATUSES = ['open', 'acknowledged', 'resolved'] as const;

export const listLateTasksSchema = z.strictObject({
  status: z.enum(LATE_TASK_STATUSES, { error: `must be one of ${LATE_TASK_STATUSES.join(', ')}` }).optional(),
  kind: z.enum(LATE_TASK_KINDS as [string, ...string[]], { error: `must be a late-task kind: ${LATE_TASK_KINDS.join(', ')}` }).optional(),
  assignee: text(200).optional(),
  limit: limit(500).optional().describe('at most this many tasks, oldest first; 200 unless given'),
});

export const lateTaskParamsSchema = z.strictObject({
  // An escalation's task ends in its event's sequence number, a failed effect's in "effect-" and 16 hex digits.
  taskId: z
    .string()
    .regex(/^LT-(order|monitoring|case)-[A-Za-z0-9_-]{1,64}-(\d{1,9}|effect-[0-9a-f]{16})$/, 'must be a late task id such as LT-monitoring-PM-1-7 or LT-order-PO-1-effect-3f2a9c0d1b2e4f56'),
});

export const assignLateTaskSchema = z.strictObject({ assignee: text(200).describe('who works the task (a name or an ops handle)') });
export const resolveLateTaskSchema = z.strictObject({ note: text(2000).describe('what was done') });

export const SEARCH_TYPES = RESOURCES;

export const searchSchema = z.strictObject({
  q: text(100).optional().describe('the start of an id or a party id (any case); for cases also any part of the description'),
  type: z.enum(SEARCH_TYPES, { error: `must be one of ${SEARCH_TYPES.join(', ')}` }).optional(),
  status: z.string().regex(/^[A-Z_]{3,30}$/, 'must be a status such as PAID').optional(),
  party: idSchema.optional().describe("a buyer's or supplier's party id"),
  from: instant.optional().describe('last changed at or after this instant'),
  to: instant.optional().describe('last changed before this instant'),
  limit: limit(200).optional().describe('page size, 50 unless given'),
  cursor: cursor.optional(),
});
