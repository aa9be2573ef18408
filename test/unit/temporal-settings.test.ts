import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config';
import { temporalSettingsFromEnv } from '../../infra/temporal-connection';
import { temporalAddressFromEnv } from '../../infra/temporal-profile';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradeguard-temporal-toml-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

const toml = file(
  'temporal.toml',
  `
[profile.default]
address = "temporal.internal:7233"
namespace = "tradeguard-prod"

[profile.cloud]
address = "tradeguard.a1b2c.tmprl.cloud:7233"
namespace = "tradeguard.a1b2c"
api_key = "key-from-file"

[profile.mtls]
address = "temporal.internal:7233"
namespace = "tradeguard-mtls"
[profile.mtls.tls]
server_name = "temporal.internal"
server_ca_cert_data = "CA FROM FILE"
client_cert_data = "CERT FROM FILE"
client_key_data = "KEY FROM FILE"

[profile.plaintext]
address = "127.0.0.1:7233"
api_key = "key-without-tls"
[profile.plaintext.tls]
disabled = true
`,
);

/** As the processes do: the address given (else a dev server's), then the settings to reach it. */
function settings(env: NodeJS.ProcessEnv) {
  return temporalSettingsFromEnv(env, temporalAddressFromEnv(env) ?? 'dev-server:7233');
}

describe('Temporal connection settings: temporal.toml profile, then the environment variables', () => {
  test('without TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE no file is read: today\'s variables alone', () => {
    // A temporal CLI file in the home folder is not read unless a profile is asked for.
    const home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.config', 'temporalio'), { recursive: true });
    fs.copyFileSync(toml, path.join(home, '.config', 'temporalio', 'temporal.toml'));
    expect(temporalAddressFromEnv({ HOME: home })).toBeUndefined();
    expect(settings({ HOME: home })).toEqual({ address: 'dev-server:7233', namespace: 'default', apiKey: undefined, tls: undefined, metadata: undefined });
    expect(settings({ HOME: home, TEMPORAL_ADDRESS: 'a:1', TEMPORAL_NAMESPACE: 'ns', TEMPORAL_API_KEY: 'k' })).toMatchObject({ address: 'a:1', namespace: 'ns', apiKey: 'k', tls: {} });
  });

  test('TEMPORAL_CONFIG_FILE: the default profile gives address and namespace', () => {
    const s = settings({ TEMPORAL_CONFIG_FILE: toml });
    expect(s).toEqual({ address: 'temporal.internal:7233', namespace: 'tradeguard-prod', apiKey: undefined, tls: undefined, metadata: undefined });
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: toml }).temporalAddress).toBe('temporal.internal:7233');
  });

  test('TEMPORAL_PROFILE picks the profile; an API key from the file implies TLS', () => {
    const s = settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud' });
    expect(s).toMatchObject({ address: 'tradeguard.a1b2c.tmprl.cloud:7233', namespace: 'tradeguard.a1b2c', apiKey: 'key-from-file' });
    expect(s.tls).toEqual({ serverNameOverride: undefined, serverRootCACertificate: undefined, clientCertPair: undefined });
  });

  test('TEMPORAL_PROFILE alone reads the temporal CLI\'s file in the home folder', () => {
    const home = path.join(dir, 'home');
    expect(settings({ HOME: home, TEMPORAL_PROFILE: 'cloud' }).namespace).toBe('tradeguard.a1b2c');
  });

  test('each variable wins over the file, field by field', () => {
    const s = settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud', TEMPORAL_ADDRESS: 'override:7233', TEMPORAL_NAMESPACE: 'other', TEMPORAL_API_KEY: 'key-from-env' });
    expect(s).toMatchObject({ address: 'override:7233', namespace: 'other', apiKey: 'key-from-env' });
    expect(settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'other' }).address).toBe('tradeguard.a1b2c.tmprl.cloud:7233');
  });

  test('the profile\'s tls table supplies certificates, server name and CA; the variables replace each', () => {
    const fromFile = settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'mtls' }).tls as { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } };
    expect(fromFile.serverNameOverride).toBe('temporal.internal');
    expect(fromFile.serverRootCACertificate?.toString()).toBe('CA FROM FILE');
    expect(fromFile.clientCertPair?.crt.toString()).toBe('CERT FROM FILE');
    expect(fromFile.clientCertPair?.key.toString()).toBe('KEY FROM FILE');

    const env = {
      TEMPORAL_CONFIG_FILE: toml,
      TEMPORAL_PROFILE: 'mtls',
      TEMPORAL_TLS_SERVER_NAME: 'env.internal',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem', 'CA FROM ENV'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem', 'CERT FROM ENV'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key', 'KEY FROM ENV'),
    };
    const fromEnv = settings(env).tls as typeof fromFile;
    expect(fromEnv.serverNameOverride).toBe('env.internal');
    expect(fromEnv.serverRootCACertificate?.toString()).toBe('CA FROM ENV');
    expect(fromEnv.clientCertPair?.crt.toString()).toBe('CERT FROM ENV');
    expect(fromEnv.clientCertPair?.key.toString()).toBe('KEY FROM ENV');
  });

  test('TEMPORAL_TLS decides over the file: false turns the profile\'s TLS off, true turns it on', () => {
    expect(settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'mtls', TEMPORAL_TLS: 'false' }).tls).toBeUndefined();
    expect(settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud', TEMPORAL_TLS: 'false' }).tls).toBeUndefined();
    // The profile disables TLS for its API key; the variable turns it back on.
    expect(settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'plaintext' })).toMatchObject({ apiKey: 'key-without-tls', tls: undefined });
    expect(settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'plaintext', TEMPORAL_TLS: 'true' }).tls).toBeTruthy();
  });

  test('a profile that is not in the file is an error that names the file and the profile', () => {
    expect(() => settings({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'staging' })).toThrow(/temporal\.toml, profile staging: Profile 'staging' not found/);
  });
});
