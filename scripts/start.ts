/** `npm start`: the main job on embedded defaults (see README). Ctrl-C stops everything it started. */
import { loadConfig } from '../infra/config';
import { createLogger } from '../infra/logger';
import { SetupProblem } from '../infra/setup-problem';
import { type RunningStack, startStack } from './stack';

async function main(): Promise<void> {
  const config = loadConfig();
  // JSON log lines (LOG_LEVEL, default info); the banner below is for the person at the terminal.
  const logger = createLogger({ level: config.logLevel });

  // The embedded servers run in process groups of their own, so Ctrl-C reaches this process alone
  // and stops the API, then the worker, then Temporal and PostgreSQL. The handlers are in place
  // before anything starts: Ctrl-C while starting stops what has been started so far. A closed
  // terminal (SIGHUP) stops the same way.
  const starting = new AbortController();
  let stack: RunningStack | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    if (!stack) return starting.abort();
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
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));

  try {
    stack = await startStack(config, logger, starting.signal);
  } catch (err) {
    // Stopped while starting: whatever failed then (a step cut short) is part of stopping.
    if (starting.signal.aborted) {
      logger.info('stopped');
      process.exit(0);
    }
    throw err;
  }
  if (starting.signal.aborted) {
    // Ctrl-C after the start's last look at it.
    await stack.stop();
    logger.info('stopped');
    process.exit(0);
  }
  console.log('');
  console.log(`  API          ${stack.apiUrl}   (health: ${stack.apiUrl}/health)`);
  console.log(`  Temporal     ${stack.temporalAddress}`);
  if (stack.temporalUiUrl) console.log(`  Temporal UI  ${stack.temporalUiUrl}`);
  if (stack.databaseDataDir) console.log(`  PostgreSQL   127.0.0.1:${config.embeddedDbPort}, data in ${stack.databaseDataDir}`);
  console.log(`  Data folder  ${config.dataDir}`);
  console.log(`  Email        ${config.smtpUrl ? 'SMTP' : `.eml files in ${config.outboxDir}`}`);
  if (stack.opsKeyFile) console.log(`  Ops API key  in ${stack.opsKeyFile}`);
  console.log('');
  console.log('  Try it: npm run demo    Stop: Ctrl-C');
  console.log('');
}

main().catch((err: Error) => {
  // A problem of the machine's setup is one line naming its cause and fix; anything else keeps its stack.
  if (err instanceof SetupProblem) console.error(`[tradeguard] cannot start: ${err.message}`);
  else console.error(`[tradeguard] failed to start: ${err.stack ?? err.message}`);
  process.exit(1);
});
