import { DEFAULT_WORKFLOW_CACHE_MIB, maxCachedWorkflowsFor, workflowCacheMiBFromEnv } from '../../worker/worker';

describe("the worker's workflow cache", () => {
  it('holds as many workflows as fit in the memory it may use', () => {
    expect(maxCachedWorkflowsFor(512)).toBe(1024);
    expect(maxCachedWorkflowsFor(1536)).toBe(3072);
    // Never none: a worker without a cache would replay every workflow for every task.
    expect(maxCachedWorkflowsFor(0)).toBe(1);
  });

  it('takes its memory from WORKFLOW_CACHE_MB, 512 MiB when unset', () => {
    expect(workflowCacheMiBFromEnv({})).toBe(DEFAULT_WORKFLOW_CACHE_MIB);
    expect(workflowCacheMiBFromEnv({ WORKFLOW_CACHE_MB: ' 256 ' })).toBe(256);
    for (const bad of ['0', '8', '1.5', 'lots', '-512']) {
      expect(() => workflowCacheMiBFromEnv({ WORKFLOW_CACHE_MB: bad })).toThrow(`WORKFLOW_CACHE_MB=${bad} is not a whole number of MiB, 16 or more`);
    }
  });
});
