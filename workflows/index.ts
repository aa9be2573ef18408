// Every workflow the TradeGuard worker runs.
export { tradeOrderWorkflow } from './order';
export { productionMonitoringWorkflow } from './monitoring';
export { weeklySelfCheckWorkflow } from './self-check';
