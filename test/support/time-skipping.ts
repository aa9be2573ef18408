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
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already by an earlier file in this worker process.
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensureTemporalTestServer() } },
  });
  await registerSearchAttributes(env.connection, 'default');
  const bundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
  return { env, bundle };
}
