import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.join(__dirname, '../..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  volumes?: unknown[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { target?: number; published?: number | string }>;
  depends_on?: string[] | Record<string, unknown>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as ComposeFile;
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

describe('docker-compose.yml', () => {
  test('defines the stack services', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'mailpit', 's3', 'api', 'worker', 'mail-relay', 'migrate']) {
      expect(Object.keys(services)).toContain(name);
    }
  });

  test.each(['api', 'worker'])('%s talks to the compose Temporal and PostgreSQL services', (name) => {
    const e = env(name);

    expect(e.TEMPORAL_ADDRESS).toBeDefined();
    const temporal = hostPort(e.TEMPORAL_ADDRESS);
    expect(temporal.host).toBe('temporal');
    expect(temporal.port).toBe('7233');
    expect(ports('temporal').map(([, target]) => target)).toContain(temporal.port);

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
