/**
 * `npm run api-key -- --role ops --name "Alice (ops)"` creates an API key and prints it once.
 * Buyer, supplier and inspector keys need `--party <id>` of a registered party. Uses DATABASE_URL, or the
 * embedded database (joined if `npm start` is running, started for the moment if not).
 */
import { parseArgs } from 'node:util';
import { ROLES, Role, createApiKey } from '../api/keys';
import { loadConfig } from '../infra/config';
import { createDb } from '../infra/db';
import { openDatabase } from '../infra/database';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { role: { type: 'string' }, name: { type: 'string' }, party: { type: 'string' } },
  });
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  const name = values.name ?? `${role} key`;
  const database = await openDatabase(loadConfig(), () => undefined);
  const db = createDb(database.url);
  try {
    const key = await createApiKey(db, { name, role, partyId: values.party });
    console.log(`created ${role} key "${name}" (id ${key.id}); it is shown only now:`);
    console.log(key.key);
  } finally {
    await db.$disconnect();
    await database.stop();
  }
}

main().catch((err: Error) => {
  console.error(`api-key: ${err.message}`);
  process.exit(1);
});
