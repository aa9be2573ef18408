/** Installs what the tests need and a fresh machine lacks: the Temporal CLI and test server. */
import { ensureTemporalCli, ensureTemporalTestServer } from '../infra/temporal-binaries';

const log = (line: string) => console.log(`[provision] ${line}`);
const cli = ensureTemporalCli(log);
const testServer = ensureTemporalTestServer(log);
log(`temporal CLI: ${cli}`);
log(`temporal test server: ${testServer}`);
