#!/usr/bin/env bash
# Builds the Nomad agent the end-to-end suite uses, from Nomad's Go module at
# the version pinned in test/nomad-agent/go.mod, into .cache/bin/. Skips the
# build when the binary is already there; Go's module and build caches make
# a rebuild after `rm -rf .cache` take seconds on a warm machine.
# Prints the binary's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
NOMAD_VERSION=1.11.3
BIN=$PWD/.cache/bin/nomad-$NOMAD_VERSION
if [ ! -x "$BIN" ]; then
  mkdir -p .cache/bin
  echo "building Nomad $NOMAD_VERSION from its Go module (cold: ~2 min download + ~7 min compile on 2 cores)" >&2
  start=$(date +%s)
  (cd test/nomad-agent && go build -trimpath -o "$BIN.tmp" github.com/hashicorp/nomad)
  mv "$BIN.tmp" "$BIN"
  echo "built Nomad in $(( $(date +%s) - start ))s" >&2
fi
"$BIN" version >&2
echo "$BIN"
