/** A small HTTP client for the API, and the parties a benchmark acts as. */
import { createApiKey } from '../api/keys';
import type { Db } from '../infra/db';

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function apiClient(apiUrl: string) {
  return async function call(key: string, method: string, route: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${apiUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

export type Call = ReturnType<typeof apiClient>;

export class HttpFailure extends Error {
  constructor(what: string, readonly reply: Reply) {
    super(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body?.error ?? reply.body)}`);
  }
}

export function ok(reply: Reply, what: string): Reply {
  if (reply.status >= 300) throw new HttpFailure(what, reply);
  return reply;
}

export interface PartyPair {
  buyerId: string;
  supplierId: string;
  buyerKey: string;
  supplierKey: string;
  buyerKeyId: string;
  supplierKeyId: string;
}

/** Buyer/supplier pairs, each supplier with a gold Trade Assurance profile, and an API key for each party. */
export async function createParties(db: Db, prefix: string, count: number): Promise<PartyPair[]> {
  const pairs: PartyPair[] = [];
  for (let i = 0; i < count; i++) {
    const buyerId = `${prefix}-buyer-${i}`;
    const supplierId = `${prefix}-supplier-${i}`;
    await db.party.createMany({
      data: [
        { id: buyerId, kind: 'buyer', name: `Buyer ${i}`, email: `${buyerId}@buyer.example` },
        { id: supplierId, kind: 'supplier', name: `Supplier ${i}`, email: `${supplierId}@supplier.example` },
      ],
      skipDuplicates: true,
    });
    await db.supplierProfile.upsert({
      where: { supplierId },
      create: { supplierId, qualification: 'gold', currency: 'USD' },
      update: {},
    });
    const buyer = await createApiKey(db, { name: buyerId, role: 'buyer', partyId: buyerId });
    const supplier = await createApiKey(db, { name: supplierId, role: 'supplier', partyId: supplierId });
    pairs.push({ buyerId, supplierId, buyerKey: buyer.key, supplierKey: supplier.key, buyerKeyId: buyer.id, supplierKeyId: supplier.id });
  }
  return pairs;
}

export const ORDER_TOTAL = 700_000;
export const DEPOSIT = 210_000;
export const BALANCE = ORDER_TOTAL - DEPOSIT;

/** The purchase order every benchmark drafts: two items, 7,000.00 USD, 30 % deposit. */
export function draftTerms(shippingInDays = 30) {
  return {
    currency: 'USD',
    items: [
      { sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1250 },
      { sku: 'USB-C-1M', description: 'USB-C cable', quantity: 500, unitPrice: 150 },
    ],
    depositAmount: DEPOSIT,
    shippingDate: new Date(Date.now() + shippingInDays * 86_400_000).toISOString().slice(0, 10),
  };
}
