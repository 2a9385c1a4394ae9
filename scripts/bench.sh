#!/usr/bin/env bash
# Start-latency benchmarks (README "Measured"): medians over N runs through
# Nomad's own driver client, each next to a baseline measured in the same run.
#   BENCH_RUNS=15 npm run bench
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh >/dev/null
export PATH=$PWD/node_modules/.bin:$PATH
npm run --silent build
node scripts/build-components.ts >/dev/null
RUNS=${BENCH_RUNS:-15}
out=$(cd test/conformance && go test -run '^$' -bench . -benchtime="${RUNS}x" -count=1 ./... 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^Benchmark'
median() { echo "$out" | awk -v name="$1" '$1 ~ name { for (i = 1; i < NF; i++) if ($(i+1) == "median-ms") print $i }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
exit_ms=$(median StartTaskToExitWarmCache); node_ms=$(median BaselineNodeProcessStartToExit)
http_ms=$(median StartTaskToFirstHTTP200WarmCache); nodehttp_ms=$(median BaselineNodeHTTPStartToFirst200)
echo
echo "StartTask -> exit (wasi:cli, warm cache):        ${exit_ms} ms median, $(ratio "$exit_ms" "$node_ms") a bare Node process start (${node_ms} ms)"
echo "StartTask -> first 200 (wasi:http, warm cache):  ${http_ms} ms median, $(ratio "$http_ms" "$nodehttp_ms") a plain node:http server start (${nodehttp_ms} ms)"

# wasi:http throughput (ours shared / per-request vs node:http and stock jco) and density.
node scripts/bench/http-throughput.ts
node scripts/bench/density.ts
