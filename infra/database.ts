/**
 * The database of the main job and its scripts: DATABASE_URL, else the embedded PostgreSQL under the
 * data folder (joined if already running, started if not), migrated.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TradeGuardConfig } from './config';
import { keptOutsideDataDir, startEmbeddedDatabase } from './embedded-db';
import { applyMigrations } from './migrate';
import { portOpen } from './temporal-dev-server';

export type Log = (line: string) => void;

export interface OpenedDatabase {
  url: string;
  embedded: boolean;
  /** Embedded: where its data files are. */
  dataDir?: string;
  stop(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** The embedded server in a process group of its own: the caller handles Ctrl-C and stops it last. */
  ownProcessGroup?: boolean;
}

export function embeddedDatabaseUrl(config: TradeGuardConfig): string {
  return `postgresql://tradeguard:tradeguard@127.0.0.1:${config.embeddedDbPort}/tradeguard`;
}

/** DATABASE_URL, else the embedded server (joined if already running, started if not), migrated. */
export async function openDatabase(config: TradeGuardConfig, log: Log, opts: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  let opened: OpenedDatabase;
  const dataDir = path.join(config.dataDir, 'postgres');
  if (config.databaseUrl) {
    opened = { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  } else if (await portOpen(config.embeddedDbPort)) {
    const outside = keptOutsideDataDir(dataDir);
    const joined = fs.existsSync(path.join(outside, 'PG_VERSION')) ? outside : dataDir;
    opened = { url: embeddedDatabaseUrl(config), embedded: true, dataDir: joined, stop: async () => undefined };
  } else {
    const db = await startEmbeddedDatabase({
      dataDir,
      port: config.embeddedDbPort,
      database: 'tradeguard',
      ownProcessGroup: opts.ownProcessGroup,
      log: (line) => {
        if (/ERROR|FATAL|PANIC/.test(line)) log(`postgres: ${line}`);
      },
      onPlaced: (placement) => {
        if (placement.keptOutside) log(placement.keptOutside);
        log(`starting embedded PostgreSQL on 127.0.0.1:${config.embeddedDbPort} (data in ${placement.dataDir})`);
      },
    });
    opened = { url: db.url, embedded: true, dataDir: db.dataDir, stop: db.stop };
  }
  const applied = await applyMigrations(opened.url);
  if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
  return opened;
}

