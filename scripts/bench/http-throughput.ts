// wasi:http throughput for `npm run bench`: req/s and p50/p99 latency of the
// hello component served by our task host (shared and per-request
// instances) against, in the same run, a plain node:http hello server and
// the stock jco path. Each server runs alone in its own process; the load
// generator is test/bench/loadgen (Go, 10 keep-alive connections).
import { mkdtempSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const COMPONENT = join(ROOT, '.cache/components/hello-http.wasm');
const DURATION = process.env['BENCH_HTTP_SECONDS'] ?? '5';
const loadgen = join(ROOT, '.cache/bin/loadgen');

interface Result {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

spawnSync('go', ['build', '-o', loadgen, '.'], { cwd: join(ROOT, 'test/bench/loadgen'), stdio: 'inherit' });
const cacheDir = await mkdtemp(join(tmpdir(), 'bench-http-'));

function taskHost(port: number, mode: string): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'dist/task-host/main.js')], { stdio: ['pipe', 'ignore', 'inherit', 'ignore'] });
  child.stdin?.end(
    JSON.stringify({
      version: 2,
      taskId: 'bench/http/1',
      componentPath: COMPONENT,
      cacheDir,
      exitFile: join(cacheDir, `exit-${port}.json`),
      stateDir: mkdtempSync(join(cacheDir, `state-${port}-`)),
      grants: { args: ['hello-http.wasm'], env: {}, mounts: [], outboundHttp: [], memoryMaxMiB: 64, httpInstance: mode },
      http: { host: '127.0.0.1', port },
    }),
  );
  return child;
}

const servers: [string, (port: number) => ChildProcess][] = [
  ['node:http hello (baseline)', (port) => spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>{s.setHeader('content-type','text/plain');s.end('hello from wasm\\n')}).listen(${port},'127.0.0.1')`], { stdio: 'ignore' })],
  ['stock jco (preview2-shim HTTPServer, shared)', (port) => spawn(process.execPath, [join(ROOT, 'scripts/bench/stock-jco-server.ts'), COMPONENT, String(port)], { stdio: 'ignore' })],
  ['nomad-driver-wasm, shared instance', (port) => taskHost(port, 'shared')],
  ['nomad-driver-wasm, instance per request', (port) => taskHost(port, 'per-request')],
];

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not come up`);
}

const results: [string, Result][] = [];
let port = 18400;
for (const [name, start] of servers) {
  port++;
  const server = start(port);
  const url = `http://127.0.0.1:${port}/`;
  await waitForServer(url);
  spawnSync(loadgen, ['-url', url, '-c', '10', '-d', '1s']); // warm-up
  const run = spawnSync(loadgen, ['-url', url, '-c', '10', '-d', `${DURATION}s`], { encoding: 'utf8' });
  server.kill('SIGKILL');
  results.push([name, JSON.parse(run.stdout) as Result]);
}

const baseline = results[0]?.[1].rps ?? 1;
console.log(`\nwasi:http hello, ${DURATION}s, 10 connections (Go loadgen), same machine and run:`);
for (const [name, r] of results) {
  console.log(
    `  ${name.padEnd(46)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50_ms.toFixed(2)} ms  p99 ${r.p99_ms.toFixed(2)} ms  ${((r.rps / baseline) * 100).toFixed(1)}% of node:http${r.errors ? `  (${r.errors} errors)` : ''}`,
  );
}
