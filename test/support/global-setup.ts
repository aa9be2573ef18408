/**
 * Provisions what the whole suite shares: a real PostgreSQL database (a fresh one on DATABASE_URL's
 * server when it is set, otherwise an embedded server in a temporary folder) with the migrations
 * applied, and a real Temporal dev server. Test files read them from TEST_DATABASE_URL and
 * TEST_TEMPORAL_ADDRESS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedDatabase } from '../../infra/embedded-db';
import { ensureDatabase } from '../../infra/pg-admin';
import { applyMigrations } from '../../infra/migrate';
import { ensureTemporalCli } from '../../infra/temporal-binaries';
import { freePort, startTemporalDevServer } from '../../infra/temporal-dev-server';
import { SEARCH_ATTRIBUTES } from '../../workflows/common';

export interface SuiteResources {
  stop(): Promise<void>;
}

export default async function globalSetup(): Promise<void> {
  // `npm run test:node24` asks for a runtime; a PATH that gave another one must not pass for it.
  const expectedMajor = process.env.TRADEGUARD_EXPECT_NODE_MAJOR;
  if (expectedMajor && process.versions.node.split('.')[0] !== expectedMajor) {
    throw new Error(`these tests were to run on Node.js ${expectedMajor}, but this is Node.js ${process.versions.node} (${process.execPath})`);
  }
  if (expectedMajor) process.stderr.write(`\nNode.js ${process.versions.node} (${process.execPath})\n`);
  // The S3 client warns once per process that its releases from 2027 on need Node.js 22: known (the
  // README says so, CI also runs on Node.js 24), and noise in every test process on Node.js 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const stops: (() => Promise<void>)[] = [];
  const database = `tradeguard_test_${process.pid}_${Date.now().toString(36)}`;
  let url: string;
  const external = process.env.DATABASE_URL;
  if (external) {
    await ensureDatabase(external, database);
    const u = new URL(external);
    u.pathname = `/${database}`;
    url = u.toString();
    stops.push(async () => {
      const admin = new Client({ connectionString: external });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end();
    });
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-pg-'));
    fs.chmodSync(dir, 0o755);
    // Not persistent: stop() also deletes data that had to be kept outside the folder (as root, when the
    // postgres user cannot enter the temporary folder).
    const db = await startEmbeddedDatabase({ dataDir: path.join(dir, 'data'), port: await freePort(), database, persistent: false });
    url = db.url;
    stops.push(async () => {
      await db.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
  await applyMigrations(url);

  const server = await startTemporalDevServer({
    cliPath: ensureTemporalCli(),
    port: await freePort(),
    headless: true,
    searchAttributes: SEARCH_ATTRIBUTES,
  });
  stops.push(server.stop);

  process.env.TEST_DATABASE_URL = url;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  (globalThis as { __tradeguardSuite?: SuiteResources }).__tradeguardSuite = {
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
