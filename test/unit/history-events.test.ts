/**
 * Reading histories for the benchmarks and tests: an activity counts whether it ran as an ordinary
 * activity (scheduled on a task queue) or as a local one (its marker), and the lifecycle baseline's
 * plan gives each update the activities that ran after it was accepted.
 */
import { temporal } from '@temporalio/proto';
import { activityPlan, activityRuns, countEvents, HistoryEvent } from '../../bench/history-events';
import { baselineActivityKind } from '../../bench/lifecycle';

const E = temporal.api.enums.v1.EventType;

const scheduled = (name: string): HistoryEvent => ({
  eventType: E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  activityTaskScheduledEventAttributes: { activityType: { name } },
});
const marker = (markerName: string, data?: object): HistoryEvent => ({
  eventType: E.EVENT_TYPE_MARKER_RECORDED,
  markerRecordedEventAttributes: {
    markerName,
    details: data ? { data: { payloads: [{ data: Buffer.from(JSON.stringify(data)) }] } } : {},
  },
});
const local = (activityType: string) => marker('core_local_activity', { seq: 1, attempt: 1, activity_id: '1', activity_type: activityType });
const accepted: HistoryEvent = { eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED };

const history: HistoryEvent[] = [
  local('recordOrderChange'),
  accepted,
  local('holdPaymentInEscrow'),
  local('recordOrderChange'),
  marker('core_patch', { patch_id: 'some-change' }),
  accepted,
  local('recordOrderChange'),
  scheduled('recordOrderChange'),
  scheduled('trackShipment'),
  accepted,
];

test('names each activity run, ordinary or local, in history order; other markers are not activities', () => {
  expect(activityRuns(history)).toEqual([
    { type: 'recordOrderChange', local: true },
    { type: 'holdPaymentInEscrow', local: true },
    { type: 'recordOrderChange', local: true },
    { type: 'recordOrderChange', local: true },
    { type: 'recordOrderChange', local: false },
    { type: 'trackShipment', local: false },
  ]);
});

test('counts ordinary and local activities apart', () => {
  expect(countEvents(history)).toMatchObject({ events: 10, activities: 2, localActivities: 4, updates: 3 });
});

test("the baseline's plan counts both kinds: before the first update, then after each", () => {
  expect(activityPlan(history)).toEqual({ startActivities: 1, steps: [2, 3, 0] });
});

test('BENCH_BASELINE_ACTIVITIES is ordinary unless set to local, and names a wrong value', () => {
  expect(baselineActivityKind(undefined)).toBe('ordinary');
  expect(baselineActivityKind('')).toBe('ordinary');
  expect(baselineActivityKind('local')).toBe('local');
  expect(() => baselineActivityKind('LOCAL')).toThrow('BENCH_BASELINE_ACTIVITIES must be ordinary or local, not "LOCAL"');
});
