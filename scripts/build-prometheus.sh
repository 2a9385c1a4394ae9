#!/usr/bin/env bash
# Builds Prometheus 3 (with its OTLP receiver), the metrics backend the
# telemetry suites query with PromQL, from Prometheus' published Go module
# (never from copied source) at the version pinned in
# test/prometheus-server/go.mod, into .cache/bin/prometheus-<version>.
# github.com/prometheus/prometheus v0.316.0 is Prometheus 3.16.0, Apache-2.0.
# A plain `go build` embeds no web UI assets; the HTTP API the tests use works
# without them.
#
# Idempotent: does nothing when the binary is already there. Uses the normal
# Go module and build caches (a warm build cache only links). Runs under
# nice: the machine is shared.
# Prints progress and timing on stderr, the binary's path as the last line on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build-once.sh
PROMETHEUS_VERSION=3.16.0
BIN=$PWD/.cache/bin/prometheus-$PROMETHEUS_VERSION

build_prometheus() {
  (cd test/prometheus-server &&
    GOTOOLCHAIN=local CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$1" github.com/prometheus/prometheus/cmd/prometheus)
}
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "build-prometheus: go is not installed (Prometheus $PROMETHEUS_VERSION needs Go >= 1.26.7)" >&2; exit 1; }
  build_once prometheus "$BIN" "Prometheus $PROMETHEUS_VERSION from its Go module (cold build cache: many minutes on 2 cores; warm: a link)" build_prometheus
fi
"$BIN" --version 2>&1 | sed -n 1p >&2
echo "$BIN"
