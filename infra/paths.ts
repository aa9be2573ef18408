import path from 'node:path';

/** The project's root folder (where package.json is). */
export const projectRoot = path.resolve(__dirname, '..');

/** Local state of the main job: database files, Temporal's SQLite file, emails, keys. */
export function dataDir(): string {
  return path.resolve(process.env.TRADEGUARD_DATA_DIR ?? path.join(projectRoot, '.data'));
}

/** Where provisioned tool binaries live (the Temporal CLI and test server). */
export function toolsDir(): string {
  return path.resolve(process.env.TRADEGUARD_TOOLS_DIR ?? path.join(projectRoot, '.tools'));
}

/**
 * Where a root-run main job keeps what the unprivileged `postgres` user must reach when it cannot
 * enter the checkout (e.g. one under root's mode-700 home): PostgreSQL's binaries and data.
 * Persistent (unlike /tmp), root-owned and open to other users.
 */
export const rootStateDir = '/var/lib/tradeguard';
