/**
 * The weekly after-service reports (`/reports/after-service`) and the self-check's manual run
 * (`/self-check/run`). Reports are read from the read model; a run is the schedule's own action,
 * triggered now, so a manual run and a weekly run are the same workflow with the same input.
 */
import { z } from 'zod';
import { Client, ScheduleNotFoundError } from '@temporalio/client';
import type { Db } from '../infra/db';
import type { AfterServiceReportFigures } from '../workflows/after-service-report';
import { selfCheckScheduleId, selfCheckWorkflowIdPrefix } from '../workflows/self-check.messages';
import { conflict, notFound, unavailable } from './errors';
import { isUnavailable } from './http';
import { listReportsSchema, weekStartSchema } from './reports.schemas';
import type { RouteRegistry } from './routes';
import { emptyActionSchema } from './schemas';

export interface ReportRouteDeps {
  client: Client;
  db: Db;
  taskQueue: string;
}

export function registerReportRoutes(routes: RouteRegistry, deps: ReportRouteDeps): void {
  const { client, db, taskQueue } = deps;

  const tag = 'after-service reports';
  routes.add({
    method: 'get', path: '/reports/after-service', tag, summary: 'List weekly after-service reports', roles: ['ops', 'support'],
    query: listReportsSchema, responses: { 200: 'newest week first: { reports: [{ weekStart, shipments, cases, afterServiceRate, rateByCategory: { tracking, quality, warehouse }, defectRate (with its target), … }] }' },
  }, async (_req, res, { query: q }) => {
    const rows = await db.afterServiceReport.findMany({ orderBy: { weekStart: 'desc' }, take: q.limit ?? 12 });
    res.json({
      reports: rows.map((r) => {
        const f = r.figures as unknown as AfterServiceReportFigures;
        return {
          weekStart: r.weekStart.toISOString().slice(0, 10),
          createdAt: r.createdAt.toISOString(),
          generatedAt: f.generatedAt,
          shipments: f.shipments,
          cases: f.cases.total,
          afterServiceRate: f.afterServiceRate,
          rateByCategory: f.rateByCategory,
          defectRate: f.defectRate,
        };
      }),
    });
  });

  routes.add({
    method: 'get', path: '/reports/after-service/:weekStart', tag, summary: "Read one week's after-service report", roles: ['ops', 'support'],
    params: z.strictObject({ weekStart: weekStartSchema }),
    responses: { 200: 'the stored figures: cases per category, after-service rate, defect rate against its target, trend: { report, createdAt }' },
  }, async (_req, res, { params }) => {
    const { weekStart } = params;
    const row = await db.afterServiceReport.findUnique({ where: { weekStart: new Date(`${weekStart}T00:00:00Z`) } });
    if (!row) throw notFound(`no after-service report for the week of ${weekStart}`);
    res.json({ report: row.figures, createdAt: row.createdAt.toISOString() });
  });

  routes.add({
    method: 'post', path: '/self-check/run', tag, summary: 'Run the weekly tracking self-check now', roles: ['ops'], body: emptyActionSchema,
    responses: { 202: "the schedule's action was triggered: { scheduleId, workflowId }" },
    errors: { 409: 'the schedule does not exist yet, or a self-check is already running', 503: 'unavailable: the workflow service did not answer' },
  }, async (_req, res) => {
    const scheduleId = selfCheckScheduleId(taskQueue);
    const handle = client.schedule.getHandle(scheduleId);
    const describe = async () => {
      try {
        return await handle.describe();
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) {
          throw conflict(`the weekly self-check schedule ${scheduleId} does not exist yet: the worker creates it when it starts`);
        }
        if (isUnavailable(err)) throw unavailable('the workflow service is unavailable; retry shortly');
        throw err;
      }
    };
    const before = await describe();
    const running = before.info.runningActions[0];
    if (running) throw conflict(`a self-check is already running: workflow ${running.workflow.workflowId}`, 'action_refused');
    // The schedule's own action, started now: the same workflow and input as the weekly run. Asking
    // the scheduler to trigger it instead can be skipped silently while it still lists a finished run.
    const action = before.action;
    if (action.type !== 'startWorkflow') throw conflict(`the schedule ${scheduleId} does not start a workflow`);
    const workflowId = `${selfCheckWorkflowIdPrefix(taskQueue)}-manual-${Date.now()}`;
    const started = await client.workflow.start(action.workflowType, { taskQueue: action.taskQueue, workflowId, args: action.args ?? [] });
    res.status(202).json({ scheduleId, workflowId, firstExecutionRunId: started.firstExecutionRunId });
  });
}
