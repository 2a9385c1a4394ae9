#!/usr/bin/env bash
# Installs what the Vault suites need besides Vault itself: PostgreSQL from
# Debian (the `database` secrets engine issues real roles in it; the tests
# start a private cluster in a temp dir on a free loopback port, as the
# `postgres` user: PostgreSQL refuses to run as root), and psql.
# Idempotent and quiet: does nothing when initdb, pg_ctl and psql are there.
# Prints the PostgreSQL bin directory as its last line.
set -euo pipefail

find_bin() {
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

if ! bin=$(find_bin) || ! command -v psql >/dev/null 2>&1 || ! id postgres >/dev/null 2>&1; then
  bash "$(dirname "$0")/apt-install.sh" ensure-postgres postgresql postgresql-client
  bin=$(find_bin)
fi
"$bin/postgres" --version >&2
echo "$bin"
