import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, WorkflowBundleWithSourceMap, bundleWorkflowCode } from '@temporalio/worker';
import { ensureTemporalTestServer } from '../../infra/temporal-binaries';
import { registerSearchAttributes } from '../../infra/temporal-connection';
import { workflowsPath } from '../../worker/worker';

/**
 * The time-skipping test server (provisioned binary) with TradeGuard's search attributes, and the
 * workflow bundle built once for the test file.
 */
export async function startTimeSkipping(): Promise<{ env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap }> {
  const env = await startTimeSkippingServer();
  return { env, bundle: await bundleTradeGuardWorkflows() };
}

/** A fresh time-skipping test server with TradeGuard's search attributes: its clock starts now. */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already by an earlier file in this worker process.
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensureTemporalTestServer() } },
  });
  await registerSearchAttributes(env.connection, 'default');
  return env;
}

/** TradeGuard's workflows bundled once, for workers on any test server. */
export function bundleTradeGuardWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
}
