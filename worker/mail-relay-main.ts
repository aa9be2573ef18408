/**
 * `npm run mail-relay`: sends the email outbox of a deployment whose workers run apart from
 * `npm start` (DATABASE_URL; SMTP_URL, else .eml files in the data folder; TRADEGUARD_TASK_QUEUE
 * names the deployment; MAIL_RELAY_LEASE_MS how long a claim of a relay that died holds its rows).
 * Run one or more beside the workers; they share the work.
 */
import { createMailer } from '../adapters/mailer';
import { loadConfig } from '../infra/config';
import { createDb } from '../infra/db';
import { createLogger, lineLogger } from '../infra/logger';
import { mailRelayLeaseFromEnv, startMailRelay } from './mail-relay';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('set DATABASE_URL (or use npm start for the embedded stack)');
  const logger = createLogger({ level: config.logLevel, base: { service: 'tradeguard-mail-relay' } });
  const db = createDb(config.databaseUrl);
  const mailer = createMailer({ smtpUrl: config.smtpUrl, outboxDir: config.outboxDir, from: config.mailFrom, log: lineLogger(logger) });
  const leaseMs = mailRelayLeaseFromEnv();
  const relay = startMailRelay({ db, mailer, queue: config.taskQueue, leaseMs, log: lineLogger(logger) });
  logger.info({ queue: config.taskQueue, mail: mailer.describe, leaseMs }, 'mail relay running');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await relay.stop();
  mailer.close();
  await db.$disconnect();
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
