#!/usr/bin/env bash
# Lint, type check, build, then every vitest suite. Writes the JSON results to
# .tmp/test-results.json so CI can print its summary line from them.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp
status=0
echo "== lint (biome)"
npx biome check . || status=1
echo "== typecheck (tsc)"
npx tsc -p tsconfig.json --noEmit || status=1
echo "== build"
npm run --silent build || status=1
echo "== tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/test-results.json "$@" || status=1
exit $status
