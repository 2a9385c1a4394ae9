#!/usr/bin/env bash
# Builds the Go binaries the suites need, in two lanes at once, each in the
# order the suites ask for them. One lane: Nomad (conformance and every
# end-to-end suite), cosign and OPA (the signature and policy suites), then
# Jaeger and Prometheus (the telemetry suite, last). The other: Vault and
# Consul (the Vault suite, the first to need them), then OpenTofu and our
# Terraform provider. Balanced on a cold run's build times, 2 cores, the
# builds beside the suites (2026-12-07): Nomad 651 s, cosign ~410, OPA 110,
# Jaeger 423, Prometheus 509; Vault 452, Consul 290, OpenTofu 957, the
# provider 42.
# scripts/test-all.sh starts it first thing, so that on a cold machine these
# builds (most of its CPU time) overlap everything else: the test command
# alone uses about a third of 2 cores (its suites mostly wait on timers and
# sockets), and one `go build` leaves a core idle while it downloads modules
# and while it links. Nomad builds at nice 10 (conformance waits for it a
# few minutes in); the rest at nice 19, so the suites keep their CPU. All are
# linked without debug information (-s -w): Vault links in 5 s instead of 14.
#
# For each build it writes <results>/build-<name>.log and, when done,
# <results>/build-<name>.status holding the exit code; wait-for-build.sh
# waits on that file. Each build script is itself idempotent and cached.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
RESULTS=${1:?usage: build-servers.sh <results dir>}
build() { # name, nice level, command...
  local name=$1 level=$2
  shift 2
  nice -n "$level" "$@" >"$RESULTS/build-$name.log" 2>&1
  echo $? >"$RESULTS/build-$name.status"
}
{
  build nomad 10 bash scripts/build-nomad.sh
  build cosign 19 bash scripts/ensure-cosign.sh
  build opa 19 bash scripts/build-opa.sh
  build jaeger 19 bash scripts/build-jaeger.sh
  build prometheus 19 bash scripts/build-prometheus.sh
} &
{
  build vault 19 bash scripts/build-vault.sh
  build consul 19 bash scripts/build-consul.sh
  build opentofu 19 bash scripts/build-opentofu.sh
  build terraform-provider 19 bash scripts/build-terraform-provider.sh
} &
wait
