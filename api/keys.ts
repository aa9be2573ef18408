import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../infra/db';

export const ROLES = ['ops', 'support', 'buyer', 'supplier', 'inspector'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  keyId: string;
  role: Role;
  partyId?: string;
}

/** Keys carry 192 random bits, so a plain SHA-256 is enough at rest (no dictionary to guess from). */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class KeyProblem extends Error {
  constructor(readonly field: string, reason: string) {
    super(reason);
  }
}

/** Creates an API key and returns the secret once; only its hash is stored. */
export async function createApiKey(
  db: Db,
  input: { name: string; role: Role; partyId?: string },
): Promise<{ id: string; key: string; role: Role; partyId?: string; name: string }> {
  if (input.role === 'buyer' || input.role === 'supplier' || input.role === 'inspector') {
    const a = input.role === 'inspector' ? 'an' : 'a';
    if (!input.partyId) throw new KeyProblem('partyId', `${a} ${input.role} key must be bound to ${a} ${input.role} party`);
    const party = await db.party.findUnique({ where: { id: input.partyId } });
    if (!party) throw new KeyProblem('partyId', `no party with id ${input.partyId}`);
    if (party.kind !== input.role) throw new KeyProblem('partyId', `party ${input.partyId} is a ${party.kind}, not ${a} ${input.role}`);
  } else if (input.partyId) {
    throw new KeyProblem('partyId', `${input.role} keys are not bound to a party`);
  }
  const key = `tg_${randomBytes(24).toString('base64url')}`;
  const id = randomUUID();
  await db.apiKey.create({
    data: { id, name: input.name, role: input.role, partyId: input.partyId ?? null, keyHash: hashKey(key), keyPrefix: key.slice(0, 7) },
  });
  return { id, key, role: input.role, partyId: input.partyId, name: input.name };
}

/** Looks a presented key up by its hash; revoked and unknown keys give undefined. */
export async function findPrincipal(db: Db, key: string): Promise<Principal | undefined> {
  const row = await db.apiKey.findUnique({ where: { keyHash: hashKey(key) } });
  if (!row || row.revokedAt) return undefined;
  return { keyId: row.id, role: row.role as Role, partyId: row.partyId ?? undefined };
}
