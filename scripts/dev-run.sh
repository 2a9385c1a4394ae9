#!/usr/bin/env bash
# The setup-and-run command (README: "Try it"). On a fresh Linux machine
# with npm and Go: installs dependencies (Node 24 included), builds the
# plugin and the example components, builds Nomad from its Go module, then
# starts a local Nomad agent with the plugin and runs the jobs in jobs/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export PATH=$PWD/node_modules/.bin:$PATH
npm run --silent build
node scripts/build-components.ts
NOMAD_BIN=$(bash scripts/build-nomad.sh | tail -1)
export NOMAD_BIN
exec node scripts/dev-run.ts
