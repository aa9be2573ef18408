/**
 * The configuration of a multi-service Temporal server on one host: frontend, history, matching and
 * worker as separate processes of the same binary (`temporal-server start --service <name>`), each on
 * its own gRPC and membership ports, persisting to PostgreSQL (plugin postgres12, also right for
 * newer PostgreSQL) in two databases: `temporal` (histories, timers, task queues) and
 * `temporal_visibility` (lists and counts of workflows, search attributes).
 */
import path from 'node:path';
import { stringify } from 'yaml';

export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export interface ServicePorts {
  grpc: number;
  membership: number;
}

export interface ClusterConfigOptions {
  postgres: { host: string; port: number; user: string; password: string };
  ports: Record<TemporalService, ServicePorts> & { frontendHttp: number };
  /** Shards of the history service; fixed for the life of the databases. */
  numHistoryShards: number;
  /** Dynamic config file the services watch. */
  dynamicConfigFile: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export const DEFAULT_DATABASE = 'temporal';
export const VISIBILITY_DATABASE = 'temporal_visibility';

function sqlStore(o: ClusterConfigOptions, databaseName: string, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${o.postgres.host}:${o.postgres.port}`,
      connectProtocol: 'tcp',
      user: o.postgres.user,
      password: o.postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

/** The server's config file (the shape of the server's own config/development-postgres12.yaml). */
export function clusterConfig(o: ClusterConfigOptions): Record<string, unknown> {
  const frontendAddress = `127.0.0.1:${o.ports.frontend.grpc}`;
  const service = (name: TemporalService) => ({
    rpc: {
      grpcPort: o.ports[name].grpc,
      membershipPort: o.ports[name].membership,
      bindOnLocalHost: true,
      ...(name === 'frontend' ? { httpPort: o.ports.frontendHttp } : {}),
    },
  });
  return {
    log: { stdout: true, level: o.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: o.numHistoryShards,
      datastores: {
        'postgres-default': sqlStore(o, DEFAULT_DATABASE, 20),
        'postgres-visibility': sqlStore(o, VISIBILITY_DATABASE, 10),
      },
    },
    global: {
      // Every process finds the others through the cluster_membership table; all on one host.
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
    },
    services: Object.fromEntries(TEMPORAL_SERVICES.map((name) => [name, service(name)])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: frontendAddress } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    // The worker service (system workflows) reaches the cluster through the frontend.
    publicClient: { hostPort: frontendAddress },
    dynamicConfigClient: { filepath: o.dynamicConfigFile, pollInterval: '10s' },
  };
}

export function clusterConfigYaml(o: ClusterConfigOptions): string {
  return stringify(clusterConfig(o));
}

/** The dynamic config file the cluster's services watch (also mounted by docker-compose.yml). */
export const DYNAMIC_CONFIG_FILE = path.join(__dirname, 'dynamicconfig.yaml');

/** The temporal-sql-tool steps that create both databases and bring their schemas to the server's version. */
export function schemaSteps(o: Pick<ClusterConfigOptions, 'postgres'>): string[][] {
  const connection = ['--plugin', 'postgres12', '--ep', o.postgres.host, '-p', String(o.postgres.port), '-u', o.postgres.user, '--pw', o.postgres.password];
  const steps: string[][] = [];
  for (const [database, schema] of [[DEFAULT_DATABASE, 'temporal'], [VISIBILITY_DATABASE, 'visibility']]) {
    const on = [...connection, '--db', database];
    steps.push([...on, 'create-database']);
    steps.push([...on, 'setup-schema', '-v', '0.0']);
    steps.push([...on, 'update-schema', '--schema-name', `postgresql/v12/${schema}`]);
  }
  return steps;
}
