import fs from 'node:fs';
import { Connection, ConnectionOptions } from '@temporalio/client';
import { loadConfigData } from '@temporalio/envconfig';
import { temporal } from '@temporalio/proto';
import { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../workflows/common';
import { temporalProfileFromFile } from './temporal-profile';

/**
 * Connection settings from a profile of a Temporal client config file (`temporal.toml`, read with
 * `@temporalio/envconfig`: TEMPORAL_CONFIG_FILE names the file, TEMPORAL_PROFILE the profile) and the
 * standard Temporal environment variables, which win over the file field by field:
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS (true/false),
 * TEMPORAL_TLS_CLIENT_CERT_PATH / TEMPORAL_TLS_CLIENT_KEY_PATH / TEMPORAL_TLS_SERVER_CA_CERT_PATH,
 * TEMPORAL_TLS_SERVER_NAME.
 */
export interface TemporalSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  } | boolean;
  /** gRPC metadata sent with every call (the profile's `grpc_meta`). */
  metadata?: Record<string, string>;
}

/** The settings to reach `address` (the one given by temporalAddressFromEnv, or a dev server's). */
export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv, address: string): TemporalSettings {
  const file = temporalProfileFromFile(env) ?? {};
  const fileTls = file.tls && !file.tls.disabled ? file.tls : undefined;
  const namespace = env.TEMPORAL_NAMESPACE || file.namespace || 'default';
  const apiKey = env.TEMPORAL_API_KEY || file.apiKey || undefined;
  const certPath = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const keyPath = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const caPath = env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  // TEMPORAL_TLS=true or certificates named in the environment turn TLS on, TEMPORAL_TLS=false off;
  // otherwise the profile's tls table decides, and without one an API key implies TLS.
  let wantTls: boolean;
  if (env.TEMPORAL_TLS === 'true' || certPath || caPath) wantTls = true;
  else if (env.TEMPORAL_TLS === 'false') wantTls = false;
  else if (file.tls) wantTls = !file.tls.disabled;
  else wantTls = Boolean(apiKey);
  let tls: TemporalSettings['tls'];
  if (wantTls) {
    const fileCert = loadConfigData(fileTls?.clientCert);
    const fileKey = loadConfigData(fileTls?.clientKey);
    const fileCa = loadConfigData(fileTls?.serverCACert);
    tls = {
      serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || fileTls?.serverName || undefined,
      serverRootCACertificate: caPath ? fs.readFileSync(caPath) : fileCa ? Buffer.from(fileCa) : undefined,
      clientCertPair:
        certPath && keyPath
          ? { crt: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) }
          : fileCert && fileKey
            ? { crt: Buffer.from(fileCert), key: Buffer.from(fileKey) }
            : undefined,
    };
  }
  const metadata = file.grpcMeta && Object.keys(file.grpcMeta).length > 0 ? file.grpcMeta : undefined;
  return { address, namespace, apiKey, tls, metadata };
}

/**
 * How long a client waits for the server before giving up: longer than the SDK's 10 s, since a
 * server started a moment ago on a loaded machine (the dev server beside a worker and PostgreSQL on
 * two cores) may take that long to answer its first call.
 */
export const CONNECT_TIMEOUT_MS = 60_000;

export async function connectClient(s: TemporalSettings): Promise<Connection> {
  const options: ConnectionOptions = { address: s.address, tls: s.tls, apiKey: s.apiKey, metadata: s.metadata, connectTimeout: CONNECT_TIMEOUT_MS };
  return Connection.connect(options);
}

export async function connectWorker(s: TemporalSettings): Promise<NativeConnection> {
  const options: NativeConnectionOptions = { address: s.address, tls: s.tls, apiKey: s.apiKey, metadata: s.metadata };
  return NativeConnection.connect(options);
}

/**
 * Adds TradeGuard's search attributes that the namespace lacks; returns the names it added. Several
 * processes starting at once may each find them missing and each add them: an addition that fails
 * because another process got there first (ALREADY_EXISTS, or the cluster's refusal of a concurrent
 * change) is followed by a fresh look, and only attributes still missing are added again.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string, attempts = 5): Promise<string[]> {
  const types: Record<string, temporal.api.enums.v1.IndexedValueType> = {
    Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  };
  for (let attempt = 1; ; attempt++) {
    // The time-skipping test server cannot list search attributes; it then gets all of them.
    const existing = await connection.operatorService.listSearchAttributes({ namespace }).catch((err: { code?: number }) => {
      if (err.code === 12) return { customAttributes: {} };
      throw err;
    });
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return [];
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, types[type]])),
      });
      return missing.map(([name]) => name);
    } catch (err) {
      // Not allowed or not understood: looking again changes nothing.
      const code = (err as { code?: number }).code;
      if (attempt >= attempts || code === 3 || code === 7 || code === 12 || code === 16) throw err;
      // Another process added some or all of them meanwhile; look again after a short, varied pause.
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.floor(Math.random() * 100)));
    }
  }
}

/**
 * Registers TradeGuard's search attributes on the namespace when they are missing. Clusters that do
 * not allow it (e.g. Temporal Cloud without admin rights) need them created by an operator:
 * `temporal operator search-attribute create --name TradeGuardStatus --type Keyword` (and the others).
 */
export async function ensureSearchAttributes(s: TemporalSettings, log: (line: string) => void): Promise<void> {
  const connection = await connectClient(s);
  try {
    const added = await registerSearchAttributes(connection, s.namespace);
    if (added.length > 0) log(`registered search attributes: ${added.join(', ')}`);
  } catch (err) {
    log(`could not check or register search attributes (${(err as Error).message}); create them with "temporal operator search-attribute create"`);
  } finally {
    await connection.close();
  }
}
