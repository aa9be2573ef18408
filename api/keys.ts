import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../infra/db';
import { LookupCache } from './lookup-cache';

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
  return lookUp(db, hashKey(key));
}

async function lookUp(db: Db, keyHash: string): Promise<Principal | undefined> {
  const row = await db.apiKey.findUnique({ where: { keyHash } });
  if (!row || row.revokedAt) return undefined;
  // Frozen: the cache hands the same principal to many requests.
  return Object.freeze({ keyId: row.id, role: row.role as Role, partyId: row.partyId ?? undefined });
}

/**
 * How long an API process trusts a key it has looked up: a key revoked (revokedAt set) or deleted in
 * the database stops working within this time in every API process. Only keys found valid are kept,
 * so a new key works at once and unknown keys cannot fill the cache.
 */
export const KEY_CACHE_TTL_MS = 5_000;

/** KEY_CACHE_TTL_MS from the environment (a whole number of milliseconds, 0 for no cache), else the default. */
export function keyCacheTtlFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KEY_CACHE_TTL_MS;
  if (raw === undefined || raw === '') return KEY_CACHE_TTL_MS;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`KEY_CACHE_TTL_MS=${raw} is not a whole number of milliseconds`);
  return value;
}

/**
 * The valid keys this process looked up in the last `ttlMs`, by hash (hash → principal): a request
 * with a known key then makes no database round trip for it.
 */
export class PrincipalCache {
  private readonly cache: LookupCache<Principal>;

  constructor(
    private readonly db: Db,
    ttlMs: number = KEY_CACHE_TTL_MS,
    now: () => number = Date.now,
  ) {
    this.cache = new LookupCache(ttlMs, now);
  }

  find(key: string): Promise<Principal | undefined> {
    const keyHash = hashKey(key);
    return this.cache.get(keyHash, () => lookUp(this.db, keyHash));
  }

  /** The principal of a key this process looked up and found valid within the cache time; no lookup. */
  known(key: string): Principal | undefined {
    return this.cache.peek(hashKey(key));
  }
}
