import { defineConfig } from 'prisma/config';

// The CLI is used for `prisma generate` only; migrations are applied by scripts/migrate.ts
// (see infra/migrate.ts), which works without Prisma's native schema engine.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/tradeguard' },
});
