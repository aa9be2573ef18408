import path from 'node:path';
import { dataDir } from './paths';

/** Settings of the main job, from the environment, with embedded defaults for a fresh machine. */
export interface TradeGuardConfig {
  dataDir: string;
  apiHost: string;
  apiPort: number;
  taskQueue: string;
  /** An existing Temporal cluster; when unset, a dev server is started with its file under dataDir. */
  temporalAddress?: string;
  temporalPort: number;
  temporalUiPort: number;
  /** An existing PostgreSQL database; when unset, an embedded server is started under dataDir. */
  databaseUrl?: string;
  embeddedDbPort: number;
  smtpUrl?: string;
  mailFrom: string;
  outboxDir: string;
  /** Where ops notices go, and where overdue tasks page the ops leads. */
  opsEmail: string;
  opsLeadsEmail: string;
  /** Folder of uploaded files (claim evidence). */
  storageDir: string;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name}=${raw} is not a TCP port`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): TradeGuardConfig {
  const dir = dataDir();
  return {
    dataDir: dir,
    apiHost: env.API_HOST || '127.0.0.1',
    apiPort: port(env, 'PORT', 3000),
    taskQueue: env.TRADEGUARD_TASK_QUEUE || 'tradeguard',
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    temporalPort: port(env, 'TEMPORAL_DEV_PORT', 7233),
    temporalUiPort: port(env, 'TEMPORAL_UI_PORT', 8233),
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedDbPort: port(env, 'EMBEDDED_PG_PORT', 5433),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || 'TradeGuard <no-reply@tradeguard.local>',
    outboxDir: path.join(dir, 'mail'),
    opsEmail: env.OPS_EMAIL || 'ops@tradeguard.local',
    opsLeadsEmail: env.OPS_LEADS_EMAIL || 'ops-leads@tradeguard.local',
    storageDir: env.STORAGE_DIR || path.join(dir, 'files'),
  };
}
