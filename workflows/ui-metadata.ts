/**
 * What an operator reads about a process in the Temporal Web UI before opening it: a one-line
 * summary and fixed details, given when the process starts. Presentation only, from the start input.
 */
import type { CaseInput } from './case.messages';
import type { MonitoringInput } from './monitoring.messages';
import { formatMoney } from './money';
import type { TradeOrderInput } from './order.messages';
import { orderTotal } from './order.policy';
import type { PurchaseOrderRequestInput } from './po-request.messages';

export interface StartMetadata {
  staticSummary: string;
  staticDetails: string;
}

export function orderStartMetadata(input: TradeOrderInput): StartMetadata {
  const { terms } = input;
  const total = formatMoney(orderTotal(terms.items), terms.currency);
  return {
    staticSummary: `Order ${input.orderId}: buyer ${input.buyerId}, supplier ${input.supplierId}, ${total}`,
    staticDetails: [
      `${terms.items.length} item(s), ${total}, deposit ${formatMoney(terms.depositAmount, terms.currency)}`,
      `shipping by ${terms.shippingDate}; policy ${input.policyVersion}`,
      ...(input.requestId ? [`drafted from purchase order request ${input.requestId}`] : []),
      `drafted by ${input.createdBy.role}${input.createdBy.partyId ? ` ${input.createdBy.partyId}` : ''}`,
    ].join('\n'),
  };
}

export function monitoringStartMetadata(input: MonitoringInput): StartMetadata {
  return {
    staticSummary: `Production monitoring ${input.monitoringId} of order ${input.orderId}: buyer ${input.buyerId}, supplier ${input.supplierId}`,
    staticDetails: [`shipment on ${input.shipmentDate} (${input.supplierCalendar} working days); added via ${input.addedVia}`, `policy ${input.policyVersion}`].join('\n'),
  };
}

export function caseStartMetadata(input: CaseInput): StartMetadata {
  return {
    staticSummary: `After-service case ${input.caseId} (${input.type}) on order ${input.order.orderId}`,
    staticDetails: [
      input.proactive ? `opened by the weekly tracking self-check: ${input.proactive.problem}` : `opened by ${input.openedBy.role}${input.openedBy.partyId ? ` ${input.openedBy.partyId}` : ''}`,
      `policy ${input.policyVersion}`,
    ].join('\n'),
  };
}

export function purchaseRequestStartMetadata(input: PurchaseOrderRequestInput): StartMetadata {
  return {
    staticSummary: `Purchase order request ${input.requestId}: buyer ${input.buyerId} to supplier ${input.supplierId}`,
    staticDetails: [`${input.items.length} product(s), shipping wanted by ${input.desiredShippingDate}`, `policy ${input.policyVersion}`].join('\n'),
  };
}
