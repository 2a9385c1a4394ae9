// Calling a service by name, for `npm run bench`: req/s and p50/p99 of the
// service-probe component forwarding each request to an upstream
//   - by name (`http://backend.service.consul`, allow_services), with the
//     instances resolved by the plugin's own code (PluginServiceFeeds over the
//     `consul` package) from a real Consul 1.16.3 agent, one instance and two;
//   - at a fixed address (`http://127.0.0.1:<port>`, allow_http): the same-run baseline.
// Each caller is a real task host; the upstreams are node:http servers in
// their own processes; the load generator is test/bench/loadgen (Go).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConsulAgent } from '../../test/support/consul-agent.ts';
import { HOST_NODE_FLAGS } from '../../src/ipc/host-node-flags.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const COMPONENT = join(ROOT, '.cache/components/service-probe.wasm');
const DURATION = process.env['BENCH_HTTP_SECONDS'] ?? '3';
const ROUNDS = Number(process.env['BENCH_SERVICE_ROUNDS'] ?? '5');
const CONNECTIONS = '10';
const loadgen = join(ROOT, '.cache/bin/loadgen');

const { ConsulCatalog } = (await import(
  join(ROOT, 'dist/services/consul-catalog.js')
)) as typeof import('../../src/services/consul-catalog.ts');
const { ServiceWatches } = (await import(
  join(ROOT, 'dist/services/service-watches.js')
)) as typeof import('../../src/services/service-watches.ts');
const { PluginServiceFeeds } = (await import(
  join(ROOT, 'dist/services/plugin-service-feeds.js')
)) as typeof import('../../src/services/plugin-service-feeds.ts');
const { DEFAULT_SERVICES_CONFIG } = (await import(
  join(ROOT, 'dist/config/services-config.js')
)) as typeof import('../../src/config/services-config.ts');
const { HostChannel } = (await import(
  join(ROOT, 'dist/task/host-channel.js')
)) as typeof import('../../src/task/host-channel.ts');
const { controlSocketPath } = (await import(
  join(ROOT, 'dist/ipc/control-protocol.js')
)) as typeof import('../../src/ipc/control-protocol.ts');

interface Result {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

spawnSync('go', ['build', '-o', loadgen, '.'], { cwd: join(ROOT, 'test/bench/loadgen'), stdio: 'inherit' });
const dir = await mkdtemp(join(tmpdir(), 'bench-services-'));
const children: ChildProcess[] = [];
const consul = await ConsulAgent.start();

async function upstream(): Promise<number> {
  // Keeps the arrival time of every request but GET /arrivals, which lists them.
  const source =
    "const a=[];const s=require('http').createServer((q,r)=>{if(q.url==='/arrivals')return r.end(JSON.stringify(a));a.push(Date.now());r.end('upstream '+q.url)});s.keepAliveTimeout=5000;s.listen(0,'127.0.0.1',()=>console.log(s.address().port))";
  const child = spawn(process.execPath, ['-e', source], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return Number(await new Promise<string>((resolve) => lines.once('line', resolve)));
}

function caller(port: number, grants: object, services?: unknown): ChildProcess {
  const child = spawn(process.execPath, [...HOST_NODE_FLAGS, join(ROOT, 'dist/task-host/main.js')], {
    stdio: ['pipe', 'ignore', 'inherit', 'ignore'],
  });
  child.stdin?.end(
    JSON.stringify({
      version: 2,
      taskId: `bench/services/${port}`,
      componentPath: COMPONENT,
      cacheDir: join(dir, 'cache'),
      exitFile: join(dir, `exit-${port}.json`),
      stateDir: mkdtempSync(join(dir, `state-${port}-`)),
      grants: {
        args: ['service-probe.wasm'],
        env: {},
        mounts: [],
        outboundHttp: [],
        memoryMaxMiB: 128,
        httpInstance: 'shared',
        ...grants,
      },
      http: { host: '127.0.0.1', port },
      ...(services ? { services } : {}),
    }),
  );
  children.push(child);
  return child;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200`);
}

function measure(url: string): Result {
  spawnSync(loadgen, ['-url', url, '-c', CONNECTIONS, '-d', '0.5s']); // warm-up
  const run = spawnSync(loadgen, ['-url', url, '-c', CONNECTIONS, '-d', `${DURATION}s`], { encoding: 'utf8' });
  return JSON.parse(run.stdout) as Result;
}

try {
  const [first, second] = [await upstream(), await upstream()];
  await consul.register({
    ID: 'backend-1',
    Name: 'backend',
    Address: '127.0.0.1',
    Port: first,
    Check: { CheckID: 'backend-1-ttl', TTL: '1h', Status: 'passing' },
  });
  await consul.register({
    ID: 'solo-1',
    Name: 'solo',
    Address: '127.0.0.1',
    Port: first,
    Check: { CheckID: 'solo-1-ttl', TTL: '1h', Status: 'passing' },
  });
  await consul.register({
    ID: 'backend-2',
    Name: 'backend',
    Address: '127.0.0.1',
    Port: second,
    Check: { CheckID: 'backend-2-ttl', TTL: '1h', Status: 'passing' },
  });

  // The plugin's half, as in the driver: first sets from Consul for the launch spec.
  const log = pino({ level: 'silent' });
  const watches = new ServiceWatches(
    () => new ConsulCatalog({ ...DEFAULT_SERVICES_CONFIG.consul, url: consul.url }),
    log,
  );
  const services = new PluginServiceFeeds(watches, () => undefined, log);
  const task = { id: 'bench', allocId: 'bench', name: 'bench', namespace: 'default' };
  const backend = { provider: 'consul', name: 'backend' } as const;
  const solo = { provider: 'consul', name: 'solo' } as const;

  const variants: [string, (port: number) => Promise<ChildProcess>][] = [
    [
      `fixed address (allow_http 127.0.0.1:${first}), baseline`,
      async (port) =>
        caller(port, {
          env: { NAME: 'fixed', UPSTREAM: `http://127.0.0.1:${first}` },
          outboundHttp: [`127.0.0.1:${first}`],
        }),
    ],
    [
      'by name, 1 instance (allow_services solo)',
      async (port) =>
        caller(
          port,
          { env: { NAME: 'solo', UPSTREAM: 'http://solo.service.consul' }, services: [solo] },
          await services.initialSets(task, [solo]),
        ),
    ],
    [
      'by name, 2 instances (allow_services backend)',
      async (port) =>
        caller(
          port,
          { env: { NAME: 'named', UPSTREAM: 'http://backend.service.consul' }, services: [backend] },
          await services.initialSets(task, [backend]),
        ),
    ],
  ];
  // All callers run at once, idle unless measured; the variants take turns
  // for ROUNDS rounds so that a busy neighbour on the machine weighs on all
  // of them alike, and each variant reports its median round.
  const urls: string[] = [];
  const hosts: ChildProcess[] = [];
  let port = 18700;
  for (const [, start] of variants) {
    port++;
    hosts.push(await start(port));
    urls.push(`http://127.0.0.1:${port}/call/bench`);
  }
  for (const url of urls) await waitFor(url);
  const rounds: Result[][] = variants.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    urls.forEach((url, i) => rounds[i]?.push(measure(url)));
  }

  // How long an instance keeps getting requests after its check turns critical:
  // the plugin's watch pushes the new set over the control channel (as in the
  // driver); the upstream records every arrival. Under load, ROUNDS times.
  const named = hosts[2] as ChildProcess;
  const channel = HostChannel.open({
    path: controlSocketPath(named.pid ?? 0),
    isAlive: async () => named.exitCode === null,
    onMessage: () => undefined,
  });
  for (let i = 0; i < 100 && !channel.connected; i++) await new Promise((r) => setTimeout(r, 50));
  services.attach(task, [backend], (message) => channel.send(message));
  const stopAfterMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const load = spawn(loadgen, ['-url', urls[2] as string, '-c', CONNECTIONS, '-d', '3s'], { stdio: 'ignore' });
    const ended = new Promise((resolve) => load.once('exit', resolve));
    await new Promise((r) => setTimeout(r, 1_000));
    await consul.setTtl('backend-1-ttl', 'fail');
    const criticalAt = Date.now(); // Consul has recorded the check as critical when the call returns
    await ended;
    const arrivals = JSON.parse(await (await fetch(`http://127.0.0.1:${first}/arrivals`)).text()) as number[];
    stopAfterMs.push(Math.max(...arrivals.filter((t) => t >= criticalAt - 60_000)) - criticalAt);
    await consul.setTtl('backend-1-ttl', 'pass');
    await new Promise((r) => setTimeout(r, 500));
  }
  channel.close();
  services.detach(task.id);
  await watches.close();

  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const results = variants.map(([name], i): [string, Result] => {
    const runs = rounds[i] ?? [];
    return [
      name,
      {
        rps: median(runs.map((r) => r.rps)),
        p50_ms: median(runs.map((r) => r.p50_ms)),
        p99_ms: median(runs.map((r) => r.p99_ms)),
        errors: runs.reduce((sum, r) => sum + r.errors, 0),
      },
    ];
  });
  const baseline = results[0]?.[1] ?? { rps: 1, p99_ms: 1 };
  console.log(
    `\nCalling another service from a component (service-probe /call/ -> node:http upstream), ${CONNECTIONS} connections, median of ${ROUNDS} interleaved ${DURATION}s rounds, same run:`,
  );
  for (const [name, r] of results) {
    const rel = name.includes('baseline')
      ? ''
      : `  ${((r.rps / baseline.rps) * 100).toFixed(1)}% of the fixed-address req/s, p99 ${(r.p99_ms / baseline.p99_ms).toFixed(2)}x`;
    console.log(
      `  ${name.padEnd(52)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50_ms.toFixed(2)} ms  p99 ${r.p99_ms.toFixed(2)} ms${rel}${r.errors ? `  (${r.errors} errors)` : ''}`,
    );
  }
  const sorted = [...stopAfterMs].sort((a, b) => a - b);
  console.log(
    `  an instance whose check turns critical under that load gets its last request ${median([...stopAfterMs]).toFixed(0)} ms (median; max ${Math.max(...sorted).toFixed(0)} ms, ${ROUNDS} rounds) after Consul records it critical (the watch's blocking query returning, the push over the control channel, a request already under way)`,
  );
} finally {
  for (const child of children) child.kill('SIGKILL');
  await consul.destroy();
  await rm(dir, { recursive: true, force: true });
}
