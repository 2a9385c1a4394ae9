// What telemetry costs on the request path, for `npm run bench` (README
// "Measured"): req/s and p99 of the same component served by our task host
// with telemetry off, on with traces sampled out (1 % of traces kept), and
// on with every trace kept — metrics on in both "on" cases — all in the same
// run, interleaved round by round (the machine is shared and noisy).
//
// Besides req/s and p99 it reports the task host's CPU time per request
// (utime + stime from /proc over the loaded seconds, divided by the requests
// served): on a shared machine throughput moves with the neighbours' load,
// CPU per request much less, so the cost is read from that column.
//
// The OTLP endpoint is a discard sink in its own process (node:http
// answering 200 to every export; not a real collector): this measures what
// the task host spends, not what a collector does. The load generator is
// test/bench/loadgen (Go), 10 keep-alive connections.
//
//   BENCH_HTTP_SECONDS=5 BENCH_HTTP_ROUNDS=3 node scripts/bench/telemetry-overhead.ts
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelemetrySettings } from '../../src/telemetry/settings.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const COMPONENTS = join(ROOT, '.cache/components');
const SECONDS = process.env['BENCH_HTTP_SECONDS'] ?? '5';
const ROUNDS = Number(process.env['BENCH_HTTP_ROUNDS'] ?? '3');
const LOADGEN = join(ROOT, '.cache/bin/loadgen');

interface Result {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  requests: number;
  /** CPU time of the task host per request served, in µs. */
  cpuUsPerRequest?: number;
}

/** utime + stime of a process, in seconds (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

type Variant = { readonly key: string; readonly label: string; readonly ratio: number | undefined };
const VARIANTS: Variant[] = [
  { key: 'off', label: 'telemetry off', ratio: undefined },
  { key: 'sampled-out', label: 'on, 1 % of traces sampled (metrics on)', ratio: 0.01 },
  { key: 'all', label: 'on, every trace sampled (metrics on)', ratio: 1 },
];
const MODES = ['shared', 'per-request'] as const;

spawnSync('go', ['build', '-o', LOADGEN, '.'], { cwd: join(ROOT, 'test/bench/loadgen'), stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'bench-telemetry-'));

const SINK_PORT = 18390;
const sink = spawn(
  process.execPath,
  [
    '-e',
    `let n = 0; require('http').createServer((q, s) => { q.resume(); q.on('end', () => { n++; s.writeHead(200, { 'content-type': 'application/x-protobuf' }); s.end(); }); }).listen(${SINK_PORT}, '127.0.0.1'); process.on('SIGTERM', () => { console.log(n); process.exit(0); });`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);

function settings(ratio: number): TelemetrySettings {
  const target = (signal: string) => ({
    url: `http://127.0.0.1:${SINK_PORT}/v1/${signal}`,
    protocol: 'http/protobuf' as const,
    headers: {},
    timeoutMs: 10_000,
  });
  return {
    traces: target('traces'),
    metrics: target('metrics'),
    metricIntervalMs: 10_000,
    prometheus: undefined,
    sampler: { kind: 'parentbased_traceidratio', ratio },
    batch: { scheduleDelayMs: 5000, exportTimeoutMs: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
    resourceAttributes: {},
    allocIdLabel: true,
  };
}

function taskHost(variant: Variant, mode: (typeof MODES)[number], port: number): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'dist/task-host/main.js')], {
    stdio: ['pipe', 'ignore', 'inherit', 'ignore'],
  });
  child.stdin?.end(
    JSON.stringify({
      version: 2,
      taskId: `bench/telemetry/${variant.key}`,
      componentPath: join(COMPONENTS, 'hello-http.wasm'),
      cacheDir: join(dir, 'cache'),
      exitFile: join(dir, `exit-${port}.json`),
      stateDir: mkdtempSync(join(dir, `state-${port}-`)),
      grants: {
        args: ['hello-http.wasm'],
        env: {},
        mounts: [],
        outboundHttp: [],
        memoryMaxMiB: 256,
        httpInstance: mode,
      },
      http: { host: '127.0.0.1', port },
      ...(variant.ratio === undefined
        ? {}
        : {
            telemetry: {
              settings: settings(variant.ratio),
              identity: {
                namespace: 'default',
                jobId: 'bench',
                jobName: 'bench',
                group: 'g',
                task: 't',
                allocId: '00000000-0000-0000-0000-000000000000',
                allocIndex: '0',
                nodeName: 'bench-node',
                nodeId: 'bench-node-id',
                datacenter: 'dc1',
                region: 'global',
              },
              attributes: {},
              tier: 'process',
            },
          }),
    }),
  );
  return child;
}

async function waitForServer(url: string, server: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (server.exitCode !== null) throw new Error(`${url}: the task host exited (${server.exitCode})`);
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

function load(url: string, seconds: string): Result {
  const run = spawnSync(LOADGEN, ['-url', url, '-c', '10', '-d', `${seconds}s`, '-body', '0'], { encoding: 'utf8' });
  return JSON.parse(run.stdout) as Result;
}

const results = new Map<string, Result[]>();
let port = 18500;
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of MODES) {
    for (const variant of VARIANTS) {
      port++;
      const child = taskHost(variant, mode, port);
      const url = `http://127.0.0.1:${port}/`;
      try {
        await waitForServer(url, child);
        load(url, '1'); // warm-up
        const key = `${mode}/${variant.key}`;
        const cpuBefore = cpuSeconds(child.pid ?? 0);
        const result = load(url, SECONDS);
        result.cpuUsPerRequest = ((cpuSeconds(child.pid ?? 0) - cpuBefore) * 1e6) / Math.max(1, result.requests);
        results.set(key, [...(results.get(key) ?? []), result]);
      } finally {
        child.kill('SIGKILL');
      }
    }
  }
}
sink.kill('SIGTERM');
const exports = await new Promise<string>((resolve) => {
  let out = '';
  sink.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  sink.once('exit', () => resolve(out.trim()));
});

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(
  `\nTelemetry overhead (hello-http, 10 connections, ${SECONDS} s x ${ROUNDS} interleaved rounds; OTLP http/protobuf to a discard sink, ${exports} exports received):`,
);
console.log(
  `  ${'instances'.padEnd(12)} ${'telemetry'.padEnd(42)} ${'req/s (median [range])'.padEnd(28)} ${'p99'.padEnd(10)} ${'of off'.padEnd(9)} ${'CPU/request'.padEnd(12)} cost vs off`,
);
for (const mode of MODES) {
  const off = median((results.get(`${mode}/off`) ?? []).map((r) => r.rps));
  const offCpu = median((results.get(`${mode}/off`) ?? []).map((r) => r.cpuUsPerRequest ?? NaN));
  for (const variant of VARIANTS) {
    const runs = results.get(`${mode}/${variant.key}`) ?? [];
    const rps = runs.map((r) => r.rps);
    const cpu = median(runs.map((r) => r.cpuUsPerRequest ?? NaN));
    const errors = runs.reduce((n, r) => n + r.errors, 0);
    const cell = `${fmt(median(rps))} [${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))}]`;
    console.log(
      `  ${mode.padEnd(12)} ${variant.label.padEnd(42)} ${cell.padEnd(28)} ${`${median(runs.map((r) => r.p99_ms)).toFixed(2)} ms`.padEnd(10)} ${`${((median(rps) / off) * 100).toFixed(1)} %`.padEnd(9)} ${`${cpu.toFixed(1)} µs`.padEnd(12)} ${variant.key === 'off' ? '' : `+${(((cpu - offCpu) / offCpu) * 100).toFixed(1)} %`}${errors ? ` (${errors} errors)` : ''}`,
    );
  }
}
