/**
 * Statements prepared once per connection (infra/db.ts): against the suite's PostgreSQL, a statement
 * run through the database client is kept by its connection under a name of its text, and runs again
 * from it with new values; with the cache off nothing is kept. A process names at most a bounded
 * number of distinct texts, and DATABASE_PREPARED_STATEMENTS turns the cache off or is refused.
 */
import { createDb, Db, MAX_PREPARED_STATEMENTS, preparedStatementNames, preparedStatementsFromEnv } from '../../infra/db';
import { testDatabaseUrl, uniqueId } from '../support/env';

const opened: Db[] = [];
afterAll(async () => {
  await Promise.all(opened.map((db) => db.$disconnect()));
});

function open(preparedStatements: boolean): Db {
  const db = createDb(testDatabaseUrl(), { preparedStatements });
  opened.push(db);
  return db;
}

/** The named statements of the connection this call runs on whose text contains `marker`. */
async function keptWith(db: Db, marker: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ name: string; statement: string }[]>`SELECT "name", "statement" FROM pg_prepared_statements`;
  return rows.filter((r) => r.statement.includes(marker)).map((r) => r.name);
}

test('a statement is kept by its connection under a name of its text and runs again from it with other values', async () => {
  const db = open(true);
  const marker = uniqueId('m').replace(/[^a-zA-Z0-9]/g, '');
  // One call at a time: the pool hands back the connection the last call used.
  const first = await db.$queryRawUnsafe<{ v: number }[]>(`SELECT $1::int + 1 AS "v" /* ${marker} */`, 41);
  const second = await db.$queryRawUnsafe<{ v: number }[]>(`SELECT $1::int + 1 AS "v" /* ${marker} */`, 1);
  expect([first[0].v, second[0].v]).toEqual([42, 2]);
  const names = await keptWith(db, marker);
  expect(names).toHaveLength(1);
  expect(names[0]).toMatch(/^tg_[A-Za-z0-9_-]{32}$/);
});

test('with the cache off no statement is kept', async () => {
  const db = open(false);
  const marker = uniqueId('m').replace(/[^a-zA-Z0-9]/g, '');
  await db.$queryRawUnsafe(`SELECT $1::int AS "v" /* ${marker} */`, 1);
  await db.$queryRawUnsafe(`SELECT $1::int AS "v" /* ${marker} */`, 2);
  expect(await keptWith(db, marker)).toEqual([]);
});

test('each text has one name, the same in every process; past the limit a text runs unnamed', () => {
  const names = preparedStatementNames(2);
  const a = names({ sql: 'SELECT 1' });
  expect(names({ sql: 'SELECT 1' })).toBe(a);
  expect(preparedStatementNames()({ sql: 'SELECT 1' })).toBe(a);
  const b = names({ sql: 'SELECT 2' });
  expect(b).not.toBe(a);
  expect(names({ sql: 'SELECT 3' })).toBeUndefined();
  expect(names({ sql: 'SELECT 2' })).toBe(b);
  expect(MAX_PREPARED_STATEMENTS).toBeGreaterThan(0);
});

test('DATABASE_PREPARED_STATEMENTS: on unless turned off, anything else refused with the variable named', () => {
  expect(preparedStatementsFromEnv({})).toBe(true);
  expect(preparedStatementsFromEnv({ DATABASE_PREPARED_STATEMENTS: 'on' })).toBe(true);
  expect(preparedStatementsFromEnv({ DATABASE_PREPARED_STATEMENTS: 'OFF' })).toBe(false);
  expect(preparedStatementsFromEnv({ DATABASE_PREPARED_STATEMENTS: 'false' })).toBe(false);
  expect(() => preparedStatementsFromEnv({ DATABASE_PREPARED_STATEMENTS: 'sometimes' })).toThrow(/DATABASE_PREPARED_STATEMENTS=sometimes must be on or off/);
});
