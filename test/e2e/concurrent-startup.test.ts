/**
 * Several processes starting at once against one PostgreSQL and one Temporal (replicas of the API,
 * the worker and `npm run migrate` deployed together): migrations, the search attributes and the
 * weekly self-check's schedule each end up made once, and no starter fails for it. Each starter has
 * connections of its own, as a process would.
 */
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureDatabase } from '../../infra/pg-admin';
import { applyMigrations, migrationsDir } from '../../infra/migrate';
import { ensureSelfCheckSchedule } from '../../infra/schedules';
import { registerSearchAttributes } from '../../infra/temporal-connection';
import { SEARCH_ATTRIBUTES } from '../../workflows/common';
import { selfCheckScheduleId } from '../../workflows/self-check.messages';
import fs from 'node:fs';
import { testDatabaseUrl, testTemporalAddress, uniqueId } from '../support/env';

const STARTERS = 4;

describe('several processes starting at once', () => {
  const databaseName = `tg_startup_${process.pid}_${Date.now().toString(36)}`;
  const connections: Connection[] = [];

  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    const admin = new PgClient({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin.end();
  });

  async function connect(): Promise<Connection> {
    const connection = await Connection.connect({ address: testTemporalAddress() });
    connections.push(connection);
    return connection;
  }

  it('migrate an empty database once: each migration applied by exactly one of them, recorded once', async () => {
    await ensureDatabase(testDatabaseUrl(), databaseName);
    const u = new URL(testDatabaseUrl());
    u.pathname = `/${databaseName}`;
    const applied = await Promise.all(Array.from({ length: STARTERS }, () => applyMigrations(u.toString())));
    const all = fs.readdirSync(migrationsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(applied.flat().sort()).toEqual(all);
    const pg = new PgClient({ connectionString: u.toString() });
    await pg.connect();
    const recorded = await pg.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY 1');
    await pg.end();
    expect(recorded.rows.map((r) => r.migration_name)).toEqual(all);
  });

  it('register the search attributes on a namespace that has none: all of them there, no starter failing', async () => {
    const namespace = uniqueId('tg-ns');
    const admin = await connect();
    await admin.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const starters = await Promise.all(Array.from({ length: STARTERS }, () => connect()));
    const added = await Promise.all(starters.map((c) => registerSearchAttributes(c, namespace)));
    const listed = await admin.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(listed.customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(SEARCH_ATTRIBUTES)));
    // Every attribute was added by someone (possibly by more than one, where the cluster took both).
    expect(new Set(added.flat())).toEqual(new Set(Object.keys(SEARCH_ATTRIBUTES)));
    // A later start finds nothing to add.
    expect(await registerSearchAttributes(admin, namespace)).toEqual([]);
  });

  it('create the self-check schedule once: one creates it, the others find it as wanted', async () => {
    const taskQueue = uniqueId('startup');
    const clients = await Promise.all(Array.from({ length: STARTERS }, async () => new Client({ connection: await connect(), namespace: 'default' })));
    const outcomes = await Promise.all(clients.map((client) => ensureSelfCheckSchedule(client, { taskQueue })));
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['created', ...Array(STARTERS - 1).fill('unchanged')]);
    const scheduleId = selfCheckScheduleId(taskQueue);
    const found: string[] = [];
    for await (const s of clients[0].schedule.list()) if (s.scheduleId === scheduleId) found.push(s.scheduleId);
    expect(found.length).toBeLessThanOrEqual(1); // the list is eventually consistent; describe is not
    expect((await clients[0].schedule.getHandle(scheduleId).describe()).action.type).toBe('startWorkflow');

    // Started again with another time, all at once: it is changed, and every starter agrees on the result.
    const again = await Promise.all(clients.map((client) => ensureSelfCheckSchedule(client, { taskQueue, at: { dayOfWeek: 'TUESDAY', hour: 3, minute: 30 } })));
    expect(again.every((o) => o.outcome === 'updated' || o.outcome === 'unchanged')).toBe(true);
    expect(again.some((o) => o.outcome === 'updated')).toBe(true);
    const desc = await clients[0].schedule.getHandle(scheduleId).describe();
    expect(desc.spec.calendars?.[0].dayOfWeek).toEqual([{ start: 'TUESDAY', end: 'TUESDAY', step: 1 }]);
    await clients[0].schedule.getHandle(scheduleId).delete();
  });
});
