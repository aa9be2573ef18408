/**
 * The Temporal server and its SQL tool, built from the Go module `go.temporal.io/server` (no npm,
 * PyPI or Debian package ships the full server) into `.tools/temporal-cluster/bin`, with the module
 * and build caches beside them. A later run finds the binaries and builds nothing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toolsDir } from '../infra/paths';

export const TEMPORAL_SERVER_VERSION = process.env.TEMPORAL_SERVER_VERSION || 'v1.32.2';
/** The server's go.mod asks for Go 1.26.10 or newer; the module proxy serves this toolchain. */
const GO_TOOLCHAIN = process.env.TEMPORAL_SERVER_GOTOOLCHAIN || 'go1.27.3';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  version: string;
  /** Seconds the build took, when this run built them. */
  builtInSeconds?: number;
}

type Log = (line: string) => void;

export function clusterToolsDir(): string {
  return path.join(toolsDir(), 'temporal-cluster');
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function goBinary(): string {
  if (process.env.GO) return process.env.GO;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, 'go'))) return path.join(dir, 'go');
  }
  if (isExecutable('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  throw new Error('building the Temporal server needs Go (any version that can fetch a newer toolchain: 1.21 or later); set GO or put go on PATH');
}

/** Finds the binaries (TEMPORAL_SERVER_PATH / TEMPORAL_SQL_TOOL_PATH, or the cache) or builds them. */
export function ensureClusterBinaries(log: Log): ClusterBinaries {
  const givenServer = process.env.TEMPORAL_SERVER_PATH;
  const givenSqlTool = process.env.TEMPORAL_SQL_TOOL_PATH;
  if (givenServer && givenSqlTool) return { server: givenServer, sqlTool: givenSqlTool, version: 'as given' };

  const dir = path.join(clusterToolsDir(), TEMPORAL_SERVER_VERSION);
  const bin = path.join(dir, 'bin');
  const server = path.join(bin, 'temporal-server');
  const sqlTool = path.join(bin, 'temporal-sql-tool');
  if (isExecutable(server) && isExecutable(sqlTool)) return { server, sqlTool, version: TEMPORAL_SERVER_VERSION };

  const go = goBinary();
  const cache = path.join(clusterToolsDir(), 'go');
  log(`building the Temporal server ${TEMPORAL_SERVER_VERSION} from go.temporal.io/server with ${GO_TOOLCHAIN} into ${bin}`);
  log('the first build downloads about 1.7 GB of modules and compiles for a long while (see README, A Temporal cluster); later runs reuse it');
  const started = Date.now();
  fs.mkdirSync(bin, { recursive: true });
  execFileSync(go, ['install', `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], {
    stdio: 'inherit',
    env: {
      ...process.env,
      GOTOOLCHAIN: GO_TOOLCHAIN,
      GOBIN: bin,
      GOMODCACHE: path.join(cache, 'mod'),
      GOCACHE: path.join(cache, 'cache'),
      GOPATH: path.join(cache, 'path'),
      CGO_ENABLED: '0',
      GOFLAGS: '-buildvcs=false',
    },
  });
  fs.renameSync(path.join(bin, 'server'), server);
  fs.renameSync(path.join(bin, 'sql'), sqlTool);
  const builtInSeconds = Math.round((Date.now() - started) / 1000);
  log(`built in ${builtInSeconds} s`);
  return { server, sqlTool, version: TEMPORAL_SERVER_VERSION, builtInSeconds };
}
