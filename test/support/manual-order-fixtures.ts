import type { Db } from '../../infra/db';
import { uniqueId } from './env';

/** A paid manual order in the read model, as ops enter one by hand; returns its id. */
export async function createPaidManualOrder(db: Db, totalAmount: number): Promise<string> {
  const id = uniqueId('MO');
  const now = new Date();
  await db.manualOrder.create({
    data: {
      id,
      status: 'PAID',
      customerName: 'Ana Souza',
      customerEmail: `${id.toLowerCase()}@customer.example`,
      address: { line1: 'Rua Augusta 100', city: 'São Paulo', postalCode: '01304-000', country: 'BR' },
      items: [{ sku: 'BT-SPK-200', quantity: 2 }],
      currency: 'USD',
      totalAmount: BigInt(totalAmount),
      reason: 'ordered by phone',
      policyVersion: '2026-11',
      paidAt: now,
      createdBy: 'ops-key',
      createdAt: now,
      updatedAt: now,
    },
  });
  return id;
}
