// A deliberately incompatible change to tradeOrderWorkflow: it waits before doing anything, so its
// first command (a timer) no longer matches the recorded first activity. Replay must catch it.
import { sleep } from '@temporalio/workflow';
import { tradeOrderWorkflow as released } from '../../../workflows/order';
import type { TradeOrderInput } from '../../../workflows/order.messages';

export async function tradeOrderWorkflow(input: TradeOrderInput) {
  await sleep('1 second');
  return released(input);
}
