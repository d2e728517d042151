#!/usr/bin/env bash
# Runs `npm ci` when node_modules is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then
  echo "error: Node.js >= 20 is required (https://nodejs.org or your package manager)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "error: Node.js >= 20 is required, found $(node --version)" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` (not `npm ci`): it installs the locked versions too, and tolerates the
  # platform-specific optional packages (biome, msgpackr) that the lock cannot list here.
  npm install --no-audit --no-fund --loglevel=error
fi
