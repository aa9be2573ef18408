/** `npm run reset`: deletes the local data folder (database, Temporal history, emails, keys). Stop the stack first. */
import fs from 'node:fs';
import { loadConfig } from '../infra/config';
import { portOpen } from '../infra/temporal-dev-server';

async function main(): Promise<void> {
  const config = loadConfig();
  if ((await portOpen(config.embeddedDbPort)) || (await portOpen(config.temporalPort))) {
    throw new Error('the stack is running; stop it (Ctrl-C) before resetting its data');
  }
  fs.rmSync(config.dataDir, { recursive: true, force: true });
  console.log(`removed ${config.dataDir}`);
}

main().catch((err: Error) => {
  console.error(`reset: ${err.message}`);
  process.exit(1);
});
