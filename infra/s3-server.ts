/**
 * A real S3-speaking server for the tests and local trials of the S3 storage adapter: the Versity S3
 * Gateway (`versitygw`, Apache-2.0), a production S3 gateway that keeps objects in a POSIX folder and
 * checks every request's SigV4 signature, conditional writes (If-None-Match) and checksums. No npm or
 * Debian package ships a server of that kind, and no binary can be downloaded here, so it is built
 * from its Go module with `go install` (about a minute on 2 CPUs, once) into `.tools/go/bin`.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toolsDir } from './paths';
import { freePort, portOpen } from './temporal-dev-server';

export const S3_SERVER_GO_MODULE = 'github.com/versity/versitygw/cmd/versitygw@v1.8.0';

type Log = (line: string) => void;

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The `versitygw` binary: S3_SERVER_PATH, else `.tools/go/bin/versitygw`, built there when missing. */
export function ensureS3Server(log: Log = () => undefined): string {
  const fromEnv = process.env.S3_SERVER_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`S3_SERVER_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const gobin = path.join(toolsDir(), 'go', 'bin');
  const bin = path.join(gobin, 'versitygw');
  if (isExecutable(bin)) return bin;
  const go = onPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) throw new Error('cannot build the S3 test server: no Go toolchain (install Debian\'s golang-go or set S3_SERVER_PATH to a versitygw binary)');
  log(`go install ${S3_SERVER_GO_MODULE} (once; about a minute)`);
  fs.mkdirSync(gobin, { recursive: true });
  execFileSync(go, ['install', S3_SERVER_GO_MODULE], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
  });
  if (!isExecutable(bin)) throw new Error(`go install ${S3_SERVER_GO_MODULE} left no ${bin}`);
  return bin;
}

export interface S3Server {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The variables that point TradeGuard's storage at this server. */
  env: Record<string, string>;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts versitygw on 127.0.0.1 (a free port unless given) over a fresh folder, with a random root
 * key pair, and creates `bucket` (a folder of the root, which is what a bucket is to its POSIX backend).
 */
export async function startS3Server(opts: { port?: number; bucket?: string; dir?: string; log?: Log } = {}): Promise<S3Server> {
  const bin = ensureS3Server(opts.log);
  const port = opts.port ?? (await freePort());
  const bucket = opts.bucket ?? 'tradeguard-files';
  const ownDir = !opts.dir;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-s3-'));
  fs.mkdirSync(path.join(dir, bucket), { recursive: true });
  const accessKeyId = `TG${randomBytes(9).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const child = spawn(bin, ['--port', `127.0.0.1:${port}`, '--quiet', 'posix', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The keys go by environment, not argv, so `ps` does not show them.
    env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
  });
  const stopOnExit = () => child.kill('SIGKILL');
  process.once('exit', stopOnExit);
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 50) output.shift();
      opts.log?.(`s3: ${line}`);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      process.removeListener('exit', stopOnExit);
      throw new Error(`versitygw exited (${child.exitCode ?? child.signalCode}):\n${output.join('\n')}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      process.removeListener('exit', stopOnExit);
      throw new Error(`versitygw did not listen on 127.0.0.1:${port} within 30 s:\n${output.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const region = 'us-east-1';
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    region,
    env: {
      STORAGE_S3_ENDPOINT: endpoint,
      STORAGE_S3_BUCKET: bucket,
      STORAGE_S3_REGION: region,
      STORAGE_S3_ACCESS_KEY_ID: accessKeyId,
      STORAGE_S3_SECRET_ACCESS_KEY: secretAccessKey,
    },
    process: child,
    stop: () => {
      stopping ??= (async () => {
        process.removeListener('exit', stopOnExit);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }
        if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
