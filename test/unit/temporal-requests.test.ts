/**
 * The lifecycle benchmark's count of the Temporal server's requests: parsed from its Prometheus text,
 * summed over the labels that do not name the operation, only the frontend's requests and the
 * visibility writes, and turned into per-lifecycle rows with the largest difference first.
 */
import { addRequestsBetween, parseRequestCounts, requestsPerLifecycle } from '../../bench/temporal-requests';

const METRICS = `
# HELP service_requests service_requests counter
# TYPE service_requests counter
service_requests{namespace="default",operation="QueryWorkflow",service_name="frontend",taskqueue="_unknown_"} 12
service_requests{namespace="default",operation="QueryWorkflow",service_name="history",taskqueue="_unknown_"} 12
service_requests{namespace="default",operation="StartWorkflowExecution",service_name="frontend",taskqueue="_unknown_"} 3
service_requests{namespace="other",operation="StartWorkflowExecution",service_name="frontend",taskqueue="_unknown_"} 2
visibility_persistence_requests{namespace="default",operation="UpsertWorkflowExecution",service_name="history",visibility_type="standard"} 7
persistence_requests{namespace="default",operation="GetNamespace",service_name="history"} 40
service_latency_bucket{operation="QueryWorkflow",service_name="frontend",le="0.01"} 9
service_requests{namespace="default",service_name="frontend"} 5
`;

test('counts the frontend requests and the visibility writes by operation, over every other label', () => {
  expect(parseRequestCounts(METRICS)).toEqual({
    'frontend QueryWorkflow': 12,
    'frontend StartWorkflowExecution': 5,
    'visibility UpsertWorkflowExecution': 7,
  });
});

test('a phase counts what its readings differ by, added to what earlier phases of its side counted', () => {
  const into = { 'frontend QueryWorkflow': 4 };
  addRequestsBetween(into, { 'frontend QueryWorkflow': 10, 'frontend PollWorkflowTaskQueue': 5 }, { 'frontend QueryWorkflow': 13, 'frontend PollWorkflowTaskQueue': 5, 'visibility UpsertWorkflowExecution': 2 });
  expect(into).toEqual({ 'frontend QueryWorkflow': 7, 'visibility UpsertWorkflowExecution': 2 });
});

test('rows per lifecycle: each side by its own lifecycles, rare series left out, the largest difference first', () => {
  const rows = requestsPerLifecycle(
    { 'frontend UpdateWorkflowExecution': 800, 'frontend PollWorkflowTaskQueue': 2_000, 'frontend GetSystemInfo': 1 },
    100,
    { 'frontend UpdateWorkflowExecution': 1_600, 'frontend PollWorkflowTaskQueue': 4_400, 'visibility UpsertWorkflowExecution': 1_700, 'frontend QueryWorkflow': 5 },
    200,
  );
  expect(rows).toEqual([
    { series: 'visibility UpsertWorkflowExecution', baseline: 0, tradeguard: 8.5 },
    { series: 'frontend PollWorkflowTaskQueue', baseline: 20, tradeguard: 22 },
    { series: 'frontend UpdateWorkflowExecution', baseline: 8, tradeguard: 8 },
  ]);
});
