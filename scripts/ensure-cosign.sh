#!/usr/bin/env bash
# Builds the pinned cosign into .cache/bin from the Go module proxy, for the
# interop tests in test/verify/cosign-interop.test.ts (they skip, loudly,
# without it). About 5-6 minutes on 2 vCPUs the first time, instant after.
set -euo pipefail
cd "$(dirname "$0")/.."
COSIGN_VERSION=v2.6.5
BIN=.cache/bin/cosign
if [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "GitVersion:.*${COSIGN_VERSION#v}"; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "ensure-cosign: go is not installed; cosign interop tests will be skipped" >&2
  exit 1
fi
mkdir -p .cache/bin
GOFLAGS=-mod=mod GOBIN="$PWD/.cache/bin" go install "github.com/sigstore/cosign/v2/cmd/cosign@${COSIGN_VERSION}"
"$BIN" version | grep GitVersion
