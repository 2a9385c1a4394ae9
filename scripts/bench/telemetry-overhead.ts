// What telemetry costs on the request path, for `npm run bench` (README
// "Measured"): the same component served by our task host with telemetry
// off, on with traces sampled out (1 % of traces kept), and on with every
// trace kept — metrics on in both "on" cases — all in the same run.
//
// The primary figure is the task host's CPU time per request: a fixed
// number of requests (loadgen -n) is sent to each task host and its utime +
// stime from /proc over them is divided by that number. On a shared 2-core
// machine req/s and p99 move with the neighbours' load; the CPU a process
// spends on a fixed amount of work moves much less. req/s and p99 of the
// same runs are printed beside it. Rounds are interleaved (every variant
// once per round, the order rotated each round, a fresh task host each
// time) and each figure is the median of the rounds with its range.
//
// Each task host is warmed up first, under load for the same time in every
// variant: the JIT, and its first export of spans and of metrics (one-time
// costs of the process, see warmUp).
//
// The OTLP endpoint is a discard sink in its own process (node:http
// answering 200 to every export; not a real collector): this measures what
// the task host spends, not what a collector does. The load generator is
// test/bench/loadgen (Go), 10 keep-alive connections.
//
//   BENCH_TELEMETRY_REQUESTS=30000 BENCH_TELEMETRY_ROUNDS=5 node scripts/bench/telemetry-overhead.ts
//   BENCH_TELEMETRY_WORKLOADS=hello,sha256   which workloads (default: both)
//   BENCH_TELEMETRY_PROFILE=<dir>            the task hosts run with --cpu-prof into <dir>
//   BENCH_BEFORE_ROOT=<a built checkout>     its task host too, as "before" rows (same rounds)
//   BENCH_TELEMETRY_RUNS_PER_HOST=3          measured runs per task host (default 1), each a sample
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelemetrySettings } from '../../src/telemetry/settings.ts';
import { HOST_NODE_FLAGS } from '../../src/ipc/host-node-flags.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const COMPONENTS = join(ROOT, '.cache/components');
const REQUESTS = Number(process.env['BENCH_TELEMETRY_REQUESTS'] ?? '30000');
const ROUNDS = Number(process.env['BENCH_TELEMETRY_ROUNDS'] ?? '5');
const PROFILE_DIR = process.env['BENCH_TELEMETRY_PROFILE'];
const LOADGEN = join(ROOT, '.cache/bin/loadgen');
const BEFORE_ROOT = process.env['BENCH_BEFORE_ROOT'];
/** Measured runs per task host, one after the other (each a sample): more samples for one warm-up. */
const RUNS_PER_HOST = Number(process.env['BENCH_TELEMETRY_RUNS_PER_HOST'] ?? '1');

interface Workload {
  readonly key: string;
  readonly component: string;
  readonly path: string;
  /** POST a random body of this many bytes (0: GET). */
  readonly body: number;
  /** Requests per round, relative to BENCH_TELEMETRY_REQUESTS (a heavier request needs fewer). */
  readonly share: number;
  readonly label: string;
}
const WORKLOADS: Workload[] = [
  { key: 'hello', component: 'hello-http', path: '/', body: 0, share: 1, label: 'hello-http (GET, 16-byte answer)' },
  {
    key: 'sha256',
    component: 'sha256-http',
    path: '/?rounds=4',
    body: 16 * 1024,
    share: 0.2,
    label: 'sha256-http (POST 16 KiB, 4 SHA-256 rounds in Wasm)',
  },
];
const chosen = (process.env['BENCH_TELEMETRY_WORKLOADS'] ?? 'hello,sha256').split(',');

interface Result {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  requests: number;
  /** CPU time of the task host per request served, in µs. */
  cpuUsPerRequest: number;
}

/** utime + stime of a process, in seconds (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

type Variant = {
  readonly key: string;
  readonly label: string;
  readonly ratio: number | undefined;
  /** The checkout whose task host runs (this one, or BENCH_BEFORE_ROOT). */
  readonly root: string;
};
const VARIANTS: Variant[] = [
  { key: 'off', label: 'off', ratio: undefined, root: ROOT },
  { key: 'sampled-out', label: 'on, 1 % sampled', ratio: 0.01, root: ROOT },
  { key: 'all', label: 'on, 100 % sampled', ratio: 1, root: ROOT },
  ...(BEFORE_ROOT
    ? [
        { key: 'before-off', label: 'before: off', ratio: undefined, root: BEFORE_ROOT },
        { key: 'before-sampled-out', label: 'before: 1 %', ratio: 0.01, root: BEFORE_ROOT },
        { key: 'before-all', label: 'before: 100 %', ratio: 1, root: BEFORE_ROOT },
      ]
    : []),
];
const MODES = ['shared', 'per-request'] as const;

spawnSync('go', ['build', '-o', LOADGEN, '.'], { cwd: join(ROOT, 'test/bench/loadgen'), stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'bench-telemetry-'));
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });

// Counts the exports it receives by path; GET /counts answers them (the warm-up waits for the first of each).
const sink = spawn(
  process.execPath,
  [
    '-e',
    `const n = {}; require('http').createServer((q, s) => { if (q.method === 'GET') { s.end(JSON.stringify(n)); return; } q.resume(); q.on('end', () => { n[q.url] = (n[q.url] ?? 0) + 1; s.writeHead(200, { 'content-type': 'application/x-protobuf' }); s.end(); }); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); }); process.on('SIGTERM', () => { console.log(Object.values(n).reduce((a, b) => a + b, 0)); process.exit(0); });`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
// Not left behind (holding our stdout) when this script fails.
process.once('exit', () => sink.kill('SIGKILL'));
let sinkOutput = '';
sink.stdout?.on('data', (d: Buffer) => (sinkOutput += d.toString()));
// Ports are the system's choice: other benches may run on this machine at the same time.
const SINK_PORT = await new Promise<number>((resolve, reject) => {
  sink.stdout?.on('data', () => {
    const line = sinkOutput.split('\n')[0];
    if (sinkOutput.includes('\n') && line) resolve(Number(line));
  });
  sink.once('exit', (code) => reject(new Error(`the OTLP sink exited (${code})`)));
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function exportCounts(): Promise<{ traces: number; metrics: number }> {
  // A new connection each time (the sink may close an idle kept-alive one as it is reused).
  const response = await fetch(`http://127.0.0.1:${SINK_PORT}/counts`, { headers: { connection: 'close' } });
  const counts = (await response.json()) as Record<string, number>;
  return { traces: counts['/v1/traces'] ?? 0, metrics: counts['/v1/metrics'] ?? 0 };
}

/** How long every task host is warmed up under load: three of the bench's 5 s metric intervals. */
const WARM_UP_MS = 16_000;
/** Exports of each signal a task host with telemetry makes in its warm-up. */
const WARM_UP_EXPORTS = 3;

/**
 * The same warm-up for every variant: load, in chunks, for at least
 * WARM_UP_MS and, with telemetry, until the task host has exported spans
 * and metrics WARM_UP_EXPORTS times; the measured run follows at once.
 * Several exports, because code that runs every few seconds is optimised
 * only after a few runs: with 1 % sampled, two exports of 512 spans took
 * 22–42 ms of CPU after 8 s of load and 5–9 ms after 40 s (CPU profiles
 * of the measured run), a difference the requests of a run would carry.
 * Under load the whole time, because an idle task host's code goes cold:
 * after 20 s without requests, a task host without telemetry needed ~10 s
 * of load to come back to its CPU per request (+27 % on the runs after the
 * pause). An
 * earlier version of this bench sent a fixed number of requests and then
 * waited, idle, for the first exports: the variants with telemetry paid
 * for that pause in their measured run and "off" did not. The first export
 * itself is a one-time cost of the process (it loads and compiles node's
 * HTTP client and the serialiser, and deoptimises the stream code the
 * responses share with it); the warm-up takes it, and every export after
 * it falls in the measured runs.
 */
async function warmUp(url: string, workload: Workload, requests: number, telemetry: boolean): Promise<void> {
  const before = await exportCounts();
  const started = Date.now();
  for (;;) {
    load(url, workload, Math.max(1, Math.round(requests / 4)));
    const now = await exportCounts();
    const exported =
      !telemetry || (now.traces >= before.traces + WARM_UP_EXPORTS && now.metrics >= before.metrics + WARM_UP_EXPORTS);
    const elapsed = Date.now() - started;
    if ((exported && elapsed >= WARM_UP_MS) || elapsed > 60_000) return;
  }
}

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
    // Shorter than the plugin's default, so that the warm-up sees a metrics export soon.
    metricIntervalMs: 5000,
    prometheus: undefined,
    sampler: { kind: 'parentbased_traceidratio', ratio },
    // The defaults of the plugin config (OTEL_BSP_* unset).
    batch: { scheduleDelayMs: 5000, exportTimeoutMs: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
    resourceAttributes: {},
    allocIdLabel: true,
  };
}

function taskHost(workload: Workload, variant: Variant, mode: (typeof MODES)[number], port: number): ChildProcess {
  // A directory per task host: its worker threads write profiles too.
  const profile = PROFILE_DIR
    ? ['--cpu-prof', '--cpu-prof-dir', join(PROFILE_DIR, `${workload.key}-${mode}-${variant.key}-${port}`)]
    : [];
  const child = spawn(
    process.execPath,
    [...HOST_NODE_FLAGS, ...profile, join(variant.root, 'dist/task-host/main.js')],
    {
      stdio: ['pipe', 'ignore', 'inherit', 'ignore'],
    },
  );
  child.stdin?.end(
    JSON.stringify({
      version: 2,
      taskId: `bench/telemetry/${variant.key}`,
      componentPath: join(COMPONENTS, `${workload.component}.wasm`),
      cacheDir: join(dir, 'cache'),
      exitFile: join(dir, `exit-${port}.json`),
      stateDir: mkdtempSync(join(dir, `state-${port}-`)),
      grants: {
        args: [`${workload.component}.wasm`],
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

function load(url: string, workload: Workload, requests: number): Omit<Result, 'cpuUsPerRequest'> {
  const run = spawnSync(LOADGEN, ['-url', url, '-c', '10', '-n', String(requests), '-body', String(workload.body)], {
    encoding: 'utf8',
  });
  return JSON.parse(run.stdout) as Omit<Result, 'cpuUsPerRequest'>;
}

/** A task host's exit: SIGTERM (it writes its CPU profile when asked for one), SIGKILL if it lingers. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(PROFILE_DIR ? 'SIGTERM' : 'SIGKILL');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const results = new Map<string, Result[]>();
const loadBefore = loadavg();
for (let round = 0; round < ROUNDS; round++) {
  for (const workload of WORKLOADS.filter((w) => chosen.includes(w.key))) {
    const requests = Math.round(REQUESTS * workload.share);
    for (const mode of MODES) {
      // Rotated each round: no variant always runs first (or right after another's export).
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length] as Variant);
      for (const variant of order) {
        const port = await freePort();
        const child = taskHost(workload, variant, mode, port);
        const url = `http://127.0.0.1:${port}${workload.path}`;
        try {
          await waitForServer(url, child);
          await warmUp(url, workload, requests, variant.ratio !== undefined);
          // Each measured run is a sample of its own (the warm-up paid once for several).
          for (let run = 0; run < RUNS_PER_HOST; run++) {
            const cpuBefore = cpuSeconds(child.pid ?? 0);
            const result = load(url, workload, requests);
            const cpu = cpuSeconds(child.pid ?? 0) - cpuBefore;
            const key = `${workload.key}/${mode}/${variant.key}`;
            results.set(key, [...(results.get(key) ?? []), { ...result, cpuUsPerRequest: (cpu * 1e6) / requests }]);
          }
        } finally {
          await stop(child);
        }
      }
    }
  }
}
const loadAfter = loadavg();
sink.kill('SIGTERM');
const exports = await new Promise<string>((resolve) =>
  sink.once('exit', () => resolve(sinkOutput.trim().split('\n').at(-1) ?? '?')),
);

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ranged = (values: number[], digits = 0): string =>
  `${fmt(median(values), digits)} [${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}]`;

console.log(
  `\nTelemetry overhead: the task host's CPU per request over ${fmt(REQUESTS)} requests (fewer for heavier workloads), 10 connections, ${ROUNDS} interleaved rounds${RUNS_PER_HOST > 1 ? ` of ${RUNS_PER_HOST} runs per task host` : ''}, median [range]; OTLP http/protobuf to a discard sink (${exports} exports received); load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(1)).join(' ')} after:`,
);
for (const workload of WORKLOADS.filter((w) => chosen.includes(w.key))) {
  console.log(`  ${workload.label}, ${fmt(Math.round(REQUESTS * workload.share))} requests a run:`);
  console.log(
    `    ${'instances'.padEnd(12)} ${'telemetry'.padEnd(18)} ${'CPU/request µs'.padEnd(26)} ${'vs off'.padEnd(9)} ${'req/s'.padEnd(26)} ${'of off'.padEnd(8)} p99 ms`,
  );
  for (const mode of MODES) {
    for (const variant of VARIANTS) {
      // Each build against its own "off" of the same rounds.
      const offRuns = results.get(`${workload.key}/${mode}/${variant.root === ROOT ? 'off' : 'before-off'}`) ?? [];
      const offCpu = median(offRuns.map((r) => r.cpuUsPerRequest));
      const offRps = median(offRuns.map((r) => r.rps));
      const runs = results.get(`${workload.key}/${mode}/${variant.key}`) ?? [];
      const cpu = runs.map((r) => r.cpuUsPerRequest);
      const rps = runs.map((r) => r.rps);
      const errors = runs.reduce((n, r) => n + r.errors, 0);
      const cost = variant.ratio === undefined ? '' : `+${(((median(cpu) - offCpu) / offCpu) * 100).toFixed(1)} %`;
      console.log(
        `    ${mode.padEnd(12)} ${variant.label.padEnd(18)} ${ranged(cpu, 1).padEnd(26)} ${cost.padEnd(9)} ${ranged(rps).padEnd(26)} ${`${((median(rps) / offRps) * 100).toFixed(1)} %`.padEnd(8)} ${ranged(
          runs.map((r) => r.p99_ms),
          2,
        )}${errors ? ` (${errors} errors)` : ''}`,
      );
    }
  }
}
