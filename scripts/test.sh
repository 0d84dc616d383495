#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, starts a throwaway PostgreSQL for the
# run (tests find it through PGHOST/PGPORT/PGUSER), builds and runs `swift test`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/lib.sh
ensure_test_packages

server=$(mktemp -d "${TMPDIR:-/tmp}/drover-test-pg.XXXXXX")
trap 'stop_private_postgres "$server"; rm -rf "$server"' EXIT
start_private_postgres "$server" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200
export PGHOST="$server/sock" PGPORT=5432 PGUSER=postgres

swift build --build-tests
swift test --skip-build "$@"
