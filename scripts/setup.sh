#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh machine. Safe to run again: heavy downloads are cached
# under ~/.cache/mcp-observatory.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${MCP_OBSERVATORY_CACHE:-$HOME/.cache/mcp-observatory}"
NODE24_VERSION="24"

echo "setup: npm packages (npm ci)"
npm ci --no-audit --no-fund

# Our users run Node 22 and 24; the suite runs on this machine's Node and on Node 24 from the npm registry's `node`
# package, which ships the binary.
if [ ! -x "$CACHE/node24/node_modules/.bin/node" ]; then
  echo "setup: Node $NODE24_VERSION into $CACHE/node24"
  mkdir -p "$CACHE/node24"
  npm install --prefix "$CACHE/node24" --no-audit --no-fund --no-save "node@$NODE24_VERSION" >/dev/null
fi
echo "setup: Node 24 is $("$CACHE/node24/node_modules/.bin/node" --version)"
