/**
 * The worker's observability in a process of its own (see telemetry-child.ts): Temporal's
 * Prometheus endpoint serves the SDK's worker metrics, worker log lines carry workflowId, runId
 * and activityType, and one trace runs from the API's StartWorkflow through the workflow to the
 * activity.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../infra/temporal-dev-server';

const root = path.join(__dirname, '../..');

interface ChildResult {
  taskQueue: string;
  workflowId: string;
  runId: string;
  metrics: { status: number; text: string };
  spans: { name: string; traceId: string; spanId: string; parentSpanId?: string; service: string }[];
}

let result: ChildResult;
let logs: Record<string, unknown>[];

beforeAll(async () => {
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/telemetry-child.ts', metricsAddress], {
    cwd: root,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`telemetry-child exited with ${code}:\n${err}\n${out.slice(-4000)}`);
  const lines = out.split('\n').filter(Boolean);
  const resultLine = lines.find((l) => l.startsWith('RESULT '));
  if (!resultLine) throw new Error(`telemetry-child printed no RESULT:\n${out.slice(-4000)}`);
  result = JSON.parse(resultLine.slice('RESULT '.length));
  logs = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
});

it("serves the SDK's worker metrics for Prometheus on TEMPORAL_METRICS_ADDRESS", () => {
  expect(result.metrics.status).toBe(200);
  // Counters and histograms of this worker's task queue, in the text exposition format.
  const ofQueue = result.metrics.text.split('\n').filter((l) => l.startsWith('temporal_') && l.includes(`task_queue="${result.taskQueue}"`));
  expect(ofQueue.length).toBeGreaterThan(0);
  const names = new Set(ofQueue.map((l) => l.split(/[{ ]/)[0]));
  expect([...names]).toEqual(expect.arrayContaining([expect.stringMatching(/^temporal_activity_execution_latency/), expect.stringMatching(/^temporal_workflow_task_execution_latency/)]));
});

it('logs JSON lines through the Runtime logger with workflowId, runId and activityType', () => {
  const ofWorkflow = logs.filter((l) => l.workflowId === result.workflowId);
  expect(ofWorkflow.some((l) => l.runId === result.runId && l.workflowType === 'tradeOrderWorkflow')).toBe(true);
  expect(ofWorkflow.some((l) => l.activityType === 'recordOrderChange' && l.runId === result.runId)).toBe(true);
  for (const l of ofWorkflow) expect(l).toMatchObject({ service: 'tradeguard-test', level: expect.any(String), time: expect.any(String) });
});

it("logs the API request that started the order with the caller's request id", () => {
  expect(logs).toContainEqual(
    expect.objectContaining({ msg: 'request', requestId: 'telemetry-draft-1', method: 'POST', route: '/orders', status: 201 }),
  );
});

it('traces the order from the API client through the workflow to its first activity', () => {
  const byName = (name: string) => result.spans.filter((s) => s.name === name);
  const [start] = byName('StartWorkflow:tradeOrderWorkflow');
  expect(start).toBeDefined();
  const startActivity = byName('StartActivity:recordOrderChange')[0];
  const runActivity = byName('RunActivity:recordOrderChange')[0];
  expect(startActivity).toBeDefined();
  expect(runActivity).toBeDefined();
  // One trace: the workflow's span continues the client's, the activity's continues the workflow's.
  expect(startActivity.traceId).toBe(start.traceId);
  expect(runActivity.traceId).toBe(start.traceId);
  expect(runActivity.parentSpanId).toBe(startActivity.spanId);
  expect(new Set(result.spans.map((s) => s.service))).toEqual(new Set(['tradeguard-test']));
});
