import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../infra/db';
import { LookupCache } from './lookup-cache';

export const ROLES = ['ops', 'support', 'buyer', 'supplier', 'inspector'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  keyId: string;
  role: Role;
  partyId?: string;
  /** When the key stops working (ms since the epoch), if it expires. */
  expiresAt?: number;
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
  input: { name: string; role: Role; partyId?: string; expiresAt?: Date; rotatedFromId?: string },
): Promise<{ id: string; key: string; role: Role; partyId?: string; name: string; expiresAt?: string }> {
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
    data: {
      id, name: input.name, role: input.role, partyId: input.partyId ?? null, keyHash: hashKey(key), keyPrefix: key.slice(0, 7),
      expiresAt: input.expiresAt ?? null, rotatedFromId: input.rotatedFromId ?? null,
    },
  });
  return { id, key, role: input.role, partyId: input.partyId, name: input.name, ...(input.expiresAt ? { expiresAt: input.expiresAt.toISOString() } : {}) };
}

async function lookUp(db: Db, keyHash: string, now: number): Promise<Principal | undefined> {
  const row = await db.apiKey.findUnique({ where: { keyHash } });
  if (!row || row.revokedAt) return undefined;
  const expiresAt = row.expiresAt?.getTime();
  if (expiresAt !== undefined && expiresAt <= now) return undefined;
  // Frozen: the cache hands the same principal to many requests.
  return Object.freeze({ keyId: row.id, role: row.role as Role, partyId: row.partyId ?? undefined, ...(expiresAt !== undefined ? { expiresAt } : {}) });
}

type ApiKeyRow = NonNullable<Awaited<ReturnType<Db['apiKey']['findUnique']>>>;

export type ApiKeyStatus = 'active' | 'expiring' | 'expired' | 'revoked';

/** What the API shows of a key: never its secret or its hash. `expiring`: it works until `expiresAt`. */
export function apiKeyView(row: ApiKeyRow, now: number = Date.now()) {
  const expiresAt = row.expiresAt?.getTime();
  const status: ApiKeyStatus = row.revokedAt ? 'revoked' : expiresAt === undefined ? 'active' : expiresAt <= now ? 'expired' : 'expiring';
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    partyId: row.partyId ?? undefined,
    keyPrefix: row.keyPrefix,
    status,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString(),
    revokedAt: row.revokedAt?.toISOString(),
    revokedBy: row.revokedBy ?? undefined,
    rotatedFromId: row.rotatedFromId ?? undefined,
  };
}

/**
 * Revokes a key (`by`: the key that asked). A key already revoked stays revoked as it was, so a
 * repeated revocation answers the same. Undefined when there is no such key.
 */
export async function revokeApiKey(db: Db, keyId: string, by: string, now: Date = new Date()): Promise<ApiKeyRow | undefined> {
  await db.apiKey.updateMany({ where: { id: keyId, revokedAt: null }, data: { revokedAt: now, revokedBy: by } });
  return (await db.apiKey.findUnique({ where: { id: keyId } })) ?? undefined;
}

/**
 * Rotates a key: a new key (a new secret) with the same name, role and party, and the old key
 * working until `now + overlapMs` (or its own earlier expiry). Refused (`KeyProblem` on `keyId`) for
 * a key that is revoked or expired: there is nothing to carry over.
 */
/** Why a key cannot be rotated now (revoked, expired), or undefined when it can. */
export function rotationRefusal(row: { id: string; revokedAt: Date | null; expiresAt: Date | null }, now: Date = new Date()): string | undefined {
  if (row.revokedAt) return `key ${row.id} was revoked at ${row.revokedAt.toISOString()}; create a new key instead`;
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return `key ${row.id} expired at ${row.expiresAt.toISOString()}; create a new key instead`;
  return undefined;
}

export async function rotateApiKey(
  db: Db,
  keyId: string,
  opts: { overlapMs: number; expiresAt?: Date; now?: Date },
): Promise<{ created: Awaited<ReturnType<typeof createApiKey>>; previous: ApiKeyRow } | undefined> {
  const now = opts.now ?? new Date();
  const old = await db.apiKey.findUnique({ where: { id: keyId } });
  if (!old) return undefined;
  const refusal = rotationRefusal(old, now);
  if (refusal) throw new KeyProblem('keyId', refusal);
  const created = await createApiKey(db, {
    name: old.name, role: old.role as Role, partyId: old.partyId ?? undefined, expiresAt: opts.expiresAt, rotatedFromId: old.id,
  });
  const overlapEnds = new Date(now.getTime() + opts.overlapMs);
  const endsAt = old.expiresAt && old.expiresAt < overlapEnds ? old.expiresAt : overlapEnds;
  await db.apiKey.updateMany({ where: { id: old.id, revokedAt: null }, data: { expiresAt: endsAt } });
  return { created, previous: (await db.apiKey.findUnique({ where: { id: old.id } }))! };
}

/**
 * How long an API process trusts a key it has looked up: a key revoked (revokedAt set, through the
 * API or in the database) or deleted stops working within this time in every API process, and at
 * once in the process that revoked it. A key's expiry is exact: it is kept with the key. Only keys
 * found valid are kept, so a new key works at once and unknown keys cannot fill the cache.
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
 * How long an API process remembers that a key was valid after its cache time: such a key is still
 * looked up (a revocation stops it as before), but it is no stranger, so its lookup takes nothing
 * from its client address's allowance for requests without a valid key.
 */
export const KEY_RECENTLY_VALID_MS = 10 * 60_000;

/**
 * The valid keys this process looked up in the last `ttlMs`, by hash (hash → principal): a request
 * with a known key then makes no database round trip for it. Keys found valid in the last
 * KEY_RECENTLY_VALID_MS are remembered apart (`recentlyValid`), without their principal.
 */
export class PrincipalCache {
  private readonly cache: LookupCache<Principal>;
  private readonly valid: LookupCache<true>;

  constructor(
    private readonly db: Db,
    ttlMs: number = KEY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new LookupCache(ttlMs, now);
    this.valid = new LookupCache(KEY_RECENTLY_VALID_MS, now);
  }

  async find(key: string): Promise<Principal | undefined> {
    const keyHash = hashKey(key);
    const found = this.unexpired(keyHash, await this.cache.get(keyHash, () => lookUp(this.db, keyHash, this.now())));
    if (found) this.valid.remember(keyHash, true);
    else this.valid.forget(keyHash);
    return found;
  }

  /** Whether this process found the key valid in the last KEY_RECENTLY_VALID_MS (and not invalid since). */
  recentlyValid(key: string): boolean {
    return this.valid.peek(hashKey(key)) === true;
  }

  /** The principal of a key this process looked up and found valid within the cache time; no lookup. */
  known(key: string): Principal | undefined {
    const keyHash = hashKey(key);
    return this.unexpired(keyHash, this.cache.peek(keyHash));
  }

  /** Stops trusting a key at once in this process (it was revoked here). */
  forget(keyHash: string): void {
    this.cache.forget(keyHash);
    this.valid.forget(keyHash);
  }

  private unexpired(keyHash: string, p: Principal | undefined): Principal | undefined {
    if (p?.expiresAt !== undefined && p.expiresAt <= this.now()) {
      this.cache.forget(keyHash);
      return undefined;
    }
    return p;
  }
}
