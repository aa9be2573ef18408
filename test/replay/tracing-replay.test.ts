/**
 * Tracing adds a workflow interceptor module to the bundle. Every recorded history must replay
 * with it as well as without it (replay.test.ts), so tracing can be switched on or off for
 * running orders.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as otel from '@opentelemetry/api';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOW_TRACING_MODULE, workerTracingOptions } from '../../infra/tracing';
import { workflowsPath } from '../../worker/worker';

const fixturesDir = path.join(__dirname, 'fixtures');
const fixtures = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.json')).sort();
const load = (file: string) => historyFromJSON(JSON.parse(fs.readFileSync(path.join(fixturesDir, file), 'utf8')));

const exporter = new InMemorySpanExporter();
const tracingOptions = workerTracingOptions({
  tracer: otel.trace.getTracer('tradeguard-replay'),
  spanProcessor: new SimpleSpanProcessor(exporter),
  resource: new Resource({ 'service.name': 'tradeguard-replay' }),
});

// The bundle a tracing worker builds: the workflows plus the interceptor module.
let tracedBundle: { code: string };

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already in this process.
  }
  tracedBundle = await bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    workflowInterceptorModules: tracingOptions.interceptors?.workflowModules,
    logger: new DefaultLogger('WARN'),
  });
});

it('bundles the OpenTelemetry workflow interceptors when tracing is on', () => {
  expect(tracingOptions.interceptors?.workflowModules).toEqual([WORKFLOW_TRACING_MODULE]);
  expect(tracedBundle.code).toContain('OpenTelemetryInboundInterceptor');
  expect(tracedBundle.code).toContain('OpenTelemetryOutboundInterceptor');
});

it.each(fixtures)('%s replays with tracing on', async (file) => {
  await expect(
    Worker.runReplayHistory({ workflowBundle: tracedBundle, sinks: tracingOptions.sinks }, load(file), file),
  ).resolves.toBeUndefined();
});

it('still catches a nondeterministic change with tracing on', async () => {
  const err = await Worker.runReplayHistory(
    { workflowsPath: require.resolve('./nondeterministic'), ...tracingOptions },
    load('order-v1-happy-path.json'),
    'nondeterministic',
  ).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DeterminismViolationError);
});

it('exports no spans while replaying (a restarted worker does not repeat a trace)', () => {
  expect(exporter.getFinishedSpans()).toEqual([]);
});
