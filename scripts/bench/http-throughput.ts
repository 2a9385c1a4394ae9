// wasi:http throughput for `npm run bench`: req/s and p50/p99 latency of
// the same components served by our task host (shared and per-request
// instances), by `wasmtime serve` (the yardstick: wasmtime-cli from
// crates.io, a fresh instance per request; scripts/ensure-wasmtime.sh builds
// it) and by a plain node:http server doing the same work, all in the same
// run. Each server runs alone in its own process; the load generator is
// test/bench/loadgen (Go), with the same connections and duration for all.
// Runs are interleaved (every server once per round, BENCH_HTTP_ROUNDS
// rounds) and reported as the median with the range, because the machine is
// shared and noisy.
//
// BENCH_BEFORE_ROOT=<a built checkout of an earlier commit> adds its task
// host (shared and per-request) to every round, for before/after figures
// from the same run.
//
//   BENCH_HTTP_SECONDS=5 BENCH_HTTP_ROUNDS=2 node scripts/bench/http-throughput.ts
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST_NODE_FLAGS } from '../../src/ipc/host-node-flags.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const COMPONENTS = join(ROOT, '.cache/components');
const SECONDS = process.env['BENCH_HTTP_SECONDS'] ?? '5';
const ROUNDS = Number(process.env['BENCH_HTTP_ROUNDS'] ?? '2');
const CONNECTIONS = '10';
const LOADGEN = join(ROOT, '.cache/bin/loadgen');
const WASMTIME = join(ROOT, '.cache/wasmtime/bin/wasmtime');
const WASMTIME_VERSION = '48.0.8';
const ONLY = process.env['BENCH_HTTP_ONLY']; // workload names (comma-separated), to measure those only
/** wasmtime's switches for WASI 0.3 (p3 interfaces, the component model's async ABI). */
const WASMTIME_P3_FLAGS = ['-S', 'p3=y', '-W', 'component-model-async=y'];
const BEFORE_ROOT = process.env['BENCH_BEFORE_ROOT'];

interface Result {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

interface Workload {
  readonly name: string;
  readonly component: string;
  readonly path: string;
  /** POST a random body of this many bytes (0: GET). */
  readonly body: number;
  /** The request handler of a node:http server doing the same work. */
  readonly node: string;
  readonly nodeLabel: string;
  readonly stockJco?: boolean;
  /** A WASI 0.3 component (wasmtime serve needs its 0.3 switches for it). */
  readonly p3?: boolean;
}

const WORKLOADS: Workload[] = [
  {
    name: 'hello',
    component: 'hello-http',
    path: '/',
    body: 0,
    node: `(q, s) => { s.setHeader('content-type', 'text/plain'); s.end('hello from wasm\\n'); }`,
    nodeLabel: 'node:http, the same answer',
    stockJco: true,
  },
  {
    // The same service as `hello`, by the same toolchain (WAT, jco's wasm-tools), against the WASI 0.3 async ABI.
    name: 'hello-p3',
    component: 'hello-http-p3',
    path: '/',
    body: 0,
    node: `(q, s) => { s.setHeader('content-type', 'text/plain'); s.end('hello from wasm\\n'); }`,
    nodeLabel: 'node:http, the same answer',
    p3: true,
  },
  {
    name: 'echo',
    component: 'echo-http',
    path: '/',
    body: 1024,
    node: `(q, s) => { s.writeHead(201, q.headers); q.pipe(s); }`,
    nodeLabel: 'node:http, echoing the same way',
  },
  {
    name: 'sha256',
    component: 'sha256-http',
    path: '/?rounds=4',
    body: 16 * 1024,
    node: `(q, s) => { const c = []; q.on('data', (d) => c.push(d)); q.on('end', () => { const b = Buffer.concat(c); let h; for (let i = 0; i < 4; i++) h = require('crypto').createHash('sha256').update(b).digest('hex'); s.setHeader('content-type', 'text/plain'); s.end(h + '\\n'); }); }`,
    nodeLabel: 'node:http, node:crypto (native code)',
  },
  {
    name: 'js-hello',
    component: 'js-hello-http',
    path: '/',
    body: 0,
    node: `(q, s) => { s.setHeader('content-type', 'text/plain'); s.end('hello from js\\n'); }`,
    nodeLabel: 'node:http, the same answer',
  },
];

const DESCRIPTIONS: Record<string, string> = {
  hello: 'hello-http (WAT, 7 KB): GET, a 16-byte answer',
  'hello-p3':
    'hello-http-p3 (WAT, WASI 0.3: wasi:http/handler@0.3.0, async ABI by hand): GET, the same 16-byte answer as hello-http',
  echo: 'echo-http (WAT): POST 1 KiB, echoed back with the request headers',
  sha256: 'sha256-http (WAT): POST 16 KiB, answers its SHA-256 computed 4 times (CPU-heavy)',
  'js-hello': 'js-hello-http (JavaScript, componentize-js, 12.8 MB): GET, a 14-byte answer',
};

type Server = { readonly label: string; readonly key: string; start(port: number): ChildProcess };

spawnSync('go', ['build', '-o', LOADGEN, '.'], { cwd: join(ROOT, 'test/bench/loadgen'), stdio: 'inherit' });
const cacheDir = await mkdtemp(join(tmpdir(), 'bench-http-'));
const haveWasmtime = existsSync(WASMTIME);

function taskHost(component: string, mode: 'shared' | 'per-request', root = ROOT): (port: number) => ChildProcess {
  return (port) => {
    const child = spawn(process.execPath, [...HOST_NODE_FLAGS, join(root, 'dist/task-host/main.js')], {
      stdio: ['pipe', 'ignore', 'inherit', 'ignore'],
    });
    child.stdin?.end(
      JSON.stringify({
        version: 2,
        taskId: `bench/http/${component}`,
        componentPath: join(COMPONENTS, `${component}.wasm`),
        cacheDir: root === ROOT ? cacheDir : join(cacheDir, 'before'),
        exitFile: join(cacheDir, `exit-${port}.json`),
        stateDir: mkdtempSync(join(cacheDir, `state-${port}-`)),
        grants: {
          args: [`${component}.wasm`],
          env: {},
          mounts: [],
          outboundHttp: [],
          memoryMaxMiB: 256,
          httpInstance: mode,
        },
        http: { host: '127.0.0.1', port },
      }),
    );
    return child;
  };
}

function serversFor(workload: Workload): Server[] {
  const servers: Server[] = [
    {
      key: 'node',
      label: workload.nodeLabel,
      start: (port) =>
        spawn(process.execPath, ['-e', `require('http').createServer(${workload.node}).listen(${port}, '127.0.0.1')`], {
          stdio: 'ignore',
        }),
    },
  ];
  if (workload.stockJco) {
    servers.push({
      key: 'stock-jco',
      label: 'stock jco (preview2-shim HTTPServer, shared)',
      start: (port) =>
        spawn(
          process.execPath,
          [
            join(ROOT, 'scripts/bench/stock-jco-server.ts'),
            join(COMPONENTS, `${workload.component}.wasm`),
            String(port),
          ],
          { stdio: 'ignore' },
        ),
    });
  }
  servers.push(
    { key: 'shared', label: 'nomad-driver-wasm, shared instance', start: taskHost(workload.component, 'shared') },
    {
      key: 'per-request',
      label: 'nomad-driver-wasm, per-request instances',
      start: taskHost(workload.component, 'per-request'),
    },
  );
  if (BEFORE_ROOT) {
    servers.push(
      {
        key: 'before-shared',
        label: 'before: shared instance',
        start: taskHost(workload.component, 'shared', BEFORE_ROOT),
      },
      {
        key: 'before-per-request',
        label: 'before: per-request instances',
        start: taskHost(workload.component, 'per-request', BEFORE_ROOT),
      },
    );
  }
  if (haveWasmtime) {
    servers.push({
      key: 'wasmtime',
      // wasmtime serve gives each WASI 0.2 request a fresh instance; a 0.3 instance it reuses (128 requests, 16 at once).
      label: `wasmtime serve ${WASMTIME_VERSION} (${workload.p3 ? 'a reused instance' : 'per-request instances'})`,
      start: (port) =>
        spawn(
          WASMTIME,
          [
            'serve',
            '--addr',
            `127.0.0.1:${port}`,
            '-S',
            'cli=y',
            ...(workload.p3 ? WASMTIME_P3_FLAGS : []),
            join(COMPONENTS, `${workload.component}.wasm`),
          ],
          { stdio: 'ignore' },
        ),
    });
  }
  return servers;
}

async function waitForServer(url: string, server: ChildProcess): Promise<void> {
  // wasmtime compiles the component before it listens: a 12 MB one takes a while.
  for (let i = 0; i < 1200; i++) {
    if (server.exitCode !== null) throw new Error(`${url}: the server exited (${server.exitCode})`);
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

function load(url: string, workload: Workload, seconds: string): Result {
  const run = spawnSync(
    LOADGEN,
    ['-url', url, '-c', CONNECTIONS, '-d', `${seconds}s`, '-body', String(workload.body)],
    { encoding: 'utf8' },
  );
  return JSON.parse(run.stdout) as Result;
}

const results = new Map<string, Result[]>();
let port = 18400;
const workloads = WORKLOADS.filter((w) => !ONLY || ONLY.split(',').includes(w.name));
for (let round = 0; round < ROUNDS; round++) {
  for (const workload of workloads) {
    for (const server of serversFor(workload)) {
      port++;
      const child = server.start(port);
      const url = `http://127.0.0.1:${port}${workload.path}`;
      try {
        await waitForServer(url, child);
        load(url, workload, '1'); // warm-up
        const result = load(url, workload, SECONDS);
        const key = `${workload.name}/${server.key}`;
        results.set(key, [...(results.get(key) ?? []), result]);
      } finally {
        child.kill('SIGKILL');
      }
    }
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (a: number, b: number): string => `${((a / b) * 100).toFixed(0)} %`;

interface Summary {
  workload: string;
  server: string;
  label: string;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50: number;
  p99: number;
  errors: number;
}
const summaries: Summary[] = [];

console.log(
  `\nwasi:http throughput: ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run, ${ROUNDS} interleaved round(s), Go loadgen on the same 2 cores; median req/s [min-max]:`,
);
if (!haveWasmtime) {
  console.log(
    `  wasmtime serve: NOT MEASURED, ${WASMTIME} is not built. Run \`bash scripts/ensure-wasmtime.sh\` (wasmtime-cli ${WASMTIME_VERSION} from crates.io, 30-70 min on 2 cores, once) and bench again.`,
  );
}
for (const workload of workloads) {
  console.log(`\n  ${DESCRIPTIONS[workload.name] ?? workload.name}`);
  const of = (key: string): Result[] => results.get(`${workload.name}/${key}`) ?? [];
  const nodeRps = median(of('node').map((r) => r.rps));
  const wasmtime = of('wasmtime');
  const wasmtimeRps = wasmtime.length ? median(wasmtime.map((r) => r.rps)) : undefined;
  const wasmtimeP99 = wasmtime.length ? median(wasmtime.map((r) => r.p99_ms)) : undefined;
  for (const server of serversFor(workload)) {
    const runs = of(server.key);
    if (runs.length === 0) continue;
    const rps = median(runs.map((r) => r.rps));
    const p50 = median(runs.map((r) => r.p50_ms));
    const p99 = median(runs.map((r) => r.p99_ms));
    const errors = runs.reduce((sum, r) => sum + r.errors, 0);
    const range = `[${fmt(Math.min(...runs.map((r) => r.rps)))}-${fmt(Math.max(...runs.map((r) => r.rps)))}]`;
    const vsWasmtime =
      wasmtimeRps && wasmtimeP99 && server.key !== 'wasmtime'
        ? `  req/s ${pct(rps, wasmtimeRps)} of wasmtime, p99 ${(p99 / wasmtimeP99).toFixed(2)}x`
        : '';
    console.log(
      `    ${server.label.padEnd(48)} ${fmt(rps).padStart(7)} ${range.padEnd(15)} p50 ${p50.toFixed(2).padStart(6)} ms  p99 ${p99.toFixed(2).padStart(6)} ms  ${pct(rps, nodeRps).padStart(5)} of node:http${vsWasmtime}${errors ? `  (${errors} errors)` : ''}`,
    );
    summaries.push({
      workload: workload.name,
      server: server.key,
      label: server.label,
      rps,
      rpsMin: Math.min(...runs.map((r) => r.rps)),
      rpsMax: Math.max(...runs.map((r) => r.rps)),
      p50,
      p99,
      errors,
    });
  }
}

// WASI 0.3 against 0.2: the same answer, the same toolchain, measured in the same rounds.
const p3Ratios: Record<string, number> = {};
for (const mode of ['shared', 'per-request', 'wasmtime']) {
  const p2 = summaries.find((s) => s.workload === 'hello' && s.server === mode);
  const p3 = summaries.find((s) => s.workload === 'hello-p3' && s.server === mode);
  if (p2 && p3) p3Ratios[mode] = p3.rps / p2.rps;
}
if (Object.keys(p3Ratios).length > 0) {
  console.log(
    '\n  WASI 0.3 (hello-http-p3) as a share of WASI 0.2 (hello-http), same run (issue 17 asks for at least 80 %):',
  );
  for (const [mode, ratio] of Object.entries(p3Ratios))
    console.log(
      `    ${mode.padEnd(12)} ${(ratio * 100).toFixed(1)} %${mode === 'wasmtime' ? ' (the yardstick: wasmtime serve itself)' : ''}`,
    );
}
await mkdir(join(ROOT, '.cache/bench'), { recursive: true });
await writeFile(
  join(ROOT, '.cache/bench/http-throughput.json'),
  `${JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, wasmtime: haveWasmtime ? WASMTIME_VERSION : null, summaries, p3Ratios }, null, 2)}\n`,
);
