/**
 * What a process hands its read model with each change: the timeline entry and the open deadlines.
 * The workflows produce these and the record*Change activities write them; a leaf module, so the
 * activities that share the contract do not import each other.
 */

/** One entry of a resource's timeline: the change at revision `seq`. */
export interface TimelineEntry {
  seq: number;
  type: string;
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
