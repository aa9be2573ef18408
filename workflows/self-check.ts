/**
 * weeklySelfCheckWorkflow: the weekly tracking self-check, started by its Temporal Schedule (or by
 * ops through the API). It pages through the shipments in flight by id (a keyset cursor), one
 * activity per page; flagged shipments get a proactive tracking case each, once per shipment and
 * problem. After a bounded number of pages it continues as new with the cursor and running totals,
 * so tens of thousands of shipments never make one long history. At the end it builds, stores and
 * emails the week's after-service report.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SelfCheckSummary, reportEmail } from './after-service-report';
import { iso, nowMs } from './process-kit';
import { reportWeekFor } from './self-check.policy';
import {
  DEFAULT_PAGES_PER_RUN,
  DEFAULT_PAGE_SIZE,
  SelfCheckInput,
  SelfCheckProgress,
  SelfCheckResult,
  getSelfCheckProgressQuery,
} from './self-check.messages';

const pages = proxyActivities<Activities>({
  // A page of 500 shipments asks the carrier 500 times; the heartbeat shows it is still moving.
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

function emptyTotals(checkedAt: string): SelfCheckSummary {
  return {
    checkedAt,
    checked: 0,
    delivered: 0,
    flagged: { NOT_FOUND: 0, EXCEPTION: 0, EXPIRED: 0, STALE: 0 },
    casesOpened: 0,
    casesAlreadyOpen: 0,
    outsideWindow: 0,
    orderMissing: 0,
  };
}

export async function weeklySelfCheckWorkflow(input: SelfCheckInput = {}): Promise<SelfCheckResult> {
  const pageSize = Math.max(1, Math.floor(input.pageSize ?? DEFAULT_PAGE_SIZE));
  const pagesPerRun = Math.max(1, Math.floor(input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN));
  // The check's instant is fixed by its first run: every page of one weekly check judges staleness
  // against the same moment, and the report covers the week before it.
  const checkedAt = input.carry?.checkedAt ?? iso(nowMs());
  const state: SelfCheckProgress = {
    checkedAt,
    cursor: input.carry?.cursor,
    run: (input.carry?.runs ?? 0) + 1,
    pages: input.carry?.pages ?? 0,
    totals: input.carry?.totals ?? emptyTotals(checkedAt),
    phase: 'checking',
  };
  setHandler(getSelfCheckProgressQuery, () => state);
  const { totals } = state;

  let pagesThisRun = 0;
  for (;;) {
    const page = await pages.checkShipmentsPage({ checkedAt, afterId: state.cursor, pageSize, ...(input.carriers ? { carriers: input.carriers } : {}) });
    totals.checked += page.checked;
    totals.delivered += page.delivered;
    for (const f of page.flagged) totals.flagged[f.problem] += 1;
    if (page.flagged.length > 0) {
      const opening = await pages.openProactiveCases({ checkedAt, flagged: page.flagged });
      totals.casesOpened += opening.opened.length;
      totals.casesAlreadyOpen += opening.alreadyOpen.length;
      totals.outsideWindow += opening.outsideWindow.length;
      totals.orderMissing += opening.orderMissing.length;
    }
    state.pages += 1;
    pagesThisRun += 1;
    state.cursor = page.nextCursor;
    if (!state.cursor) break;
    if (pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof weeklySelfCheckWorkflow>({
        ...input,
        carry: { checkedAt, cursor: state.cursor, totals, runs: state.run, pages: state.pages },
      });
    }
  }

  let report: SelfCheckResult['report'];
  if (input.report !== false) {
    state.phase = 'reporting';
    const weekStart = input.reportWeekStart ?? reportWeekFor(Date.parse(checkedAt));
    const figures = await acts.buildWeeklyReport({ weekStart, generatedAt: checkedAt, selfCheck: totals });
    const email = reportEmail(figures);
    // Keyed by the week: a second check in the same week updates the stored report, not the inbox.
    await acts.notifyOps({ key: `report:${weekStart}`, audience: 'ops', subject: email.subject, text: email.text });
    report = { weekStart, shipments: figures.shipments, afterServiceRate: figures.afterServiceRate, defectRate: figures.defectRate };
  }
  state.phase = 'done';
  return { totals, runs: state.run, pages: state.pages, ...(report ? { report } : {}) };
}
