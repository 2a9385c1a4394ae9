#!/usr/bin/env bash
# Runs the Go conformance suite: the built plugin (plugins/wasm) driven by
# Nomad's own go-plugin client and plugins/drivers package (test/conformance).
# Expects `npm run build` and scripts/build-components.ts to have run
# (scripts/test-all.sh does both).
set -euo pipefail
cd "$(dirname "$0")/../test/conformance"
go test -count=1 -v -timeout 10m ./...
