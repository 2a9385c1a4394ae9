#!/usr/bin/env bash
# Installs npm dependencies when node_modules is missing or older than the
# lock file. Node.js 22+ itself comes from npm's `node` package (a devDependency),
# so any npm can bootstrap it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  echo "npm is required (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Exactly the lock: `npm ci` fails (and says why) when package.json and the
  # lock disagree, rather than resolving anything anew.
  npm ci --no-audit --no-fund
fi
node_modules/.bin/node --version
