import { ClientConfigProfile, loadClientConfigProfile } from '@temporalio/envconfig';

/**
 * The profile of the client config file, when one is asked for: TEMPORAL_CONFIG_FILE (profile
 * TEMPORAL_PROFILE, else `default`), or TEMPORAL_PROFILE alone (the file where the `temporal` CLI
 * keeps it, ~/.config/temporalio/temporal.toml). Without either no file is read, so a CLI's file
 * never turns `npm start` away from its own dev server.
 */
export function temporalProfileFromFile(env: NodeJS.ProcessEnv): ClientConfigProfile | undefined {
  const file = env.TEMPORAL_CONFIG_FILE || undefined;
  const profile = env.TEMPORAL_PROFILE || undefined;
  if (!file && !profile) return undefined;
  try {
    return loadClientConfigProfile({
      profile: profile ?? 'default',
      configSource: file ? { path: file } : undefined,
      // The variables are applied by temporalSettingsFromEnv, with TradeGuard's rules for TLS.
      disableEnv: true,
      overrideEnvVars: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    });
  } catch (err) {
    throw new Error(`Temporal client config ${file ?? '(the temporal CLI default file)'}, profile ${profile ?? 'default'}: ${(err as Error).message}`);
  }
}

/** TEMPORAL_ADDRESS, else the config file profile's address; undefined: none given (a dev server is started). */
export function temporalAddressFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.TEMPORAL_ADDRESS || temporalProfileFromFile(env)?.address || undefined;
}
