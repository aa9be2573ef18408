import fs from 'node:fs';
import { parse } from 'yaml';
import { componentOf, serverSeconds } from '../../bench/cpu';
import { DYNAMIC_CONFIG_FILE, TEMPORAL_SERVICES, clusterConfig, clusterConfigYaml, schemaSteps } from '../../cluster/config';

const options = {
  postgres: { host: '127.0.0.1', port: 55432, user: 'tradeguard', password: 'secret' },
  ports: {
    frontend: { grpc: 17233, membership: 16933 },
    history: { grpc: 17234, membership: 16934 },
    matching: { grpc: 17235, membership: 16935 },
    worker: { grpc: 17239, membership: 16939 },
    frontendHttp: 17243,
  },
  numHistoryShards: 4,
  dynamicConfigFile: '/tmp/cluster/dynamicconfig.yaml',
};

interface ServerConfig {
  persistence: { defaultStore: string; visibilityStore: string; numHistoryShards: number; datastores: Record<string, { sql: { pluginName: string; databaseName: string; connectAddr: string; user: string; password: string } }> };
  services: Record<string, { rpc: { grpcPort: number; membershipPort: number; bindOnLocalHost: boolean; httpPort?: number } }>;
  global: { membership: { broadcastAddress: string } };
  publicClient: { hostPort: string };
  clusterMetadata: { currentClusterName: string; clusterInformation: Record<string, { rpcAddress: string }> };
  dynamicConfigClient: { filepath: string };
}

describe('Temporal cluster configuration', () => {
  const config = parse(clusterConfigYaml(options)) as ServerConfig;

  test('the YAML file says what the config object says', () => {
    expect(config).toEqual(JSON.parse(JSON.stringify(clusterConfig(options))));
  });

  test('persists both stores to PostgreSQL with the postgres12 plugin, in two databases', () => {
    const { persistence } = config;
    expect(persistence.numHistoryShards).toBe(4);
    const main = persistence.datastores[persistence.defaultStore].sql;
    const visibility = persistence.datastores[persistence.visibilityStore].sql;
    expect([main.pluginName, visibility.pluginName]).toEqual(['postgres12', 'postgres12']);
    expect([main.databaseName, visibility.databaseName]).toEqual(['temporal', 'temporal_visibility']);
    for (const store of [main, visibility]) {
      expect(store.connectAddr).toBe('127.0.0.1:55432');
      expect([store.user, store.password]).toEqual(['tradeguard', 'secret']);
    }
  });

  test('four services, each on gRPC and membership ports of its own, on one host', () => {
    expect(Object.keys(config.services).sort()).toEqual([...TEMPORAL_SERVICES].sort());
    const ports = Object.values(config.services).flatMap((s) => [s.rpc.grpcPort, s.rpc.membershipPort]);
    expect(new Set(ports).size).toBe(8);
    expect(Object.values(config.services).every((s) => s.rpc.bindOnLocalHost)).toBe(true);
    expect(config.services.frontend.rpc.httpPort).toBe(17243);
    expect(config.global.membership.broadcastAddress).toBe('127.0.0.1');
  });

  test('the worker service and the cluster metadata point at the frontend', () => {
    expect(config.publicClient.hostPort).toBe('127.0.0.1:17233');
    expect(config.clusterMetadata.clusterInformation[config.clusterMetadata.currentClusterName].rpcAddress).toBe('127.0.0.1:17233');
    expect(config.dynamicConfigClient.filepath).toBe('/tmp/cluster/dynamicconfig.yaml');
  });

  test('search attributes are seen at once by every service', () => {
    expect(parse(fs.readFileSync(DYNAMIC_CONFIG_FILE, 'utf8'))).toEqual({ 'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }] });
  });

  test('schemas: each database created, versioned from 0.0 and updated to the embedded postgres v12 schema', () => {
    const steps = schemaSteps(options).map((args) => args.slice(args.indexOf('--db') + 1).join(' '));
    expect(steps).toEqual([
      'temporal create-database',
      'temporal setup-schema -v 0.0',
      'temporal update-schema --schema-name postgresql/v12/temporal',
      'temporal_visibility create-database',
      'temporal_visibility setup-schema -v 0.0',
      'temporal_visibility update-schema --schema-name postgresql/v12/visibility',
    ]);
    for (const args of schemaSteps(options)) expect(args.slice(0, 10)).toEqual(['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', '55432', '-u', 'tradeguard', '--pw', 'secret']);
  });
});

describe('CPU accounting of the benchmark stack', () => {
  test('names each process by what it runs', () => {
    expect(componentOf('/x/.tools/temporal-cluster/v1.32.2/bin/temporal-server --config-file /tmp/c.yaml --allow-no-auth start --service history')).toBe('Temporal history');
    expect(componentOf('/x/.tools/venv/bin/temporal server start-dev --ip 127.0.0.1 --port 7233')).toBe('Temporal dev server');
    expect(componentOf('/x/bin/postgres -D /tmp/tradeguard-cluster-ab12/postgres -p 5544')).toBe('PostgreSQL (Temporal)');
    expect(componentOf('/x/bin/postgres -D /tmp/tradeguard-bench-ab12/postgres -p 5545')).toBe('PostgreSQL (TradeGuard)');
    expect(componentOf('/usr/bin/node --import tsx /w/bench/worker-process.ts')).toBe('worker');
    expect(componentOf('/usr/bin/node --import tsx /w/api/main.ts')).toBe('API');
    // A PostgreSQL backend names no data folder: it is counted with its parent.
    expect(componentOf('postgres: tradeguard tradeguard 127.0.0.1(40000) idle')).toBeUndefined();
  });

  test("the Temporal server's share: the dev server, or the cluster's services and their PostgreSQL, nothing of TradeGuard's", () => {
    expect(serverSeconds({ bySeconds: { 'Temporal dev server': 2.5, worker: 4, API: 1, 'PostgreSQL (TradeGuard)': 0.5, driver: 0.25 } })).toBe(2.5);
    expect(
      serverSeconds({
        bySeconds: { 'Temporal frontend': 1, 'Temporal history': 2, 'Temporal matching': 0.5, 'Temporal worker': 0.25, 'PostgreSQL (Temporal)': 1.5, 'Temporal schema tool': 9, worker: 3 },
      }),
    ).toBe(5.25);
    expect(serverSeconds({ bySeconds: {} })).toBe(0);
  });
});
