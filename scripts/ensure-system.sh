#!/usr/bin/env bash
# Installs the system packages accessbot needs when they are missing: redis-server (the host's
# queue, and the tests' private instances), a C++ toolchain for better-sqlite3's native build, and,
# with --tests, chromium (the review page's browser tests drive it through playwright-core; nothing
# downloads a browser at run time), docker-compose v1 (the tests render deploy/docker-compose.yml
# with `docker-compose config`, which needs no Docker engine), openssl (throwaway CAs of the
# Teleport and Redis TLS tests) and PostgreSQL's server binaries (the tests run the PostgreSQL
# store on a private initdb/pg_ctl cluster in a temp folder, never on a running server).
# `make serve` needs none of them.
# redis-server also provides the Sentinel the Redis failover tests start (`redis-server --sentinel`).
# Debian/Ubuntu only; prints one clear line and fails elsewhere.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ "${1:-}" = "--tests" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
  # The Teleport source's tests make a throwaway CA and certificates at test time.
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  # Debian keeps initdb and pg_ctl off PATH, under /usr/lib/postgresql/<version>/bin.
  if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need+=(postgresql)
  fi
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: missing ${need[*]}; install them with your package manager and retry" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "error: missing ${need[*]}; run as root or install them: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

echo "installing ${need[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
