// Generates the Prisma client (WASM query compiler; no native engine needed).
// `prisma generate` first looks for the native schema engine, which cannot be downloaded offline;
// generation itself does not use it, so point it at a harmless executable unless one is configured.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/false';
if (!env.DATABASE_URL) env.DATABASE_URL = 'postgresql://localhost:5432/unused';
const cli = require.resolve('prisma/build/index.js');
execFileSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env, cwd: path.join(__dirname, '..') });
