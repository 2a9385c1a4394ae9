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
. scripts/lib/build-once.sh
VAULT_VERSION=1.13.0
BIN=$PWD/.cache/bin/vault-$VAULT_VERSION

build_vault() { (cd test/vault-server && CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$1" github.com/hashicorp/vault); }
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "build-vault: go is not installed (Vault $VAULT_VERSION needs Go >= 1.19)" >&2; exit 1; }
  build_once vault "$BIN" "Vault $VAULT_VERSION from its Go module (cold build cache: 6-35 min on 2 cores; warm: ~30 s)" build_vault
fi
"$BIN" version >&2
echo "$BIN"
