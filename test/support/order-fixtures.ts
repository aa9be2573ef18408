import type { TradeOrderInput } from '../../workflows/order.messages';
import { CURRENT_ORDER_POLICY_VERSION } from '../../workflows/order.policy';

/** A purchase order of 7,000.00 USD with a 2,100.00 USD deposit. */
export function sampleOrderInput(orderId: string, overrides: Partial<TradeOrderInput['terms']> = {}): TradeOrderInput {
  return {
    orderId,
    buyerId: 'buyer-1',
    supplierId: 'supplier-1',
    policyVersion: CURRENT_ORDER_POLICY_VERSION,
    createdBy: { role: 'supplier', partyId: 'supplier-1' },
    terms: {
      currency: 'USD',
      items: [
        { sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1250 },
        { sku: 'USB-C-1M', description: 'USB-C cable', quantity: 500, unitPrice: 150 },
      ],
      depositAmount: 210_000,
      shippingDate: '2026-12-20',
      ...overrides,
    },
  };
}

export const buyer = { role: 'buyer' as const, partyId: 'buyer-1' };
export const supplier = { role: 'supplier' as const, partyId: 'supplier-1' };
export const ops = { role: 'ops' as const };
