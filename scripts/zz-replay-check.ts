import fs from 'node:fs';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import path from 'node:path';
async function main() {
  const f = process.argv[2];
  const raw = JSON.parse(fs.readFileSync(f, 'utf8'));
  const history = temporal.api.history.v1.History.fromObject(raw);
  const E = temporal.api.enums.v1.EventType;
  try {
    await Worker.runReplayHistory({ workflowsPath: path.resolve('workflows/index.ts') }, history, f);
    console.log('OK');
  } catch (e) {
    console.log('FAIL', (e as Error).message.match(/Nondeterminism error: [^"]*/)?.[0]?.slice(0, 200));
  }
  for (const e of history.events) {
    const a: any = e;
    let extra = '';
    if (a.workflowExecutionUpdateAcceptedEventAttributes) extra = ' upd=' + a.workflowExecutionUpdateAcceptedEventAttributes.protocolInstanceId?.slice(0, 8) + ' msgEv=' + a.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequestSequencingEventId;
    if (a.workflowExecutionUpdateCompletedEventAttributes) extra = ' upd=' + a.workflowExecutionUpdateCompletedEventAttributes.meta?.updateId?.slice(0, 8) + ' accEv=' + a.workflowExecutionUpdateCompletedEventAttributes.acceptedEventId;
    if (a.activityTaskScheduledEventAttributes) extra = ' ' + a.activityTaskScheduledEventAttributes.activityType?.name + ' wftc=' + a.activityTaskScheduledEventAttributes.workflowTaskCompletedEventId;
    if (a.activityTaskCompletedEventAttributes) extra = ' sched=' + a.activityTaskCompletedEventAttributes.scheduledEventId;
    if (a.workflowTaskTimedOutEventAttributes) extra = ' timeout';
    if (a.workflowTaskFailedEventAttributes) extra = ' cause=' + a.workflowTaskFailedEventAttributes.cause;
    console.log(String(e.eventId), E[e.eventType as number].replace('EVENT_TYPE_', '') + extra);
  }
}
main();
