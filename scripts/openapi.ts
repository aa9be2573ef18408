/**
 * `npm run openapi [-- FILE]`: writes the API's OpenAPI document (the one `GET /openapi.json` serves)
 * to FILE, or prints it. It is built from the route registry of an app that is never started: no
 * database, Temporal or storage is reached. `npm run lint:openapi` checks it with Redocly's
 * recommended rules.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { requestLimitsFromEnv } from '../api/limits';
import { LocalFileStorage } from '../adapters/storage';
import { createDb } from '../infra/db';

async function main(): Promise<void> {
  // Lazy connections: nothing connects unless a request needs it, and this one does not.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:7233' }) });
  const db = createDb('postgresql://unused:unused@127.0.0.1:1/unused');
  const app = createApp({
    client,
    db,
    taskQueue: 'tradeguard',
    health: async () => {
      throw new Error('not started');
    },
    storage: new LocalFileStorage('/nonexistent'),
    limits: requestLimitsFromEnv(),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as { port: number };
  const document = await (await fetch(`http://127.0.0.1:${port}/openapi.json`)).text();
  server.close();
  await db.$disconnect();
  const file = process.argv[2];
  if (file) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(JSON.parse(document), null, 2)}\n`);
    console.log(`wrote ${file}`);
  } else {
    process.stdout.write(`${document}\n`);
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
