#!/usr/bin/env bash
# Waits for a build started by scripts/build-servers.sh and exits with its
# status; on failure prints the end of its log.
#   wait-for-build.sh <results dir> <name>
set -uo pipefail
RESULTS=$1
NAME=$2
start=$(date +%s)
while [ ! -s "$RESULTS/build-$NAME.status" ]; do
  if [ $(( $(date +%s) - start )) -gt 3600 ]; then
    echo "wait-for-build: $NAME not built within an hour; log: $RESULTS/build-$NAME.log" >&2
    exit 1
  fi
  sleep 5
done
code=$(cat "$RESULTS/build-$NAME.status")
waited=$(( $(date +%s) - start ))
if [ "$code" -ne 0 ]; then
  echo "wait-for-build: building $NAME failed (exit $code); end of $RESULTS/build-$NAME.log:" >&2
  tail -20 "$RESULTS/build-$NAME.log" >&2
  exit "$code"
fi
echo "wait-for-build: $NAME ready (waited ${waited}s)"
