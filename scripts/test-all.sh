#!/usr/bin/env bash
# The test command (README: "Run the tests"). On a fresh machine it installs
# what is missing, builds everything, starts what the suites need (a real
# Nomad agent, built from Nomad's Go module) and runs every suite:
#   licence gate (go test) · unit + runtime + OCI/signatures (vitest, a real registry) · conformance
#   (go test, Nomad's plugin client) · e2e (vitest, real Nomad agent)
# It ends with one line "N passed, N failed[, N skipped]" totalling all suites.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RESULTS=$ROOT/.cache/results
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
status=0
step() { printf '\n==> %s\n' "$*"; }

step "install npm dependencies"
bash scripts/ensure-deps.sh || exit 1
export PATH=$ROOT/node_modules/.bin:$PATH

step "licence gate: every Go module and npm package we depend on is open source"
(cd scripts/licence-gate && go test -count=1 -v ./...) 2>&1 | tee "$RESULTS/go-licence-gate.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "build the plugin"
npm run --silent build || exit 1

step "type-check tests and scripts"
tsc -p tsconfig.test.json || exit 1

step "build test components from source"
node scripts/build-components.ts || exit 1

step "build Nomad from its Go module"
bash scripts/build-nomad.sh || exit 1

step "install the OCI registry (Debian docker-registry) and build cosign for interop tests"
bash scripts/ensure-registry.sh || exit 1
# Without cosign the interop tests skip loudly; everything else still runs.
bash scripts/ensure-cosign.sh || echo "WARNING: cosign could not be built; cosign interop tests will be SKIPPED" >&2

step "unit, runtime, OCI and signature tests (vitest; real registry, real signatures)"
vitest run test/unit test/runtime test/oci test/verify test/sources --reporter=default --reporter=json --outputFile="$RESULTS/vitest-unit.json" || status=1

step "conformance tests (go test, driving the plugin through Nomad's go-plugin client)"
bash scripts/conformance.sh 2>&1 | tee "$RESULTS/go-conformance.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "install Chromium (Debian) for the web UI check"
bash scripts/ensure-chromium.sh || echo "WARNING: Chromium could not be installed; the web UI e2e test will FAIL" >&2

step "end-to-end tests against a real Nomad agent"
vitest run test/e2e --no-file-parallelism --reporter=default --reporter=json --outputFile="$RESULTS/vitest-e2e.json" || status=1

step "summary"
node scripts/summarize-results.ts "$RESULTS" || status=1
exit $status
