import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ensureDatabase } from '../../infra/pg-admin';
import { applyMigrations, migrationsDir } from '../../infra/migrate';
import { testDatabaseUrl } from '../support/env';

function databaseUrl(name: string): string {
  const u = new URL(testDatabaseUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

describe('applyMigrations', () => {
  const name = `tg_migrate_${process.pid}_${Date.now().toString(36)}`;
  let url: string;

  beforeAll(async () => {
    await ensureDatabase(testDatabaseUrl(), name);
    url = databaseUrl(name);
  });

  afterAll(async () => {
    const admin = new Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('creates every table on an empty database, records it like prisma migrate, and is a no-op the second time', async () => {
    const first = await applyMigrations(url);
    expect(first).toEqual(fs.readdirSync(migrationsDir).filter((d) => fs.statSync(path.join(migrationsDir, d)).isDirectory()).sort());
    const second = await applyMigrations(url);
    expect(second).toEqual([]);

    const client = new Client({ connectionString: url });
    await client.connect();
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    const recorded = await client.query('SELECT migration_name, finished_at FROM "_prisma_migrations"');
    await client.end();
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['ApiKey', 'EmailOutbox', 'LedgerEntry', 'LedgerTransaction', 'Order', 'OrderEvent', 'Party', '_prisma_migrations']),
    );
    expect(recorded.rows).toHaveLength(first.length);
    expect(recorded.rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it('refuses to continue when an applied migration was edited afterwards', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-migrations-'));
    fs.cpSync(migrationsDir, dir, { recursive: true });
    const [firstMigration] = fs.readdirSync(dir).filter((d) => fs.statSync(path.join(dir, d)).isDirectory()).sort();
    fs.appendFileSync(path.join(dir, firstMigration, 'migration.sql'), '\n-- edited\n');
    await expect(applyMigrations(url, dir)).rejects.toThrow(/was changed after it was applied/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
