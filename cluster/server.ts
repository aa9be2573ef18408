/**
 * A multi-service Temporal server on this machine: its own embedded PostgreSQL (separate from
 * TradeGuard's, so that taking TradeGuard's database down leaves Temporal's up), schemas created
 * with temporal-sql-tool, then frontend, history, matching and worker as four processes of
 * temporal-server, the `default` namespace and TradeGuard's search attributes. Any service can be
 * stopped (or killed) and started again on the same ports and databases.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { startEmbeddedDatabase } from '../infra/embedded-db';
import { registerSearchAttributes } from '../infra/temporal-connection';
import { freePort, portOpen } from '../infra/temporal-dev-server';
import { ClusterConfigOptions, DYNAMIC_CONFIG_FILE, TEMPORAL_SERVICES, TemporalService, clusterConfigYaml, schemaSteps } from './config';
import type { ClusterBinaries } from './provision';

const run = promisify(execFile);

export const NAMESPACE = 'default';
const NUM_HISTORY_SHARDS = 4;

type Log = (line: string) => void;

export interface TemporalCluster {
  address: string;
  /** A sentence for reports: version, services, persistence. */
  description: string;
  pids(): Record<TemporalService, number | undefined>;
  /** Stops the services (SIGTERM, or SIGKILL for a crash) and starts them again after `downMs`. */
  restart(services: TemporalService[], downMs: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  stop(): Promise<void>;
}

export async function startTemporalCluster(opts: { dir: string; binaries: ClusterBinaries; log: Log }): Promise<TemporalCluster> {
  const { dir, binaries, log } = opts;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: Error) => log(`while stopping: ${err.message}`));
    stops.length = 0;
  };
  try {
    const pgPort = await freePort();
    log(`starting embedded PostgreSQL for Temporal on 127.0.0.1:${pgPort}`);
    const pg = await startEmbeddedDatabase({ dataDir: path.join(dir, 'postgres'), port: pgPort, database: 'postgres', persistent: false });
    stops.push(pg.stop);
    const pgUrl = new URL(pg.url);
    const postgres = { host: '127.0.0.1', port: pgPort, user: decodeURIComponent(pgUrl.username), password: decodeURIComponent(pgUrl.password) };

    log('creating the temporal and temporal_visibility databases and their schemas (temporal-sql-tool)');
    for (const args of schemaSteps({ postgres })) {
      await run(binaries.sqlTool, args, { maxBuffer: 16 * 1024 * 1024 }).catch((err: Error & { stderr?: string }) => {
        throw new Error(`temporal-sql-tool ${args.filter((a) => a !== postgres.password).join(' ')} failed: ${err.stderr || err.message}`);
      });
    }

    const taken = new Set<number>();
    const port = async () => ({ grpc: await freeLowPort(taken), membership: await freeLowPort(taken) });
    const config: ClusterConfigOptions = {
      postgres,
      ports: { frontend: await port(), history: await port(), matching: await port(), worker: await port(), frontendHttp: await freeLowPort(taken) },
      numHistoryShards: NUM_HISTORY_SHARDS,
      dynamicConfigFile: DYNAMIC_CONFIG_FILE,
    };
    const configFile = path.join(dir, 'temporal-server.yaml');
    fs.writeFileSync(configFile, clusterConfigYaml(config));

    const children: Partial<Record<TemporalService, ChildProcess>> = {};
    const startService = async (service: TemporalService) => {
      const logFile = path.join(dir, `${service}.log`);
      const out = fs.openSync(logFile, 'a');
      // A process group of its own: a terminal's Ctrl-C reaches this process, which stops the services in order.
      const child = spawn(binaries.server, ['--config-file', configFile, '--allow-no-auth', 'start', '--service', service], { stdio: ['ignore', out, out], detached: true });
      fs.closeSync(out);
      children[service] = child;
      const deadline = Date.now() + 120_000;
      while (!(await portOpen(config.ports[service].grpc))) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Temporal ${service} exited (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`);
        if (Date.now() > deadline) throw new Error(`Temporal ${service} did not listen on port ${config.ports[service].grpc} within 120 s:\n${tail(logFile)}`);
        await sleep(200);
      }
    };
    const stopService = async (service: TemporalService, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
      const child = children[service];
      children[service] = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    };
    // A process that ends without stopping the services (an uncaught error, process.exit) still stops them.
    const killAll = () => {
      for (const child of Object.values(children)) child?.kill('SIGKILL');
    };
    process.once('exit', killAll);
    stops.push(async () => {
      process.removeListener('exit', killAll);
      // The worker service first (it calls the frontend), history last (the others call it).
      for (const service of ['worker', 'frontend', 'matching', 'history'] as const) await stopService(service);
    });

    log(`starting Temporal ${TEMPORAL_SERVICES.join(', ')} (${binaries.version}), one process each`);
    // One after the other: the first start of a cluster writes its metadata row, and services
    // starting together on fresh databases race to write it (the loser exits).
    for (const service of ['history', 'matching', 'frontend', 'worker'] as const) await startService(service);
    const address = `127.0.0.1:${config.ports.frontend.grpc}`;

    const connection = await connectWhenServing(address);
    try {
      await registerNamespace(connection, log);
      const added = await registerSearchAttributes(connection, NAMESPACE);
      log(`search attributes added to ${NAMESPACE}: ${added.join(', ') || 'none missing'}`);
    } finally {
      await connection.close();
    }

    return {
      address,
      description: `temporal-server ${binaries.version}: frontend, history, matching and worker as separate processes; PostgreSQL 18 persistence (postgres12 plugin, default and visibility stores), ${NUM_HISTORY_SHARDS} history shards`,
      pids: () => Object.fromEntries(TEMPORAL_SERVICES.map((s) => [s, children[s]?.pid])) as Record<TemporalService, number | undefined>,
      async restart(services, downMs, signal = 'SIGTERM') {
        await Promise.all(services.map((service) => stopService(service, signal)));
        await sleep(downMs);
        for (const service of ['history', 'matching', 'frontend', 'worker'] as const) if (services.includes(service)) await startService(service);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function connectWhenServing(address: string): Promise<Connection> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 5_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the Temporal frontend at ${address} did not answer within 120 s: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

/**
 * Registers the namespace, then waits until a workflow can be started in it: each service learns of
 * a new namespace from its own periodic refresh, some seconds later.
 */
async function registerNamespace(connection: Connection, log: Log): Promise<void> {
  await connection.workflowService
    .registerNamespace({ namespace: NAMESPACE, workflowExecutionRetentionPeriod: msToTs('3 days') })
    .catch((err: { code?: number }) => {
      if (err.code !== 6) throw err; // ALREADY_EXISTS
    });
  log(`namespace ${NAMESPACE} registered; waiting until every service knows it`);
  const deadline = Date.now() + 120_000;
  for (let i = 0; ; i++) {
    const workflowId = `cluster-probe-${Date.now()}-${i}`;
    try {
      await connection.workflowService.startWorkflowExecution({
        namespace: NAMESPACE,
        workflowId,
        workflowType: { name: 'clusterProbe' },
        taskQueue: { name: 'cluster-probe' },
        requestId: workflowId,
      });
      await connection.workflowService.terminateWorkflowExecution({ namespace: NAMESPACE, workflowExecution: { workflowId }, reason: 'probe' });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the namespace ${NAMESPACE} was not usable within 120 s: ${(err as Error).message}`);
      await sleep(1_000);
    }
  }
}

/**
 * A free TCP port below 32768: the cluster_membership table keeps each service's membership port
 * in a smallint, so the OS's ephemeral ports (above 32767 on Linux) cannot be used.
 */
async function freeLowPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(candidate) || !(await canListen(candidate))) continue;
    taken.add(candidate);
    return candidate;
  }
  throw new Error('no free TCP port between 20000 and 32000');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
