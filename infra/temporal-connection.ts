import fs from 'node:fs';
import { Connection, ConnectionOptions } from '@temporalio/client';
import { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';

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
