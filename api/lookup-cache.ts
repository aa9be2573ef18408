/**
 * Per-process caches of database lookups on the API's hot paths. Only what was found is kept, for
 * `ttlMs` at most (0 turns a cache off), so something created a moment ago is seen at once and
 * unknown ids cannot fill the cache.
 */
import type { Db } from '../infra/db';

const MAX_ENTRIES = 10_000;

/**
 * How long an API process remembers a record's buyer and supplier once known (an order's, a
 * monitoring task's): they are fixed when the record starts and never change.
 */
export const PARTIES_TTL_MS = 10 * 60_000;

export class LookupCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value remembered for `key`, if it is still fresh. */
  peek(key: string): V | undefined {
    const cached = this.entries.get(key);
    if (cached && cached.until > this.now()) return cached.value;
    if (cached) this.entries.delete(key);
    return undefined;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  remember(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    // Oldest first out: a Map keeps insertion order.
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
  }

  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const cached = this.peek(key);
    if (cached !== undefined) return cached;
    const value = await load();
    if (value !== undefined) this.remember(key, value);
    return value;
  }
}

/**
 * The kind (buyer, supplier, inspector) of registered parties. TradeGuard registers a party once and
 * never changes or removes it, so a kind once read stays true; the time limit only bounds how long a
 * row removed by hand outside TradeGuard is still believed.
 */
export class PartyKinds {
  private readonly cache: LookupCache<string>;

  constructor(
    private readonly db: Db,
    ttlMs: number,
    now?: () => number,
  ) {
    this.cache = new LookupCache(ttlMs, now);
  }

  /** id → kind for the ids that are registered (one query for those not remembered). */
  async of(ids: string[]): Promise<Map<string, string>> {
    const kinds = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const kind = this.cache.peek(id);
      if (kind === undefined) missing.push(id);
      else kinds.set(id, kind);
    }
    if (missing.length > 0) {
      const rows = await this.db.party.findMany({ where: { id: { in: missing } }, select: { id: true, kind: true } });
      for (const row of rows) {
        kinds.set(row.id, row.kind);
        this.cache.remember(row.id, row.kind);
      }
    }
    return kinds;
  }
}
