#!/usr/bin/env bash
# Benchmarks (README "Measured"): start latency (p50/p90 over N runs through
# Nomad's own driver client; small and large components, compile cache warm
# and cold), wasi:http throughput (with `wasmtime serve` as the yardstick) and
# density, each next to a baseline measured in the same run.
#   BENCH_RUNS=15 npm run bench
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh >/dev/null
export PATH=$PWD/node_modules/.bin:$PATH
npm run --silent build
node scripts/build-components.ts >/dev/null
RUNS=${BENCH_RUNS:-15}
# The example admission policies, compiled by OPA, for the start benchmark with a policy.
opa=$(bash scripts/build-opa.sh | tail -1)
mkdir -p .cache/bench
"$opa" build -t wasm -e wasm/admission/decision --capabilities policy/capabilities.json --ignore '*_test.rego' \
  -o .cache/bench/policy.tar.gz policy/examples
export BENCH_POLICY_BUNDLE=$PWD/.cache/bench/policy.tar.gz
out=$(cd test/conformance && go test -run '^$' -bench . -benchtime="${RUNS}x" -count=1 ./... 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^Benchmark'
metric() { echo "$out" | awk -v name="$1" -v unit="$2" '$1 ~ name { for (i = 1; i < NF; i++) if ($(i+1) == unit) print $i }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
node_ms=$(metric BaselineNodeProcessStartToExit median-ms)
nodehttp_ms=$(metric BaselineNodeHTTPStartToFirst200 median-ms)
echo
echo "Start latency, ${RUNS} starts each (small: WAT components; large: componentize-js JavaScript;"
echo "warm: compile cache filled; cold: cache emptied before every start, jco transpiles):"
printf '  %-34s %-6s %-6s %10s %10s  %s\n' "start -> ready" size cache p50 p90 "p50 vs same-run baseline"
for size in small large; do
  for cache in warm cold; do
    p50=$(metric "StartTaskToExit/$size-$cache" median-ms); p90=$(metric "StartTaskToExit/$size-$cache" p90-ms)
    printf '  %-34s %-6s %-6s %7s ms %7s ms  %s\n' "StartTask -> exit (wasi:cli)" "$size" "$cache" "$p50" "$p90" "$(ratio "$p50" "$node_ms") bare node start->exit (${node_ms} ms)"
  done
done
for size in small large; do
  for cache in warm cold; do
    p50=$(metric "StartTaskToFirstHTTP200/$size-$cache" median-ms); p90=$(metric "StartTaskToFirstHTTP200/$size-$cache" p90-ms)
    printf '  %-34s %-6s %-6s %7s ms %7s ms  %s\n' "StartTask -> first 200 (wasi:http)" "$size" "$cache" "$p50" "$p90" "$(ratio "$p50" "$nodehttp_ms") node:http start->first 200 (${nodehttp_ms} ms)"
  done
done
echo
echo "WASI preview1 (a Go program, GOOS=wasip1, adapted at its first start) beside WASI 0.2 commands, same run:"
printf '  %-44s %-6s %10s %10s  %s\n' "StartTask -> exit" cache p50 p90 "p50 vs the small WAT 0.2 command (same run)"
for cache in warm cold; do
  wat=$(metric "StartTaskToExit/small-$cache" median-ms)
  for row in "go-wasip1:Go wasip1 module (2.8 MiB), through the adapter" "py-0.2:Python 0.2 component (18 MiB, componentize-py)"; do
    name=${row%%:*}; label=${row#*:}
    p50=$(metric "StartTaskToExitPreview1/$name-$cache" median-ms); p90=$(metric "StartTaskToExitPreview1/$name-$cache" p90-ms)
    printf '  %-44s %-6s %7s ms %7s ms  %s\n' "$label" "$cache" "$p50" "$p90" "$(ratio "$p50" "$wat") (${wat} ms)"
  done
done
echo
echo "The same warm starts, pooled tier (isolation = \"pooled\"), same run, next to the process tier's:"
printf '  %-34s %-6s %10s %10s  %s\n' "start -> ready, pooled" size p50 p90 "process tier p50 (same run)"
for size in small large; do
  p50=$(metric "StartTaskToExitPooled/$size-warm" median-ms); p90=$(metric "StartTaskToExitPooled/$size-warm" p90-ms)
  printf '  %-34s %-6s %7s ms %7s ms  %s ms\n' "StartTask -> exit (wasi:cli)" "$size" "$p50" "$p90" "$(metric "StartTaskToExit/$size-warm" median-ms)"
done
for size in small large; do
  p50=$(metric "StartTaskToFirstHTTP200Pooled/$size-warm" median-ms); p90=$(metric "StartTaskToFirstHTTP200Pooled/$size-warm" p90-ms)
  printf '  %-34s %-6s %7s ms %7s ms  %s ms\n' "StartTask -> first 200 (wasi:http)" "$size" "$p50" "$p90" "$(metric "StartTaskToFirstHTTP200/$size-warm" median-ms)"
done

echo
echo "The same warm starts of the small command with and without the example admission policies, same run, taking turns:"
none=$(metric StartTaskToExitWithPolicy none-median-ms); with=$(metric StartTaskToExitWithPolicy policy-median-ms)
printf '  %-34s %10s %10s\n' "StartTask -> exit (wasi:cli)" p50 p90
printf '  %-34s %7s ms %7s ms\n' "no policy" "$none" "$(metric StartTaskToExitWithPolicy none-p90-ms)"
printf '  %-34s %7s ms %7s ms  %s\n' "example policies (enforce)" "$with" "$(metric StartTaskToExitWithPolicy policy-p90-ms)" \
  "$(awk -v a="$with" -v b="$none" 'BEGIN { printf "%+.2f ms at p50", a - b }')"
# Policy evaluation per decision, and attestation discovery and verification, cold and warm.
bash scripts/ensure-cosign.sh >/dev/null
node scripts/bench/policy.ts

# wasi:http throughput: ours (shared / per-request) vs `wasmtime serve` (the
# yardstick, built once from crates.io into .cache/wasmtime: 30-70 minutes the
# first time; BENCH_WASMTIME=0 skips building it) vs node:http and stock jco.
if [ "${BENCH_WASMTIME:-1}" != 0 ]; then
  bash scripts/ensure-wasmtime.sh >/dev/null || echo "wasmtime could not be built (see above); its rows are skipped" >&2
fi
node scripts/bench/http-throughput.ts
node scripts/bench/density.ts

# Calling a service by name (allow_services, resolved through a real Consul)
# against the same component calling a fixed allow_http address.
node scripts/bench/service-call.ts

# Isolation unit: the same task as a worker thread vs as its own process.
node scripts/bench/isolation-unit.ts

# Supply chain: pull + verify of a 12 MiB component from a real registry, and the
# start overhead of a cached verified component against an unsigned local file.
bash scripts/ensure-registry.sh
node scripts/bench/trusted-start.ts

# Vault secrets: start overhead of a task with secrets against the same task
# without (real Vault and PostgreSQL), and the cost of a wasi:config/store get.
bash scripts/build-vault.sh >/dev/null
bash scripts/ensure-postgres.sh >/dev/null
node scripts/bench/secrets.ts
node scripts/bench/telemetry-overhead.ts
