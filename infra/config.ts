import path from 'node:path';
import { LogLevelName, logLevelFromEnv } from './logger';
import { dataDir } from './paths';
import { temporalAddressFromEnv } from './temporal-profile';

/** Settings of the main job, from the environment, with embedded defaults for a fresh machine. */
export interface TradeGuardConfig {
  dataDir: string;
  apiHost: string;
  apiPort: number;
  taskQueue: string;
  /**
   * An existing Temporal cluster (TEMPORAL_ADDRESS, else the address of the TEMPORAL_CONFIG_FILE /
   * TEMPORAL_PROFILE profile); when unset, a dev server is started with its file under dataDir.
   */
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
  /** LOG_LEVEL: level of the JSON logs (default info). */
  logLevel: LogLevelName;
  /** METRICS_ENABLED: serve the API's Prometheus metrics on GET /metrics. */
  metricsEnabled: boolean;
  /** TEMPORAL_METRICS_ADDRESS: `host:port` of the worker's Prometheus endpoint (Temporal SDK metrics). */
  temporalMetricsAddress?: string;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name}=${raw} is not a TCP port`);
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new Error(`${name}=${env[name]} is not true or false`);
}

function hostPort(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const m = raw.match(/^(.+):(\d+)$/);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`${name}=${raw} is not host:port (e.g. 127.0.0.1:9464)`);
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): TradeGuardConfig {
  const dir = dataDir();
  return {
    dataDir: dir,
    apiHost: env.API_HOST || '127.0.0.1',
    apiPort: port(env, 'PORT', 3000),
    taskQueue: env.TRADEGUARD_TASK_QUEUE || 'tradeguard',
    temporalAddress: temporalAddressFromEnv(env),
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
    logLevel: logLevelFromEnv(env, 'info'),
    metricsEnabled: flag(env, 'METRICS_ENABLED'),
    temporalMetricsAddress: hostPort(env, 'TEMPORAL_METRICS_ADDRESS'),
  };
}
