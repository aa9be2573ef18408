import fs from 'node:fs';
import path from 'node:path';
import { loadClientConfigProfile } from '@temporalio/envconfig';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../workflows/common';

const root = path.join(__dirname, '../..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  volumes?: unknown[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { target?: number; published?: number | string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  restart?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

const composeText = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
// Compose resolves YAML merge keys (`<<: *temporal-server`), as here.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const services = compose.services ?? {};

function service(name: string): ComposeService {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

/** `environment` as a map, whether written as a map or as a list of KEY=value. */
function env(name: string): Record<string, string> {
  const raw = service(name).environment ?? {};
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const eq = entry.indexOf('=');
      if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else {
    for (const [k, v] of Object.entries(raw)) if (v !== null && v !== undefined) out[k] = String(v);
  }
  return out;
}

function dependsOn(s: ComposeService): string[] {
  const d = s.depends_on;
  if (!d) return [];
  return Array.isArray(d) ? d : Object.keys(d);
}

/** [published, target] pairs of a service's port mappings. */
function ports(name: string): Array<[string | undefined, string]> {
  return (service(name).ports ?? []).map((p) => {
    if (typeof p === 'object') return [p.published === undefined ? undefined : String(p.published), String(p.target)];
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
    const target = parts[parts.length - 1];
    const published = parts.length > 1 ? parts[parts.length - 2] : undefined;
    return [published, target];
  });
}

function commandWords(name: string): string[] {
  const c = service(name).command;
  if (c === undefined) return [];
  return Array.isArray(c) ? c : c.trim().split(/\s+/);
}

/** host:port of a "host:port" address. */
function hostPort(address: string): { host: string; port: string } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: address.slice(i + 1) };
}

/** The condition a service waits for on another (`service_started` for the list form). */
function condition(name: string, on: string): string | undefined {
  const d = service(name).depends_on;
  if (!d) return undefined;
  if (Array.isArray(d)) return d.includes(on) ? 'service_started' : undefined;
  return on in d ? (d[on].condition ?? 'service_started') : undefined;
}

/** The shell script of a one-shot job (`entrypoint: [/bin/sh, -c]`, script as command). */
function script(name: string): string {
  return commandWords(name).join(' ');
}

const TEMPORAL_SERVER_SERVICES = { temporal: 'frontend', 'temporal-history': 'history', 'temporal-matching': 'matching', 'temporal-worker': 'worker' };

describe('docker-compose.yml', () => {
  test('defines the stack services', () => {
    for (const name of ['postgresql', 'temporal-schema', 'temporal', 'temporal-history', 'temporal-matching', 'temporal-worker', 'temporal-namespace', 'temporal-ui', 'mailpit', 's3', 'api', 'worker', 'mail-relay', 'migrate']) {
      expect(Object.keys(services)).toContain(name);
    }
  });

  test('no deprecated auto-setup image: Temporal runs from temporalio/server and temporalio/admin-tools', () => {
    expect(composeText).not.toMatch(/auto-setup/);
    const images = Object.values(services).map((s) => s.image ?? '');
    expect(images.filter((i) => i.startsWith('temporalio/server:'))).toHaveLength(4);
    expect(images.filter((i) => i.startsWith('temporalio/admin-tools:'))).toHaveLength(2);
  });

  test('frontend, history, matching and worker: one container each, from the same image, on the same persistence', () => {
    const image = service('temporal').image;
    const persistence = ['DB', 'DB_PORT', 'POSTGRES_SEEDS', 'POSTGRES_USER', 'POSTGRES_PWD', 'DBNAME', 'VISIBILITY_DBNAME', 'NUM_HISTORY_SHARDS', 'DYNAMIC_CONFIG_FILE_PATH'];
    const shared = Object.fromEntries(persistence.map((k) => [k, env('temporal')[k]]));
    for (const [name, temporalService] of Object.entries(TEMPORAL_SERVER_SERVICES)) {
      expect(service(name).image).toBe(image);
      expect(env(name).TEMPORAL_SERVICES).toBe(temporalService);
      expect(Object.fromEntries(persistence.map((k) => [k, env(name)[k]]))).toEqual(shared);
      // Schemas exist before any service starts.
      expect(condition(name, 'temporal-schema')).toBe('service_completed_successfully');
    }
    expect(shared.DB).toBe('postgres12');
    expect(services[shared.POSTGRES_SEEDS]).toBeDefined();
    expect([shared.POSTGRES_USER, shared.POSTGRES_PWD]).toEqual([env('postgresql').POSTGRES_USER, env('postgresql').POSTGRES_PASSWORD]);
    expect(shared.DBNAME).not.toBe(shared.VISIBILITY_DBNAME);
    // The dynamic config file the services read is the one mounted from the repository.
    const mount = (service('temporal').volumes ?? []).map(String).find((v) => v.includes(shared.DYNAMIC_CONFIG_FILE_PATH));
    expect(mount).toBeDefined();
    expect(fs.existsSync(path.join(root, mount!.split(':')[0]))).toBe(true);
    // Temporal's worker service reaches the cluster through the frontend.
    expect(env('temporal-worker').PUBLIC_FRONTEND_ADDRESS).toBe('temporal:7233');
    expect(ports('temporal')).toContainEqual(['7233', '7233']);
  });

  test('the schema job creates both databases with temporal-sql-tool once PostgreSQL is healthy', () => {
    expect(condition('temporal-schema', 'postgresql')).toBe('service_healthy');
    const e = env('temporal-schema');
    expect(e.SQL_PLUGIN).toBe('postgres12');
    expect(e.SQL_HOST).toBe('postgresql');
    const text = script('temporal-schema');
    for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema --schema-name']) expect(text).toContain(`temporal-sql-tool --db "$$db" ${step}`);
    expect(text).toContain(`for db in ${env('temporal').DBNAME} ${env('temporal').VISIBILITY_DBNAME}`);
    expect(service('temporal-schema').restart).toBe('no');
  });

  test('the namespace job creates the namespace and every TradeGuard search attribute once all four services run', () => {
    for (const name of Object.keys(TEMPORAL_SERVER_SERVICES)) expect(condition('temporal-namespace', name)).toBeDefined();
    expect(env('temporal-namespace').TEMPORAL_ADDRESS).toBe('temporal:7233');
    const text = script('temporal-namespace');
    expect(text).toContain('temporal operator namespace create --namespace default');
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) expect(text).toContain(`${name}:${type}`);
    expect(text).toContain('temporal operator search-attribute create --namespace default');
  });

  test.each(['api', 'worker', 'temporal-ui'])('%s starts once the namespace and its search attributes exist', (name) => {
    expect(condition(name, 'temporal-namespace')).toBe('service_completed_successfully');
  });

  test.each(['api', 'worker'])('%s talks to the compose Temporal and PostgreSQL services', (name) => {
    const e = env(name);

    // The temporal.toml profile (the file is in the image: COPY . . into /app).
    expect(e.TEMPORAL_CONFIG_FILE).toBe('/app/temporal.toml');
    expect(fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n')).not.toContain('temporal.toml');
    const profile = loadClientConfigProfile({ profile: e.TEMPORAL_PROFILE, configSource: { path: path.join(root, 'temporal.toml') }, disableEnv: true });
    expect(profile.address).toBeDefined();
    const temporal = hostPort(profile.address!);
    expect(temporal.host).toBe('temporal');
    expect(temporal.port).toBe('7233');
    expect(env('temporal').TEMPORAL_SERVICES).toBe('frontend');
    expect(profile.namespace).toBe('default');

    expect(e.DATABASE_URL).toBeDefined();
    const db = new URL(e.DATABASE_URL);
    expect(db.protocol).toMatch(/^postgres(ql)?:$/);
    expect(db.hostname).toBe('postgresql');
    expect(services[db.hostname]).toBeDefined();
    // The credentials and database are the ones the postgresql service creates.
    const pg = env('postgresql');
    expect(decodeURIComponent(db.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(db.pathname.slice(1)).toBe(pg.POSTGRES_DB);
  });

  test('the mail relay reads the compose PostgreSQL and sends to Mailpit', () => {
    const e = env('mail-relay');
    expect(e.DATABASE_URL).toBe(env('worker').DATABASE_URL);
    expect(e.SMTP_URL).toBeDefined();
    const smtp = new URL(e.SMTP_URL);
    expect(smtp.protocol).toBe('smtp:');
    expect(smtp.hostname).toBe('mailpit');
    expect(ports('mailpit').map(([, target]) => target)).toContain(smtp.port || '25');
  });

  test('api and worker use the same task queue', () => {
    expect(env('api').TRADEGUARD_TASK_QUEUE).toBeDefined();
    expect(env('worker').TRADEGUARD_TASK_QUEUE).toBe(env('api').TRADEGUARD_TASK_QUEUE);
    // The relay sends the outbox rows the worker's activities write under that queue.
    expect(env('mail-relay').TRADEGUARD_TASK_QUEUE).toBe(env('worker').TRADEGUARD_TASK_QUEUE);
  });

  test('api stores files in the compose S3 service, with its credentials, not on a volume of its own', () => {
    const e = env('api');
    const endpoint = new URL(e.STORAGE_S3_ENDPOINT);
    expect(endpoint.hostname).toBe('s3');
    expect(ports('s3').map(([, target]) => target)).toContain(endpoint.port);
    const s3 = env('s3');
    expect(e.STORAGE_S3_ACCESS_KEY_ID).toBe(s3.ROOT_ACCESS_KEY_ID);
    expect(e.STORAGE_S3_SECRET_ACCESS_KEY).toBe(s3.ROOT_SECRET_ACCESS_KEY);
    // The bucket exists before the gateway serves: the entrypoint makes its folder.
    expect(JSON.stringify(service('s3').entrypoint)).toContain(`mkdir -p /data/${e.STORAGE_S3_BUCKET}`);
    expect(dependsOn(service('api'))).toContain('s3');
    expect(service('api').volumes ?? []).toEqual([]);
  });

  test('api listens on all interfaces and publishes port 3000', () => {
    const e = env('api');
    expect(e.API_HOST).toBe('0.0.0.0');
    const listen = e.PORT ?? '3000';
    expect(ports('api')).toContainEqual(['3000', listen]);
  });

  test('every depends_on names an existing service', () => {
    const names = new Set(Object.keys(services));
    const dangling: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const dep of dependsOn(s)) if (!names.has(dep)) dangling.push(`${name} -> ${dep}`);
    }
    expect(dangling).toEqual([]);
  });

  test('api and worker wait for the migration job', () => {
    for (const name of ['api', 'worker', 'mail-relay']) expect(dependsOn(service(name))).toContain('migrate');
  });

  test.each(['api', 'worker', 'migrate'])('%s runs an npm script that exists in package.json', (name) => {
    const words = commandWords(name);
    expect(words.slice(0, 2)).toEqual(['npm', 'run']);
    const script = words[2];
    expect(script).toBeDefined();
    expect(Object.keys(pkg.scripts)).toContain(script);
  });

  test('temporal-ui points at the temporal service', () => {
    const address = env('temporal-ui').TEMPORAL_ADDRESS;
    expect(address).toBe('temporal:7233');
    expect(services[hostPort(address).host]).toBeDefined();
  });
});
