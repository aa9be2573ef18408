// A workflow type for tests that runs an order on the first version's frozen path, which a new order
// never takes (its start records ORDER_RULES_PATCH), so that path can be driven live.
import { runFirstVersionOrder } from '../../../workflows/order-v1';
import type { OrderState, TradeOrderInput } from '../../../workflows/order.messages';

export async function firstVersionOrderWorkflow(input: TradeOrderInput): Promise<OrderState> {
  return runFirstVersionOrder(input);
}
