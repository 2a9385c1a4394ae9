#!/usr/bin/env bash
# Packs the built driver as the release tarball a Nomad client installs
# (the Terraform client module's bootstrap downloads it and checks its
# sha256): nomad-driver-wasm/{dist,proto,plugins,bin,package.json} plus the
# production npm dependencies. No Node.js inside: clients install their own.
#
# Needs `npm run build` first. Reuses the tarball while it is newer than the
# build output and the lock file. Prints the tarball's path as the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSION=$(node -p 'require("./package.json").version' 2>/dev/null || node_modules/.bin/node -p 'require("./package.json").version')
OUT=$ROOT/.cache/dist/nomad-driver-wasm-$VERSION-linux-x64.tar.gz
[ -f dist/main.js ] || { echo "pack-driver: dist/main.js missing; run npm run build first" >&2; exit 1; }

newest=$(find dist proto plugins bin package.json package-lock.json -newer "$OUT" -print -quit 2>/dev/null || echo rebuild)
if [ -f "$OUT" ] && [ -z "$newest" ]; then
  echo "$OUT"
  exit 0
fi
mkdir -p .cache/dist
exec 9>.cache/dist/.pack.lock
flock 9
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
start=$(date +%s)
mkdir -p "$stage/nomad-driver-wasm"
cp -r dist proto plugins bin package.json package-lock.json "$stage/nomad-driver-wasm/"
# Production dependencies only, from the lock file (the npm cache is warm on a
# machine that ran ensure-deps). Same fallback as scripts/ensure-deps.sh.
(cd "$stage/nomad-driver-wasm" && { npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline >/dev/null 2>&1 \
  || npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline >/dev/null; })
tar -czf "$OUT.tmp" -C "$stage" nomad-driver-wasm
mv "$OUT.tmp" "$OUT"
echo "pack-driver: $(du -h "$OUT" | cut -f1) in $(( $(date +%s) - start ))s" >&2
echo "$OUT"
