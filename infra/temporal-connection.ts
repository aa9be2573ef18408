import fs from 'node:fs';
import { Connection, ConnectionOptions } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../workflows/common';

/**
 * Connection settings from the standard Temporal environment variables:
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
}

export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv, address: string): TemporalSettings {
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const certPath = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const keyPath = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const caPath = env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  const wantTls = env.TEMPORAL_TLS === 'true' || Boolean(certPath || caPath) || (Boolean(apiKey) && env.TEMPORAL_TLS !== 'false');
  let tls: TemporalSettings['tls'];
  if (wantTls) {
    tls = {
      serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
      serverRootCACertificate: caPath ? fs.readFileSync(caPath) : undefined,
      clientCertPair: certPath && keyPath ? { crt: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) } : undefined,
    };
  }
  return { address, namespace, apiKey, tls };
}

export async function connectClient(s: TemporalSettings): Promise<Connection> {
  const options: ConnectionOptions = { address: s.address, tls: s.tls, apiKey: s.apiKey };
  return Connection.connect(options);
}

export async function connectWorker(s: TemporalSettings): Promise<NativeConnection> {
  const options: NativeConnectionOptions = { address: s.address, tls: s.tls, apiKey: s.apiKey };
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
