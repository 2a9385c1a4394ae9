// The pooled tier's pool host (src/pool-host/, isolation = "pooled"),
// driven through the plugin's own client of it (src/task/pool-client.ts,
// the built one): several tasks in one process, each with its own log files,
// exit code and instance; a trap or stop of one leaves the others serving;
// a guest that holds the pool's thread is found by a ping and the pool
// killed, every task in it ending with the reason.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile, mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PooledLaunchSpec } from '../../src/ipc/pool-protocol.ts';
import { COMPONENTS, freePort } from './support/task-host.ts';

type PoolClient = typeof import('../../src/task/pool-client.ts');
const { PoolClient } = (await import(new URL('../../dist/task/pool-client.js', import.meta.url).href)) as PoolClient;
type Pool = Awaited<ReturnType<PoolClient['PoolClient']['spawn']>>;

const log = pino({ level: 'silent' });
let dir: string;
const pools: Pool[] = [];

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'pool-host-')));
});
afterAll(async () => {
  for (const pool of pools) if (pool.alive) pool.kill('test over');
  await rm(dir, { recursive: true, force: true });
});

async function spawnPool(): Promise<Pool> {
  const pool = await PoolClient.spawn(join(dir, 'cache'), log);
  pools.push(pool);
  return pool;
}

let nextTask = 0;
async function taskSpec(
  component: string,
  options: { args?: string[]; port?: number; memoryMaxMiB?: number; configValues?: Record<string, string> } = {},
): Promise<PooledLaunchSpec & { files: { stdout: string; stderr: string } }> {
  const name = `${component}-${nextTask++}`;
  const stateDir = join(dir, name);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const files = { stdout: join(stateDir, 'stdout'), stderr: join(stateDir, 'stderr') };
  await Promise.all([writeFile(files.stdout, ''), writeFile(files.stderr, '')]);
  return {
    version: 2,
    taskId: `alloc/${name}/1`,
    componentPath: join(COMPONENTS, `${component}.wasm`),
    cacheDir: join(dir, 'cache'),
    exitFile: join(stateDir, 'exit.json'),
    stateDir,
    grants: {
      args: [`${component}.wasm`, ...(options.args ?? [])],
      env: {},
      mounts: [],
      outboundHttp: [],
      memoryMaxMiB: options.memoryMaxMiB ?? 64,
      httpInstance: 'shared',
      ...(options.configValues ? { config: { values: options.configValues, secretKeys: [], secretEnv: {} } } : {}),
    },
    ...(options.port !== undefined ? { http: { host: '127.0.0.1', port: options.port } } : {}),
    logPaths: files,
    files,
  };
}

async function startIn(pool: Pool, spec: PooledLaunchSpec) {
  const ready = await pool.start(spec, () => undefined, 60_000);
  return { ready, exited: pool.watch(spec.taskId, spec.exitFile) };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

describe('pool host', () => {
  it('runs WASI 0.3 tasks beside WASI 0.2 ones: own output and exit codes; a stopped 0.3 service leaves the others serving', async () => {
    const pool = await spawnPool();
    const [p3Port, p2Port] = [await freePort(), await freePort()];
    const p3Service = await taskSpec('hello-http-p3', { port: p3Port });
    const p2Service = await taskSpec('hello-http', { port: p2Port });
    const p3Command = await taskSpec('command-p3', { args: ['exit', '3'], memoryMaxMiB: 256 });
    const p3Hello = await taskSpec('command-p3', { args: ['hello'], memoryMaxMiB: 256 });
    await startIn(pool, p3Service);
    await startIn(pool, p2Service);
    const [exiting, hello] = await Promise.all([startIn(pool, p3Command), startIn(pool, p3Hello)]);
    expect(await exiting.exited).toMatchObject({ exitCode: 3, signal: 0 }); // 0.3 exit-with-code keeps the code
    expect(await hello.exited).toMatchObject({ exitCode: 0, signal: 0 });
    expect(await readFile(p3Hello.files.stdout, 'utf8')).toBe(
      'hello from python on wasi 0.3 (print)\nhello from python on wasi 0.3 (stdout stream)\n',
    );
    expect(await readFile(p3Command.files.stdout, 'utf8')).toBe('');
    expect(await get(`http://127.0.0.1:${p3Port}/`)).toEqual({ status: 200, body: 'hello from wasm\n' });
    expect(await get(`http://127.0.0.1:${p2Port}/`)).toEqual({ status: 200, body: 'hello from wasm\n' });
    pool.signal(p3Service.taskId, 'SIGINT');
    expect((await get(`http://127.0.0.1:${p2Port}/`)).status).toBe(200);
  });

  it('runs several commands and services in one process: own output, own exit codes, own instances', async () => {
    const pool = await spawnPool();
    const hello = await taskSpec('hello-command');
    const failing = await taskSpec('exit-code', { args: ['3'] });
    const [helloPort, counterPort] = [await freePort(), await freePort()];
    const service = await taskSpec('hello-http', { port: helloPort });
    const counter = await taskSpec('request-counter', { port: counterPort });

    const runningService = await startIn(pool, service);
    const runningCounter = await startIn(pool, counter);
    const [helloRun, failingRun] = await Promise.all([startIn(pool, hello), startIn(pool, failing)]);
    expect(runningService.ready).toMatchObject({ world: 'http', port: helloPort });
    // Each task's own linear memory (whole 64 KiB pages), as TaskStats reports it.
    const memory = await pool.linearMemory(service.taskId, 1000);
    expect(memory?.bytes).toBeGreaterThan(0);
    expect((memory?.bytes ?? 1) % 65536).toBe(0);
    expect(await pool.linearMemory('alloc/no-such-task/1', 1000)).toEqual({ bytes: 0, peakBytes: 0 });
    expect(await helloRun.exited).toMatchObject({ exitCode: 0, signal: 0 });
    expect(await failingRun.exited).toMatchObject({ exitCode: 1, signal: 0 }); // WASI 0.2: failure is 1
    expect(await readFile(hello.files.stdout, 'utf8')).toBe('hello from wasm\n');
    expect(await readFile(hello.files.stderr, 'utf8')).toBe('hello on stderr\n');
    expect(await readFile(failing.files.stdout, 'utf8')).toBe('exiting with 3\n');
    expect(JSON.parse(await readFile(hello.exitFile, 'utf8'))).toMatchObject({ exitCode: 0 });

    // One task's trap: its instance is replaced, the other service never notices.
    expect((await get(`http://127.0.0.1:${counterPort}/`)).body).toContain('1');
    expect((await get(`http://127.0.0.1:${counterPort}/trap-early`)).status).toBe(500);
    expect(await get(`http://127.0.0.1:${helloPort}/`)).toMatchObject({ status: 200 });
    expect((await get(`http://127.0.0.1:${counterPort}/`)).status).toBe(200);
    expect(await readFile(counter.files.stderr, 'utf8')).toContain('component trapped');
    expect(await readFile(service.files.stderr, 'utf8')).toBe('');

    // Stopping one service (SIGINT: drain, exit 0) leaves the other serving.
    pool.signal(service.taskId, 'SIGINT');
    expect(await runningService.exited).toMatchObject({ exitCode: 0, signal: 0 });
    await expect(fetch(`http://127.0.0.1:${helloPort}/`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    expect((await get(`http://127.0.0.1:${counterPort}/`)).status).toBe(200);
    expect(await readFile(service.files.stderr, 'utf8')).toContain('received SIGINT: draining');

    // SIGKILL of a pooled task ends it at once, as killed (137).
    pool.signal(counter.taskId, 'SIGKILL');
    expect(await runningCounter.exited).toMatchObject({ exitCode: 137, signal: 9 });
    expect(pool.alive).toBe(true);
    expect(pool.load).toBe(0);
  });

  it('runs a Spin 4 app (spin-sdk 5, WASI 0.3) pooled: variables from config_values, stores denied, beside a 0.2 service', async () => {
    // Without key_value_store blocks: a task with stores gets a task host of its own (pool-eligibility.ts).
    const pool = await spawnPool();
    const [spinPort, helloPort] = [await freePort(), await freePort()];
    const spin = await taskSpec('spin4-py-app', {
      port: spinPort,
      memoryMaxMiB: 256,
      configValues: { greeting: 'hello from the pool' },
    });
    await startIn(pool, spin);
    await startIn(pool, await taskSpec('hello-http', { port: helloPort }));
    const base = `http://127.0.0.1:${spinPort}`;
    expect(await get(`${base}/variables/greeting`)).toEqual({ status: 200, body: 'hello from the pool' });
    expect(await get(`${base}/kv/default/x`)).toEqual({ status: 500, body: 'Error_AccessDenied: ' });
    expect((await get(`${base}/unavailable/mqtt`)).body).toMatch(
      /^Error_Other: Outbound MQTT \(spin:mqtt\/mqtt\) is not available/,
    );
    expect(await get(`http://127.0.0.1:${helloPort}/`)).toMatchObject({ status: 200 });
    await expect
      .poll(() => readFile(spin.files.stderr, 'utf8'), { timeout: 5000 })
      .toContain('key-value store "default" denied');
  }, 240_000);

  it('a failed start (a WASI preview1 reactor, which cannot run as a command) fails that start only', async () => {
    const pool = await spawnPool();
    const port = await freePort();
    const serving = await startIn(pool, await taskSpec('hello-http', { port }));
    await expect(pool.start(await taskSpec('reactor-go'), () => undefined, 60_000)).rejects.toMatchObject({
      code: 'WASI_PREVIEW1_NOT_A_COMMAND',
    });
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(200);
    expect(pool.alive).toBe(true);
    expect(serving.ready.world).toBe('http');
  });

  it('a guest that never returns holds the pool: it stops answering, and killing it ends every task with the reason', async () => {
    const pool = await spawnPool();
    const port = await freePort();
    const bystander = await startIn(pool, await taskSpec('hello-http', { port }));
    expect(await pool.responsive(1000)).toBe(true);
    const spin = await taskSpec('spin');
    const spinning = await startIn(pool, spin);
    while (!(await readFile(spin.files.stdout, 'utf8')).includes('spinning')) await sleep(50);
    // The bystander is held too: a request is not answered while the pool's main thread runs two
    // seconds of CPU (CPU, not wall-clock time: on a busy machine the pool may get little of it).
    let answered = false;
    const request = fetch(`http://127.0.0.1:${port}/`).then(
      () => (answered = true),
      () => false,
    );
    const from = mainThreadCpuMs(pool.pid);
    while (mainThreadCpuMs(pool.pid) - from < 2000) await sleep(100);
    expect(answered).toBe(false);
    pool.kill('task "spin" did not stop within its kill_timeout');
    expect(await request).toBe(false); // died with the pool, unanswered
    const [spun, other] = await Promise.all([spinning.exited, bystander.exited]);
    for (const result of [spun, other]) {
      expect(result).toMatchObject({ exitCode: 137, signal: 9 });
      expect(result.err).toMatch(
        /^\[POOL_HOST_FAILED\] task "spin" did not stop within its kill_timeout; every task in the pool ended with it/,
      );
    }
    expect(await readFile(spin.files.stdout, 'utf8')).toBe('spinning\n');
    expect(pool.alive).toBe(false);
  });

  it('a plugin that connects again (after a restart) learns which of its tasks ended meanwhile', async () => {
    const pool = await spawnPool();
    const port = await freePort();
    const service = await taskSpec('hello-http', { port });
    await startIn(pool, service);
    const command = await taskSpec('exit-code', { args: ['0'] });
    await (
      await startIn(pool, command)
    ).exited;
    const again = PoolClient.attach(pool.pid, pool.startTicks, log);
    expect(await again.watch(command.taskId, command.exitFile)).toMatchObject({ exitCode: 0, signal: 0 }); // from its exit file
    const serviceExit = again.watch(service.taskId, service.exitFile);
    expect(await again.responsive(1000)).toBe(true);
    again.signal(service.taskId, 'SIGTERM');
    expect(await serviceExit).toMatchObject({ exitCode: 0, signal: 0 });
  });
});

/** CPU time the main thread of `pid` has used, in ms (utime + stime at USER_HZ 100). */
function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
