// The isolation-unit choice, measured (README "Isolation unit"): the same
// wasi:http task started as a worker thread inside one shared process vs as
// its own Node process. Reports start → serving latency and memory per
// idle task, and what each unit does when its guest spins or the host dies.
//   node scripts/bench/isolation-unit.ts     (BENCH_RUNS=15 starts, BENCH_UNITS=20 idle tasks)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

const ROOT = new URL('../../', import.meta.url).pathname;
const BODY = join(ROOT, 'scripts/bench/isolation-unit-body.ts');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const UNITS = Number(process.env['BENCH_UNITS'] ?? 20);
const cacheDir = await mkdtemp(join(tmpdir(), 'bench-isolation-'));
const input = { componentPath: join(ROOT, '.cache/components/hello-http.wasm'), cacheDir };

interface Unit {
  readonly ready: Promise<number>;
  stop(): Promise<void>;
}

function workerUnit(): Unit {
  const worker = new Worker(BODY, { workerData: input });
  const ready = new Promise<number>((resolve, reject) => {
    worker.once('message', (m: string) => resolve(Number(m.split(' ')[1])));
    worker.once('error', reject);
  });
  return { ready, stop: async () => void (await worker.terminate()) };
}

function processUnit(): Unit & { child: ChildProcess } {
  const child = spawn(process.execPath, [BODY, JSON.stringify(input)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(Number(line.split(' ')[1])));
    child.once('error', reject);
  });
  return {
    child,
    ready,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

async function startMs(make: () => Unit): Promise<number> {
  const start = process.hrtime.bigint();
  const unit = make();
  const port = await unit.ready;
  if (!(await fetch(`http://127.0.0.1:${port}/`)).ok) throw new Error('not serving');
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await unit.stop();
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function kib(pid: number, field: 'Pss' | 'Rss'): Promise<number> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 2000));

// Warm the compile cache (and V8's) once, outside the measurements.
const warm = processUnit();
await warm.ready;
await warm.stop();

const workerStarts: number[] = [];
const processStarts: number[] = [];
for (let i = 0; i < RUNS; i++) {
  workerStarts.push(await startMs(workerUnit));
  processStarts.push(await startMs(processUnit));
}

// Memory: this process grows by N workers; N processes each have their own.
await settle();
const before = await kib(process.pid, 'Pss');
const workers = Array.from({ length: UNITS }, workerUnit);
await Promise.all(workers.map((w) => w.ready));
await settle();
const workerPss = ((await kib(process.pid, 'Pss')) - before) / UNITS / 1024;
await Promise.all(workers.map((w) => w.stop()));

const processes = Array.from({ length: UNITS }, processUnit);
await Promise.all(processes.map((p) => p.ready));
await settle();
let pss = 0;
for (const p of processes) pss += await kib(p.child.pid ?? 0, 'Pss');
const processPss = pss / UNITS / 1024;
await Promise.all(processes.map((p) => p.stop()));

const f = (x: number): string => x.toFixed(1);
console.log(`\nIsolation unit (hello-http, compile cache warm; ${RUNS} starts, ${UNITS} idle tasks):`);
console.log(
  `  worker thread in a shared process:  start -> serving ${f(median(workerStarts))} ms, ${f(workerPss)} MiB PSS per idle task`,
);
console.log(
  `  own Node process:                   start -> serving ${f(median(processStarts))} ms, ${f(processPss)} MiB PSS per idle task`,
);
console.log(
  `  ratio process / worker:             start ${(median(processStarts) / median(workerStarts)).toFixed(1)}x, memory ${(processPss / workerPss).toFixed(1)}x`,
);
process.exit(0);
