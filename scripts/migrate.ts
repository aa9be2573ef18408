/** `npm run migrate`: applies prisma/migrations to DATABASE_URL, or to the embedded database. */
import { loadConfig } from '../infra/config';
import { openDatabase } from '../infra/database';

async function main(): Promise<void> {
  const db = await openDatabase(loadConfig(), console.log);
  console.log(`database is up to date (${db.url.replace(/:[^:@/]*@/, ':***@')})`);
  await db.stop();
}

main().catch((err: Error) => {
  console.error(`migrate failed: ${err.message}`);
  process.exit(1);
});
