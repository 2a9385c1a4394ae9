#!/usr/bin/env bash
# Runs the Go conformance suite: the built plugin (plugins/wasm) driven by
# Nomad's own go-plugin client and plugins/drivers package at v1.6.3
# (test/conformance). Builds what is missing first:
#   - the test components (scripts/build-components.ts; it skips up-to-date ones),
#   - the plugin (`npm run build`) when dist/ is missing or older than its sources.
# Prints go test's own output (CI reads its closing lines) and exits with its status.
# Env: WASM_TEST_COMPONENTS (component dir), CONFORMANCE_PLUGIN_LOGS=1 (plugin
# logs on stderr), GO_TEST_ARGS (extra flags, e.g. "-run TestCapabilities").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH=$ROOT/node_modules/.bin:$PATH

if [ ! -d node_modules ]; then
  bash scripts/ensure-deps.sh
fi

components=${WASM_TEST_COMPONENTS:-$ROOT/.cache/components}
if [ ! -f "$components/components.json" ] ||
   [ -n "$(find test/components scripts/build-components.ts -newer "$components/components.json" -type f -print -quit)" ]; then
  echo "==> building test components into $components"
  node scripts/build-components.ts
fi

if [ ! -f dist/main.js ] ||
   [ -n "$(find src proto package.json tsconfig.json -newer dist/main.js -type f -not -path 'src/generated/*' -print -quit)" ]; then
  echo "==> building the plugin (npm run build)"
  npm run --silent build
fi

cd "$ROOT/test/conformance"
# shellcheck disable=SC2086
exec go test -count=1 -v -timeout 10m ${GO_TEST_ARGS:-} ./...
