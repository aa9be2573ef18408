/**
 * The weekly tracking self-check's contract: its input (also what it carries across
 * continue-as-new), its result and its progress query. The schedule, the API and the tests import
 * this module, never the workflow body.
 */
import { defineQuery } from '@temporalio/workflow';
import type { AfterServiceReportFigures, SelfCheckSummary } from './after-service-report';

export const SELF_CHECK_WORKFLOW_TYPE = 'weeklySelfCheckWorkflow';

/** One schedule per task queue: `tradeguard-weekly-self-check` for the default queue. */
export function selfCheckScheduleId(taskQueue: string): string {
  return `${taskQueue}-weekly-self-check`;
}

/** The schedule starts runs as `<this>-<scheduled time>`. */
export function selfCheckWorkflowIdPrefix(taskQueue: string): string {
  return `${taskQueue}-self-check`;
}

export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_PAGES_PER_RUN = 20;

export interface SelfCheckInput {
  /** Shipments per page (one activity each). */
  pageSize?: number;
  /** Pages per workflow run before it continues as new. */
  pagesPerRun?: number;
  /** Only these carriers' shipments (e.g. a re-check after one carrier's outage); all when absent. */
  carriers?: string[];
  /** The week to report on (a Monday); by default the last complete week before the check. */
  reportWeekStart?: string;
  /** Whether to build, store and email the weekly report at the end (default true). */
  report?: boolean;
  /** Carried across continue-as-new: the check's instant, the keyset cursor and the running totals. */
  carry?: { checkedAt: string; cursor: string; totals: SelfCheckSummary; runs: number; pages: number };
}

export interface SelfCheckResult {
  totals: SelfCheckSummary;
  /** Workflow runs the check took (1 + continue-as-new count). */
  runs: number;
  pages: number;
  report?: Pick<AfterServiceReportFigures, 'weekStart' | 'shipments' | 'afterServiceRate' | 'defectRate'>;
}

export interface SelfCheckProgress {
  checkedAt: string;
  cursor?: string;
  run: number;
  pages: number;
  totals: SelfCheckSummary;
  phase: 'checking' | 'reporting' | 'done';
}

export const getSelfCheckProgressQuery = defineQuery<SelfCheckProgress>('getSelfCheckProgress');
