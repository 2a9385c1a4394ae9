#!/usr/bin/env bash
# Builds the Nomad agent the end-to-end suite runs against, from Nomad's
# published Go module (never from copied source) at the version pinned in
# test/nomad-agent/go.mod, into .cache/bin/nomad-<version>. v1.6.3 is the last
# open-source (MPL-2.0) Nomad; 1.7.0 and later are BUSL and never used here.
#
# Built with the `ui` tag: the module carries the web UI's compiled assets
# (command/agent/bindata_assetfs.go), so http://<agent>/ui works as in a
# release binary.
#
# Idempotent: does nothing when the binary is already there. Uses the normal
# Go module and build caches, so after `rm -rf .cache` a rebuild only links.
# Measured on this project's 2-core machine: cold (empty caches) ~3 min
# download + compile; warm caches ~1 min; binary present ~0.1 s.
#
# cgo: on, like Nomad's own Linux release builds (its GNUmakefile sets
# CGO_ENABLED=1). The exec driver's runc nsenter and libcap's psx are C code;
# a CGO_ENABLED=0 build (Nomad's release-static target) also works but gives
# a weaker exec driver. It needs a C compiler (gcc).
#
# Prints progress and timing on stderr, the binary's path as the last line on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build-once.sh
NOMAD_VERSION=1.6.3
BIN=$PWD/.cache/bin/nomad-$NOMAD_VERSION

# The module's own package, with the web UI; the output path comes last.
build_nomad() { (cd test/nomad-agent && CGO_ENABLED=1 go build -tags ui -buildvcs=false -trimpath -ldflags "-s -w" -o "$1" github.com/hashicorp/nomad); }
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "build-nomad: go is not installed (Nomad $NOMAD_VERSION needs Go >= 1.21)" >&2; exit 1; }
  command -v "$(go env CC)" >/dev/null || { echo "build-nomad: no C compiler ($(go env CC)) for the cgo build; install gcc" >&2; exit 1; }
  build_once nomad "$BIN" "Nomad $NOMAD_VERSION from its Go module (cold caches: ~3 min on 2 cores)" build_nomad
fi
"$BIN" version | head -1 >&2
echo "$BIN"
