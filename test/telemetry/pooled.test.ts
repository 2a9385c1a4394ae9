// The pooled tier (isolation = "pooled"): several tasks in one pool host
// process, one SDK for the process. Each task's spans still carry its own
// resource (job, alloc, tier), its metric points its own Nomad labels, and
// the pool reports its occupancy. Real Jaeger v2 and Prometheus 3; the pool
// is driven through the plugin's own client of it.
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PooledLaunchSpec } from '../../src/ipc/pool-protocol.ts';
import { COMPONENTS, freePort } from '../runtime/support/task-host.ts';
import { Jaeger, Prometheus, tag } from '../support/telemetry-backends.ts';
import { identity, randomHex, settings, startParent } from './support.ts';

type PoolClientModule = typeof import('../../src/task/pool-client.ts');
const { PoolClient } = (await import(
  new URL('../../dist/task/pool-client.js', import.meta.url).href
)) as PoolClientModule;
type Pool = Awaited<ReturnType<PoolClientModule['PoolClient']['spawn']>>;

let dir: string;
let jaeger: Jaeger;
let prometheus: Prometheus;
let pool: Pool | undefined;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'telemetry-pool-')));
  [jaeger, prometheus] = await Promise.all([Jaeger.start(), Prometheus.start()]);
}, 120_000);

afterAll(async () => {
  if (pool?.alive) pool.kill('test over');
  await Promise.all([jaeger?.remove(), prometheus?.remove()]);
  await rm(dir, { recursive: true, force: true });
});

async function spec(job: string, port: number, parent?: string): Promise<PooledLaunchSpec> {
  const stateDir = join(dir, job);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const logPaths = { stdout: join(stateDir, 'stdout'), stderr: join(stateDir, 'stderr') };
  await Promise.all([writeFile(logPaths.stdout, ''), writeFile(logPaths.stderr, '')]);
  return {
    version: 2,
    taskId: `alloc/${job}/1`,
    componentPath: join(COMPONENTS, 'hello-http.wasm'),
    cacheDir: join(dir, 'cache'),
    exitFile: join(stateDir, 'exit.json'),
    stateDir,
    grants: {
      args: ['hello-http.wasm'],
      env: {},
      mounts: [],
      outboundHttp: [],
      memoryMaxMiB: 64,
      httpInstance: 'shared',
    },
    http: { host: '127.0.0.1', port },
    logPaths,
    telemetry: {
      settings: settings({
        traces: { url: jaeger.otlpHttpUrl, protocol: 'http/protobuf' },
        metrics: { url: prometheus.otlpMetricsUrl, protocol: 'http/protobuf' },
      }),
      identity: identity(job),
      attributes: {},
      tier: 'pooled',
      ...(parent ? { startParent: parent } : {}),
    },
  };
}

describe('telemetry in a pool host', () => {
  it('two tasks in one process: each span under its own task’s resource, each metric point with its own labels, the pool’s occupancy', async () => {
    pool = await PoolClient.spawn(join(dir, 'cache'), pino({ level: 'silent' }));
    const ports = [await freePort(), await freePort()];
    const start = startParent();
    const [a, b] = [
      await spec('pool-a', ports[0] as number, start.traceparent),
      await spec('pool-b', ports[1] as number),
    ];
    await pool.start(a, () => undefined, 120_000);
    await pool.start(b, () => undefined, 120_000);

    const traces: string[] = [];
    for (const port of ports) {
      const traceId = randomHex(16);
      traces.push(traceId);
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` },
      });
      expect(response.status).toBe(200);
      await response.text();
    }
    for (const [i, traceId] of traces.entries()) {
      const trace = await jaeger.waitForTrace(traceId, 2);
      const server = trace.spans.find((s) => tag(s, 'span.kind') === 'server');
      const process = trace.processes[server?.processID ?? ''];
      const tags = Object.fromEntries((process?.tags ?? []).map((t) => [t.key, t.value]));
      expect(process?.serviceName).toBe(i === 0 ? 'pool-a' : 'pool-b');
      expect(tags).toMatchObject({ 'nomad.job.id': i === 0 ? 'pool-a' : 'pool-b', 'wasm.host.tier': 'pooled' });
    }
    // pool-a's start phases continue the plugin's start span.
    const started = await jaeger.waitForTrace(start.traceId, 2);
    expect(started.spans.map((s) => s.operationName)).toEqual(expect.arrayContaining(['wasm.instantiate']));

    for (const job of ['pool-a', 'pool-b']) {
      const series = await prometheus.waitFor(`http_server_request_duration_seconds_count{nomad_job_id="${job}"}`);
      // Labels on the points (the pool's resource is the pool's), the pool as the Prometheus job.
      expect(series[0]?.metric).toMatchObject({ nomad_task_group_name: 'web', job: 'nomad-driver-wasm-pool' });
    }
    const occupancy = await prometheus.waitFor('wasm_pool_tasks', (s) => Number(s[0]?.value[1]) === 2);
    expect(Number(occupancy[0]?.value[1])).toBe(2);
  }, 240_000);
});
