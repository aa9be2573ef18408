/**
 * Timer precision: many durable deadlines falling due within one minute. Each is a deadlineWorkflow
 * (a deadline kept the way the order workflow keeps its own); the workflow records, with its own
 * clock, the moment it acted on the deadline. From its history we also read when the server fired
 * the timer and when the escalation's activity completed. Lateness = that moment − the due time.
 * The baseline is a few deadlines on an otherwise idle worker, in the same run.
 */
import { performance } from 'node:perf_hooks';
import { BenchContext, pool, scaled, sleep } from './context';
import { EventType, eventTime, historyOf } from './history-events';
import { Summary, ms, printTable, ratio, summarize, verdict } from './report';
import type { DeadlineRecord } from './baseline.workflows';
import { BASELINE_TASK_QUEUE } from './stack';

interface Lateness {
  deadlines: number;
  windowSeconds: number;
  timerFired: Summary;
  escalated: Summary;
  recorded: Summary;
}

async function deadlines(ctx: BenchContext, label: string, count: number, windowMs: number, leadMs: number): Promise<Lateness> {
  const client = ctx.stack.client;
  const run = `${label}-${Date.now().toString(36)}`;
  const firstDue = Date.now() + leadMs;
  const ids = Array.from({ length: count }, (_, i) => `deadline:${run}:${i}`);
  const due = (i: number) => firstDue + Math.floor((i * windowMs) / Math.max(1, count));
  const startedAt = performance.now();
  await pool(ids, 16, (workflowId, i) =>
    client.workflow.start('deadlineWorkflow', { taskQueue: BASELINE_TASK_QUEUE, workflowId, args: [{ id: workflowId, dueAt: due(i) }] }).then(() => undefined),
  );
  const startSeconds = (performance.now() - startedAt) / 1000;
  if (Date.now() > firstDue) throw new Error(`starting ${count} deadlines took ${startSeconds.toFixed(1)} s, past the first due time; raise the lead time`);
  ctx.log(`timers: ${count} ${label} deadlines started in ${startSeconds.toFixed(1)} s, due over ${windowMs / 1000} s from ${new Date(firstDue).toISOString()}`);
  await sleep(firstDue + windowMs - Date.now());
  const records = await pool(ids, 16, (workflowId) => client.workflow.getHandle(workflowId).result() as Promise<DeadlineRecord>);
  const fired: number[] = [];
  const recorded: number[] = [];
  await pool(ids, 16, async (workflowId, i) => {
    const events = await historyOf(client, workflowId);
    const timer = events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED).at(-1);
    const activity = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    if (timer) fired.push(eventTime(timer) - due(i));
    if (activity) recorded.push(eventTime(activity) - due(i));
  });
  return {
    deadlines: count,
    windowSeconds: windowMs / 1000,
    timerFired: summarize(fired),
    escalated: summarize(records.map((r) => r.escalatedAt - r.dueAt)),
    recorded: summarize(recorded),
  };
}

export async function timers(ctx: BenchContext): Promise<Record<string, unknown>> {
  const count = scaled(ctx, 1000, 20);
  ctx.log('timers: idle baseline, 20 deadlines over 10 s');
  const idle = await deadlines(ctx, 'idle', 20, 10_000, 5_000);
  ctx.log(`timers: ${count} deadlines due within one minute`);
  const many = await deadlines(ctx, 'load', count, 60_000, Math.max(10_000, count * 25));
  const rows = (name: string, l: Lateness) => [
    [`${name}: timer fired (server)`, ms(l.timerFired.p50), ms(l.timerFired.p99), ms(l.timerFired.max), ''],
    [`${name}: escalated (workflow clock)`, ms(l.escalated.p50), ms(l.escalated.p99), ms(l.escalated.max), ''],
    [`${name}: escalation recorded (activity done)`, ms(l.recorded.p50), ms(l.recorded.p99), ms(l.recorded.max), ''],
  ];
  const pass = many.recorded.max <= 5000;
  printTable(`Timer precision: lateness after the due time (${count} deadlines due within ${many.windowSeconds} s; baseline ${idle.deadlines} on an idle worker)`, ['measure', 'p50', 'p99', 'max', ''], [
    ...rows('idle', idle),
    ...rows(`${count} due`, many),
    ['all escalations recorded within 5 s', '', '', ms(many.recorded.max), verdict(pass)],
    ['p99 escalated ÷ idle p99', '', ratio(many.escalated.p99 / idle.escalated.p99), '', ''],
  ]);
  return { idle, load: many, targetMaxMs: 5000, pass };
}
