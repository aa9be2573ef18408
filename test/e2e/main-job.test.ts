/**
 * The README's main command on embedded defaults: `npm start` brings up embedded PostgreSQL, the
 * Temporal dev server, the worker and the API; the demo drives an order through it; Ctrl-C stops
 * every process it started; a second start finds the order where it was.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../infra/temporal-dev-server';

const root = path.join(__dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const run = promisify(execFile);

let dataDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-main-'));
  fs.chmodSync(dataDir, 0o755);
  env = { ...process.env, TRADEGUARD_DATA_DIR: dataDir };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL', 'TRADEGUARD_API_KEY']) delete env[name];
  await choosePorts();
});

/** Ports free when asked; the main job binds them a moment later. */
async function choosePorts(): Promise<void> {
  env.PORT = String(await freePort());
  env.TEMPORAL_DEV_PORT = String(await freePort());
  env.TEMPORAL_UI_PORT = String(await freePort());
  env.EMBEDDED_PG_PORT = String(await freePort());
}

const running = new Set<ChildProcess>();

afterAll(async () => {
  // A failed assertion must not leave the stack running.
  for (const child of running) await stopWithCtrlC(child);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Starts the main job. A port found free can be taken by another process of the suite before the
 * job binds it: a start that fails for a port in use is made again on other ports (twice at most).
 */
async function startMainJob(): Promise<{ child: ChildProcess; output: () => string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startMainJobOnce();
    } catch (err) {
      if (attempt === 3 || !/address already in use|EADDRINUSE/i.test((err as Error).message)) throw err;
      await choosePorts();
    }
  }
}

async function startMainJobOnce(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 90_000;
  while (!out.includes('Try it: npm run demo')) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out };
}

async function stopWithCtrlC(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions the data folder: the dev server and PostgreSQL. */
async function processesUsing(dir: string): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((line) => line.includes(dir) && !line.includes('ps -eo'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

it('starts on embedded defaults, runs the demo, stops cleanly, and finds the order after a restart', async () => {
  const first = await startMainJob();
  const apiUrl = `http://127.0.0.1:${env.PORT}`;
  expect(first.output()).toContain(`API          ${apiUrl}`);
  expect(first.output()).toContain(`Temporal UI  http://127.0.0.1:${env.TEMPORAL_UI_PORT}`);

  // Healthy once the worker has polled its task queue; on a busy machine that can follow the banner.
  let health = await fetch(`${apiUrl}/health`);
  for (let i = 0; i < 60 && health.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 500));
    health = await fetch(`${apiUrl}/health`);
  }
  const report = await health.json();
  expect({ status: health.status, report }).toMatchObject({ status: 200, report: { status: 'ok', temporal: { status: 'up' }, database: { status: 'up' }, worker: { status: 'up' } } });
  const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
  expect(ui.status).toBe(200);

  const demo = await run(tsx, ['scripts/demo.ts'], { cwd: root, env });
  const orderId = demo.stdout.match(/order (PO-[A-Z0-9]+)/)?.[1];
  expect(orderId).toBeDefined();
  expect(demo.stdout).toMatch(/COMPLETED: paid 700000, held 0, released 700000/);
  expect(demo.stdout).toMatch(/409 refused: cannot ship: the order is unpaid/);
  // The demo sends an Idempotency-Key with every POST, and a retried deposit gets the first answer.
  expect(demo.stdout).toMatch(/buyer retries the deposit, same Idempotency-Key\s+200 ok {2}the first answer again \(Idempotent-Replayed\), paid once/);

  // Without SMTP_URL every email is an .eml file in the data folder.
  const mailsOf = () => fs.readdirSync(path.join(dataDir, 'mail')).filter((f) => f.includes(orderId!));
  for (let i = 0; i < 100 && mailsOf().length < 14; i++) await new Promise((r) => setTimeout(r, 100));
  expect(mailsOf()).toHaveLength(14);

  const started = await processesUsing(dataDir);
  expect(started.length).toBeGreaterThanOrEqual(2);
  expect(await stopWithCtrlC(first.child)).toBe(0);
  expect(first.output()).toContain('"msg":"stopped"');
  expect(started.filter(alive)).toEqual([]);
  expect(await processesUsing(dataDir)).toEqual([]);

  const second = await startMainJob();
  try {
    const apiUrl = `http://127.0.0.1:${env.PORT}`;
    const key = fs.readFileSync(path.join(dataDir, 'ops-api-key'), 'utf8').trim();
    const res = await fetch(`${apiUrl}/orders/${orderId}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { order: { status: string } }).order.status).toBe('COMPLETED');
    const timeline = await fetch(`${apiUrl}/orders/${orderId}/timeline`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await timeline.json()) as { events: unknown[] }).events).toHaveLength(9);
  } finally {
    expect(await stopWithCtrlC(second.child)).toBe(0);
    expect(second.output()).toContain('"msg":"stopped"');
  }
});
