#!/usr/bin/env bash
# Builds the pinned `wasmtime` CLI (wasmtime-cli on crates.io, Apache-2.0 WITH
# LLVM-exception) into .cache/wasmtime/bin, the yardstick `npm run bench` serves
# the same components with (`wasmtime serve`). About 30-70 minutes on 2
# vCPUs the first time (run under nice), instant after. Only the bench uses it;
# the test command never builds it.
set -euo pipefail
cd "$(dirname "$0")/.."
WASMTIME_VERSION=48.0.8
ROOT=.cache/wasmtime
BIN=$ROOT/bin/wasmtime
if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "^wasmtime ${WASMTIME_VERSION}\b"; then
  echo "$BIN"
  exit 0
fi
if ! command -v cargo >/dev/null; then
  echo "ensure-wasmtime: cargo is not installed (https://rustup.rs); the bench cannot run its wasmtime serve yardstick" >&2
  exit 1
fi
mkdir -p "$ROOT"
# --locked: the dependency versions wasmtime-cli published with, not newer ones.
nice -n 15 cargo install wasmtime-cli --version "$WASMTIME_VERSION" --locked --root "$ROOT" >&2
"$BIN" --version >&2
echo "$BIN"
