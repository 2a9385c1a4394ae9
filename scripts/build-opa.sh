#!/usr/bin/env bash
# Builds the OPA CLI from OPA's published Go module (never from copied
# source) at the version pinned in test/opa/go.mod, into .cache/bin/opa-<version>.
# The driver does not run it: operators (and the tests) compile Rego policies
# to OPA's Wasm target with `opa build -t wasm`, and run the example policies'
# unit tests with `opa test`. OPA is Apache-2.0.
#
# No cgo and no `opa_wasm` tag: that tag only lets OPA itself evaluate Wasm;
# compiling to Wasm is pure Go (README: "Admission policy").
#
# Idempotent: does nothing when the binary is already there. Uses the normal
# Go module and build caches. Runs under nice: the machine is shared.
# Prints progress and timing on stderr, the binary's path as the last line on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build-once.sh
OPA_VERSION=1.22.4
BIN=$PWD/.cache/bin/opa-$OPA_VERSION

build_opa() {
  (cd test/opa && GOTOOLCHAIN=local CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" \
    -o "$1" github.com/open-policy-agent/opa)
}
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "build-opa: go is not installed (OPA $OPA_VERSION needs Go >= 1.26)" >&2; exit 1; }
  build_once opa "$BIN" "OPA $OPA_VERSION from its Go module (cold caches: a few minutes on 2 cores)" build_opa
fi
"$BIN" version | sed -n 1p >&2
echo "$BIN"
