import { MONITORING_CODE_REVISION, MonitoringInput, ProductDetails } from '../../workflows/monitoring.messages';
import { CURRENT_MONITORING_POLICY_VERSION } from '../../workflows/monitoring.policy';

/** The proforma invoice of the sample order: what the on-site check is verified against. */
export const sampleProforma: ProductDetails = {
  productName: 'Bluetooth speaker',
  quantity: 500,
  shippingMarks: 'ACME / PO-1 / C/No. 1-50',
  packaging: '10 units per export carton',
  innerCartonMarkings: 'BT-SPK-200 x10',
};

/** A monitoring task booked from the order details, shipping on `shipmentDate` from a CN supplier. */
export function sampleMonitoringInput(monitoringId: string, shipmentDate: string, overrides: Partial<MonitoringInput> = {}): MonitoringInput {
  return {
    monitoringId,
    orderId: 'PO-1',
    buyerId: 'buyer-1',
    supplierId: 'supplier-1',
    addedVia: 'ORDER_DETAILS_SEPARATE',
    orderInitialPaymentMade: false,
    shipmentDate,
    supplierCalendar: 'CN',
    proforma: sampleProforma,
    policyVersion: CURRENT_MONITORING_POLICY_VERSION,
    createdBy: { role: 'buyer', partyId: 'buyer-1' },
    codeRevision: MONITORING_CODE_REVISION,
    ...overrides,
  };
}

export const visaPayment = (paymentId = 'sbx_ch_0123456789abcdef_29900') => ({
  paymentId,
  brand: 'visa' as const,
  last4: '4242',
  amount: 29_900,
  currency: 'USD',
});
