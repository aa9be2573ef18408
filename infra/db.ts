import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Db = PrismaClient;

export interface DbOptions {
  /**
   * Whether statements are prepared once per connection and kept (named prepared statements), so
   * that PostgreSQL parses and plans each of TradeGuard's few statement shapes once per connection
   * instead of at every call. On unless DATABASE_PREPARED_STATEMENTS=off: a connection pooler that
   * hands one session's statements to another (PgBouncer before 1.21 in transaction mode) needs it off.
   */
  preparedStatements?: boolean;
}

/**
 * The most statement shapes one process names. TradeGuard's statements come in a few dozen shapes;
 * past the limit a statement runs unnamed, as every statement would without the cache, so that
 * shapes made of data (a list's length written into the text) cannot grow each connection's cache
 * without end.
 */
export const MAX_PREPARED_STATEMENTS = 500;

/** A name per distinct statement text, the same in every process and for the text's every run. */
export function preparedStatementNames(max = MAX_PREPARED_STATEMENTS): (query: { sql: string }) => string | undefined {
  const names = new Map<string, string>();
  return ({ sql }) => {
    const known = names.get(sql);
    if (known !== undefined || names.size >= max) return known;
    const name = `tg_${createHash('sha256').update(sql).digest('base64url').slice(0, 32)}`;
    names.set(sql, name);
    return name;
  };
}

/** DATABASE_PREPARED_STATEMENTS: `off` (or `false`, `0`) turns the statement cache off; on otherwise. */
export function preparedStatementsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = (env.DATABASE_PREPARED_STATEMENTS ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'on' || raw === 'true' || raw === '1') return true;
  if (raw === 'off' || raw === 'false' || raw === '0') return false;
  throw new Error(`DATABASE_PREPARED_STATEMENTS=${env.DATABASE_PREPARED_STATEMENTS} must be on or off`);
}

export function createDb(databaseUrl: string, opts: DbOptions = {}): Db {
  const prepared = opts.preparedStatements ?? preparedStatementsFromEnv();
  // The adapter's type wants a name for every statement; an undefined one runs the statement unnamed.
  const statementNameGenerator = prepared ? (preparedStatementNames() as (query: { sql: string }) => string) : undefined;
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }, statementNameGenerator ? { statementNameGenerator } : undefined) });
}
