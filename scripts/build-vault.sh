#!/usr/bin/env bash
# Builds the Vault server the Vault suites (test/vault, test/e2e/vault) run
# against, from Vault's published Go module (never from copied source) at the
# version pinned in test/vault-server/go.mod, into .cache/bin/vault-<version>.
# v1.13.0 is open source (MPL-2.0); Vault >= 1.14.9 and 1.13.13 are BUSL and
# never used here.
#
# Idempotent: does nothing when the binary is already there. Uses the normal
# Go module and build caches, so after `rm -rf .cache` a rebuild only links.
# Runs under nice: the machine is shared. Measured on this project's 2-core
# machine: cold Go build cache 34 min while three other Go builds ran (Vault
# is ~1,950 packages; expect 10+ min on an idle machine); warm build cache
# 30 s (link); binary present ~0.1 s.
#
# go.sum (committed, complete: the build needs no checksum-database lookup)
# started from Vault v1.13.0's own go.sum, because the checksum database does
# not answer for some pseudo-versions in Vault's graph (the etcd module of
# its replace directive; vault/api and vault/sdk pseudo-versions that other
# modules require, added once with GONOSUMDB for those two paths).
#
# cgo: off, like Vault's own release builds (its Makefile sets CGO_ENABLED=0).
#
# Prints progress and timing on stderr, the binary's path as the last line on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
VAULT_VERSION=1.13.0
BIN=$PWD/.cache/bin/vault-$VAULT_VERSION

if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "build-vault: go is not installed (Vault $VAULT_VERSION needs Go >= 1.19)" >&2; exit 1; }
  mkdir -p .cache/bin
  # One build at a time, also across parallel test workers; the loser of the
  # race finds the binary there when it gets the lock.
  exec 9>.cache/bin/.build-vault.lock
  flock 9
  if [ ! -x "$BIN" ]; then
    echo "build-vault: building Vault $VAULT_VERSION from its Go module (cold build cache: 10-35 min on 2 cores; warm: ~30 s)" >&2
    start=$(date +%s)
    (cd test/vault-server && CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -o "$BIN.tmp.$$" github.com/hashicorp/vault)
    mv "$BIN.tmp.$$" "$BIN"
    echo "build-vault: built $BIN in $(( $(date +%s) - start ))s" >&2
  fi
  flock -u 9
fi
"$BIN" version >&2
echo "$BIN"
