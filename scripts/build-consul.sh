#!/usr/bin/env bash
# Builds the Consul agent the service-discovery tests run against, from
# Consul's published Go module (never from copied source) at the version
# pinned in test/consul-server/go.mod, into .cache/bin/consul-<version>.
# v1.16.3 is the last open-source (MPL-2.0) Consul; 1.16.4 and later are BUSL
# and never used here.
#
# The checksum database answers 404 for two modules Consul v1.16.3 requires
# (github.com/hashicorp/consul/envoyextensions v0.4.1 and
# github.com/hashicorp/hcp-sdk-go v0.55.0); they are fetched from the module
# proxy without it, and test/consul-server/go.sum pins their hashes (the same
# hashes as Consul v1.16.3's own go.sum).
#
# Idempotent: does nothing when the binary is already there. Uses the normal
# Go module and build caches. Runs under nice: the machine is shared.
# Prints progress and timing on stderr, the binary's path as the last line on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/build-once.sh
CONSUL_VERSION=1.16.3
BIN=$PWD/.cache/bin/consul-$CONSUL_VERSION

build_consul() {
  (cd test/consul-server &&
    GONOSUMDB=github.com/hashicorp/consul/envoyextensions,github.com/hashicorp/hcp-sdk-go \
      CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$1" github.com/hashicorp/consul)
}
if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { echo "build-consul: go is not installed (Consul $CONSUL_VERSION needs Go >= 1.20)" >&2; exit 1; }
  build_once consul "$BIN" "Consul $CONSUL_VERSION from its Go module (cold caches: several minutes on 2 cores)" build_consul
fi
"$BIN" version | sed -n 1p >&2
echo "$BIN"
