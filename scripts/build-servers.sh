#!/usr/bin/env bash
# Builds, one after another and at the lowest CPU priority, the servers and
# tools that only the later suites need: cosign (signature interop), OPA
# (admission policies), Vault, Consul, OpenTofu, our Terraform provider, and
# Jaeger and Prometheus (the telemetry suite, last). scripts/test-all.sh starts it
# in the background so that these builds (most of a cold run's CPU) overlap
# the suites that need only Nomad, which mostly wait on timers and sockets.
#
# For each build it writes <results>/build-<name>.log and, when done,
# <results>/build-<name>.status holding the exit code; wait-for-build.sh
# waits on that file. Each build script is itself idempotent and cached.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
RESULTS=${1:?usage: build-servers.sh <results dir>}
build() {
  local name=$1
  shift
  nice -n 19 "$@" >"$RESULTS/build-$name.log" 2>&1
  echo $? >"$RESULTS/build-$name.status"
}
build cosign bash scripts/ensure-cosign.sh
build opa bash scripts/build-opa.sh
build vault bash scripts/build-vault.sh
build consul bash scripts/build-consul.sh
build opentofu bash scripts/build-opentofu.sh
build terraform-provider bash scripts/build-terraform-provider.sh
build jaeger bash scripts/build-jaeger.sh
build prometheus bash scripts/build-prometheus.sh
