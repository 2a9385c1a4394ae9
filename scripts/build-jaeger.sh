#!/usr/bin/env bash
# Builds Jaeger v2 (all-in-one: OTLP receiver, in-memory trace store, query
# API), the trace backend the telemetry suites assert on, from Jaeger's
# published Go module (never from copied source) at the version pinned in
# test/jaeger-server/go.mod, into .cache/bin/jaeger-<version>.
# github.com/jaegertracing/jaeger v1.75.0 is Jaeger v2.12.0, Apache-2.0.
#
# Idempotent: does nothing when the binary is already there. Uses the normal
# Go module and build caches (a warm build cache only links). Runs under
# nice: the machine is shared.
# Prints progress and timing on stderr, the binary's path as the last line on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build-once.sh
JAEGER_VERSION=2.12.0
BIN=$PWD/.cache/bin/jaeger-$JAEGER_VERSION

build_jaeger() {
  (cd test/jaeger-server &&
    GOTOOLCHAIN=local CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$1" github.com/jaegertracing/jaeger/cmd/jaeger)
}
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "build-jaeger: go is not installed (Jaeger $JAEGER_VERSION needs Go >= 1.24.6)" >&2; exit 1; }
  build_once jaeger "$BIN" "Jaeger $JAEGER_VERSION from its Go module (cold build cache: many minutes on 2 cores; warm: a link)" build_jaeger
fi
echo "$BIN"
