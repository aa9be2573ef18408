/**
 * `npm run reset`: deletes the local data folder (database, Temporal history, emails, keys), and the
 * database kept outside it when the `postgres` user could not reach it (see placeEmbeddedDatabase).
 * Stop the stack first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../infra/config';
import { keptOutsideDataDir } from '../infra/embedded-db';
import { portOpen } from '../infra/temporal-dev-server';

async function main(): Promise<void> {
  const config = loadConfig();
  if ((await portOpen(config.embeddedDbPort)) || (await portOpen(config.temporalPort))) {
    throw new Error('the stack is running; stop it (Ctrl-C) before resetting its data');
  }
  // Found through the data folder's path, so it is looked up before that folder goes.
  const outside = path.dirname(keptOutsideDataDir(path.join(config.dataDir, 'postgres')));
  if (fs.existsSync(outside)) {
    fs.rmSync(outside, { recursive: true, force: true });
    console.log(`removed ${outside}`);
  }
  fs.rmSync(config.dataDir, { recursive: true, force: true });
  console.log(`removed ${config.dataDir}`);
}

main().catch((err: Error) => {
  console.error(`reset: ${err.message}`);
  process.exit(1);
});
