// Every workflow the TradeGuard worker runs.
export { tradeOrderWorkflow } from './order';
export { productionMonitoringWorkflow } from './monitoring';
export { afterServiceCaseWorkflow } from './case';
export { weeklySelfCheckWorkflow } from './self-check';
export { purchaseOrderRequestWorkflow } from './po-request';
