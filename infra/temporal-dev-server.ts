import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

/**
 * The server settings TradeGuard gives every dev server it starts.
 *
 * `history.MaxBufferedQueryCount`: how many Queries one workflow holds while a workflow task of its
 * runs; past it a Query is refused (RESOURCE_EXHAUSTED). Temporal's default is 1. A burst of reads
 * of one process that its read model cannot answer (a support view, an action answered while its
 * row is behind) needs more than one.
 *
 * `system.forceSearchAttributesCacheRefreshOnRead`: unless this key is given, the CLI turns the
 * server's search-attribute cache off, and every search-attribute upsert then reads the namespace
 * and the cluster's metadata from SQLite again (six reads per upsert, seen in the dev server's
 * metrics; an order upserts at nearly every change). TradeGuard's dev servers are started with their
 * search attributes (`--search-attribute`), so the cache holds them from the first read. A cluster
 * whose workers register search attributes at start keeps the refresh on (cluster/dynamicconfig.yaml).
 */
export const TRADEGUARD_DYNAMIC_CONFIG: Readonly<Record<string, number | boolean | string>> = {
  'history.MaxBufferedQueryCount': 64,
  'system.forceSearchAttributesCacheRefreshOnRead': false,
};

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file that persists namespaces, workflows and timers across restarts. Omit for in-memory. */
  dbFile?: string;
  port: number;
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  searchAttributes?: Record<string, 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList'>;
  /** Where the server serves its Prometheus metrics (GET /metrics); a random free port unless given. */
  metricsPort?: number;
  log?: (line: string) => void;
  /**
   * A process group of the server's own, so that a terminal's Ctrl-C reaches only the caller, which
   * stops the server after the worker and clients that still need it. Only for callers that handle signals.
   */
  ownProcessGroup?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** The server's Prometheus metrics, when a `metricsPort` was given. */
  metricsUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev`, a real single-process Temporal server, and waits until it
 * answers a call (its port opens before its services do).
 */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.metricsPort) args.push('--metrics-port', String(opts.metricsPort));
  if (opts.headless) args.push('--headless');
  else if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  for (const [key, value] of Object.entries(TRADEGUARD_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  for (const [name, type] of Object.entries(opts.searchAttributes ?? {})) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  const log = opts.log ?? (() => undefined);
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownProcessGroup ?? false });
  // A process that ends without stopping the server (an uncaught error, process.exit) still stops it.
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  // What a failed start reports: the server's first lines (a panic's message) and its last ones.
  const head: string[] = [];
  const tail: string[] = [];
  const output = { join: (sep: string) => [...head, ...(tail.length === 50 ? ['…'] : []), ...tail].join(sep) };
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      if (head.length < 20) head.push(line);
      else {
        tail.push(line);
        if (tail.length > 50) tail.shift();
      }
      log(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      process.removeListener('exit', stopOnExit);
      throw new Error(`temporal server exited with code ${child.exitCode}:\n${output.join('\n')}`);
    }
    if ((await portOpen(opts.port)) && (await answers(`127.0.0.1:${opts.port}`))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      process.removeListener('exit', stopOnExit);
      throw new Error(`temporal server did not answer on port ${opts.port} within ${START_TIMEOUT_MS / 1000} s:\n${output.join('\n')}`);
    }
    await sleep(100);
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', stopOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.headless || !opts.uiPort ? undefined : `http://127.0.0.1:${opts.uiPort}`,
    ...(opts.metricsPort ? { metricsUrl: `http://127.0.0.1:${opts.metricsPort}/metrics` } : {}),
    process: child,
    stop,
  };
}

/** How long a dev server may take to answer its first call: its first start creates its SQLite schema. */
const START_TIMEOUT_MS = 120_000;

/** The server at `address` answers a call (its system info) within a few seconds. */
async function answers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5_000 });
    await connection.withDeadline(Date.now() + 5_000, () => connection!.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A TCP port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
