/**
 * The README's `npm start` from a checkout inside a folder closed to other users (mode 700, like
 * root's home). As root, PostgreSQL runs as user postgres, which cannot enter that folder: the
 * start keeps the binaries and the data where it can, and the banner says where. As an ordinary
 * user the folder is the user's own, the data stays in the checkout, and the rest holds the same.
 * Ctrl-C, sent to the whole process group as a terminal does, while requests are under way: the
 * command exits 0 within seconds, prints no stack trace, and leaves nothing it started running;
 * `npm run reset` then removes the data wherever it was kept.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keptOutsideDataDir } from '../../infra/embedded-db';
import { freePort } from '../../infra/temporal-dev-server';

const root = path.join(__dirname, '../..');
const asRoot = os.userInfo().uid === 0;

let closed: string;
let checkout: string;
let env: NodeJS.ProcessEnv;
let started: ChildProcess | undefined;
let startedPids: number[] = [];

beforeAll(async () => {
  closed = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-closed-'));
  fs.chmodSync(closed, 0o700);
  checkout = path.join(closed, 'tradeguard');
  // What a clone holds (tracked files and new ones not ignored), plus what npm install made;
  // node_modules and the provisioned tools are hard-linked, which is quick, or linked to where a
  // hard link cannot be made (another file system, files of another user).
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root }).toString().split('\0');
  for (const file of files.filter(Boolean)) {
    if (!fs.existsSync(path.join(root, file))) continue;
    fs.mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(checkout, file));
  }
  for (const made of ['node_modules', '.tools', 'generated']) {
    if (!fs.existsSync(path.join(root, made))) continue;
    try {
      execFileSync('cp', ['-al', path.join(root, made), checkout], { stdio: 'pipe' });
    } catch {
      fs.rmSync(path.join(checkout, made), { recursive: true, force: true });
      fs.symlinkSync(path.join(root, made), path.join(checkout, made));
    }
  }

  env = { ...process.env, npm_config_update_notifier: 'false' };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL', 'TRADEGUARD_DATA_DIR', 'TRADEGUARD_API_KEY', 'STORAGE_DIR']) delete env[name];
  env.PORT = String(await freePort());
  env.TEMPORAL_DEV_PORT = String(await freePort());
  env.TEMPORAL_UI_PORT = String(await freePort());
  env.EMBEDDED_PG_PORT = String(await freePort());
  // The requests sent while stopping come as fast as answers do; the key's rate limit is not under test.
  env.RATE_LIMIT_PER_MINUTE = '600000';
  env.RATE_LIMIT_BURST = '10000';
}, 60_000);

afterAll(() => {
  // A failed assertion must not leave the stack running.
  if (started && started.exitCode === null && started.signalCode === null) signalGroup(started, 'SIGKILL');
  for (const pid of startedPids) signalPid(pid, 'SIGKILL');
  if (checkout) fs.rmSync(path.dirname(keptOutsideDataDir(path.join(checkout, '.data', 'postgres'))), { recursive: true, force: true });
  if (closed) fs.rmSync(closed, { recursive: true, force: true });
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process and everything below it, whatever process group or session each is in. */
function descendantsOf(pid: number): { pid: number; args: string }[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args=']).toString().split('\n').filter((l) => l.trim());
  const all = rows.map((l) => {
    const [p, pp, ...args] = l.trim().split(/\s+/);
    return { pid: Number(p), ppid: Number(pp), args: args.join(' ') };
  });
  const found = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (found.has(p.ppid) && !found.has(p.pid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => found.has(p.pid)).map(({ pid: p, args }) => ({ pid: p, args }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it(`npm start from a checkout in a mode-700 folder${asRoot ? ' (as root: PostgreSQL runs as user postgres)' : ' (as an ordinary user)'}: starts, says where its data is, and stops on Ctrl-C within seconds, quietly and completely`, async () => {
  // A process group of its own, like a command run at a terminal: Ctrl-C goes to the whole group.
  const child = spawn('npm', ['start'], { cwd: checkout, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started = child;
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const apiUrl = `http://127.0.0.1:${env.PORT}`;
  for (const deadline = Date.now() + 120_000; !out.includes('Try it: npm run demo'); ) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${out}`);
    await sleep(200);
  }
  let health = await fetch(`${apiUrl}/health`);
  for (let i = 0; i < 60 && health.status !== 200; i++) {
    await sleep(500);
    health = await fetch(`${apiUrl}/health`);
  }
  expect(health.status).toBe(200);

  const inCheckout = path.join(checkout, '.data', 'postgres');
  const keptOutside = keptOutsideDataDir(inCheckout);
  const dataDir = asRoot ? keptOutside : inCheckout;
  expect(out).toContain(`PostgreSQL   127.0.0.1:${env.EMBEDDED_PG_PORT}, data in ${dataDir}\n`);
  expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
  if (asRoot) {
    expect(out).toContain(`cannot enter ${closed} (mode 700`);
    expect(fs.existsSync(inCheckout)).toBe(false);
  }

  startedPids = descendantsOf(child.pid!).map((p) => p.pid);
  const processes = descendantsOf(child.pid!).map((p) => p.args);
  expect(processes.some((args) => args.includes(`bin/postgres -D ${dataDir}`))).toBe(true);
  expect(processes.some((args) => args.includes(`server start-dev`) && args.includes(`--port ${env.TEMPORAL_DEV_PORT}`))).toBe(true);

  // Requests under way, as when someone presses Ctrl-C while the console or the demo is busy.
  // /health asks Temporal and the database, so a client closed too early would show.
  const key = fs.readFileSync(path.join(checkout, '.data', 'ops-api-key'), 'utf8').trim();
  const answers: { status: number; afterSignal: boolean }[] = [];
  let signalledAt = 0;
  let loading = true;
  const load = async (route: string, headers: Record<string, string> = {}) => {
    while (loading) {
      const res = await fetch(`${apiUrl}${route}`, { headers }).catch(() => undefined);
      if (!res) {
        // Refused once the server has closed its port: that is what a stopped server does.
        await sleep(20);
        continue;
      }
      await res.arrayBuffer();
      answers.push({ status: res.status, afterSignal: signalledAt > 0 });
    }
  };
  const loads = [load('/health'), load('/health'), load('/orders?limit=5', { authorization: `Bearer ${key}` }), load('/health')];
  await sleep(500);
  const beforeSignal = out.length;
  signalledAt = Date.now();
  signalGroup(child, 'SIGINT');
  const { code, signal } = await exited;
  const tookMs = Date.now() - signalledAt;
  loading = false;
  await Promise.all(loads);
  const afterSignal = out.slice(beforeSignal);

  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(tookMs).toBeLessThan(8000);
  expect(afterSignal).toContain('"msg":"stopped"');
  expect(afterSignal).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(afterSignal).not.toMatch(/"level":"(error|fatal)"|FATAL|Channel has been shut down|Unhandled|ERR_/);
  // Requests under way finished; ones that came while stopping were refused with a 503 to retry.
  expect(answers.filter((a) => a.afterSignal).length).toBeGreaterThan(0);
  expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
  console.log(`npm start stopped ${tookMs} ms after Ctrl-C; ${answers.filter((a) => a.afterSignal).length} answers after it (${answers.filter((a) => a.status === 503).length} of them 503)`);

  // Nothing it started is left: not PostgreSQL (running as another user, in its own process group),
  // not the Temporal dev server.
  await sleep(200);
  expect(startedPids.filter(alive)).toEqual([]);
  const leftovers = execFileSync('ps', ['-eo', 'args=']).toString().split('\n').filter((l) => l.includes(checkout) || l.includes(dataDir));
  expect(leftovers).toEqual([]);

  // npm run reset removes the data wherever it was kept.
  execFileSync('npm', ['run', 'reset'], { cwd: checkout, env, stdio: 'pipe' });
  expect(fs.existsSync(dataDir)).toBe(false);
  expect(fs.existsSync(path.join(checkout, '.data'))).toBe(false);
}, 240_000);
