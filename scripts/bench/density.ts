// Density for `npm run bench`: memory per idle task with 1, 10 and 100
// hello-http task hosts running at once (each serving, idle). Reports PSS
// (proportional set size: shared pages split between the processes that
// share them) and RSS per task, next to a bare idle Node process measured
// the same way in the same run. Then the same tasks in the pooled tier
// (isolation = "pooled": pool hosts of pool_max_tasks tasks each, started
// through the plugin's own pool client), memory of the pool hosts per task.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST_NODE_FLAGS } from '../../src/ipc/host-node-flags.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const COMPONENT = join(ROOT, '.cache/components/hello-http.wasm');
const cacheDir = await mkdtemp(join(tmpdir(), 'bench-density-'));
const counts = (process.env['BENCH_DENSITY'] ?? '1,10,100').split(',').map(Number);

function taskHost(port: number): ChildProcess {
  const child = spawn(process.execPath, [...HOST_NODE_FLAGS, join(ROOT, 'dist/task-host/main.js')], {
    stdio: ['pipe', 'ignore', 'inherit', 'ignore'],
  });
  child.stdin?.end(
    JSON.stringify({
      version: 2,
      taskId: `bench/density/${port}`,
      componentPath: COMPONENT,
      cacheDir,
      exitFile: join(cacheDir, `exit-${port}.json`),
      stateDir: mkdtempSync(join(cacheDir, `state-${port}-`)),
      grants: {
        args: ['hello-http.wasm'],
        env: {},
        mounts: [],
        outboundHttp: [],
        memoryMaxMiB: 64,
        httpInstance: 'shared',
      },
      http: { host: '127.0.0.1', port },
    }),
  );
  return child;
}

async function memoryKiB(pid: number | undefined): Promise<{ pss: number; rss: number }> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
  return { pss: field('Pss'), rss: field('Rss') };
}

async function serving(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task host on ${port} did not serve`);
}

async function measure(children: ChildProcess[]): Promise<{ pss: number; rss: number }> {
  await new Promise((r) => setTimeout(r, 2000)); // let start-up garbage be collected
  let pss = 0;
  let rss = 0;
  for (const child of children) {
    const m = await memoryKiB(child.pid);
    pss += m.pss;
    rss += m.rss;
  }
  return { pss: pss / children.length / 1024, rss: rss / children.length / 1024 };
}

// Warm the compile cache once so every measured task starts from it.
const warm = taskHost(18999);
await serving(18999);
warm.kill('SIGKILL');

const node = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
const baseline = await measure([node]);
node.kill('SIGKILL');

console.log(
  `\nmemory per idle task (hello-http, shared instance), same run; bare idle Node process: PSS ${baseline.pss.toFixed(1)} MiB, RSS ${baseline.rss.toFixed(1)} MiB`,
);
for (const count of counts) {
  const children = Array.from({ length: count }, (_, i) => taskHost(19000 + i));
  for (let i = 0; i < count; i++) await serving(19000 + i);
  const m = await measure(children);
  console.log(
    `  ${String(count).padStart(3)} tasks: PSS ${m.pss.toFixed(1)} MiB/task, RSS ${m.rss.toFixed(1)} MiB/task  (${(m.pss / baseline.pss).toFixed(2)}x a bare Node process)`,
  );
  for (const child of children) child.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 1000));
}

// The pooled tier: the same tasks, DEFAULT_POOL_MAX_TASKS to a pool host.
type PoolClient = typeof import('../../src/task/pool-client.ts');
const { PoolClient } = (await import(join(ROOT, 'dist/task/pool-client.js'))) as PoolClient;
const { DEFAULT_POOL_MAX_TASKS } = (await import(
  join(ROOT, 'dist/config/plugin-config.js')
)) as typeof import('../../src/config/plugin-config.ts');
const { pino } = await import('pino');
const silent = pino({ level: 'silent' });

function pooledSpec(port: number) {
  const stateDir = mkdtempSync(join(cacheDir, `pooled-${port}-`));
  const logPaths = { stdout: join(stateDir, 'stdout'), stderr: join(stateDir, 'stderr') };
  writeFileSync(logPaths.stdout, '');
  writeFileSync(logPaths.stderr, '');
  return {
    version: 2 as const,
    taskId: `bench/density-pooled/${port}`,
    componentPath: COMPONENT,
    cacheDir,
    exitFile: join(stateDir, 'exit.json'),
    stateDir,
    grants: {
      args: ['hello-http.wasm'],
      env: {},
      mounts: [],
      outboundHttp: [],
      memoryMaxMiB: 64,
      httpInstance: 'shared' as const,
    },
    http: { host: '127.0.0.1', port },
    logPaths,
  };
}

console.log(
  `memory per idle task, pooled tier (pool_max_tasks = ${DEFAULT_POOL_MAX_TASKS}: one pool host process per ${DEFAULT_POOL_MAX_TASKS} tasks), same run:`,
);
for (const count of counts) {
  const pools: Awaited<ReturnType<PoolClient['PoolClient']['spawn']>>[] = [];
  for (let i = 0; i < count; i++) {
    if (i % DEFAULT_POOL_MAX_TASKS === 0) pools.push(await PoolClient.spawn(cacheDir, silent));
    const pool = pools[pools.length - 1];
    if (!pool) throw new Error('no pool');
    await pool.start(pooledSpec(20000 + i), () => undefined, 60_000);
  }
  for (let i = 0; i < count; i++) await serving(20000 + i);
  await new Promise((r) => setTimeout(r, 2000)); // let start-up garbage be collected
  let pss = 0;
  let rss = 0;
  for (const pool of pools) {
    const m = await memoryKiB(pool.pid);
    pss += m.pss;
    rss += m.rss;
  }
  const perTask = { pss: pss / count / 1024, rss: rss / count / 1024 };
  console.log(
    `  ${String(count).padStart(3)} tasks in ${pools.length} pool host${pools.length > 1 ? 's' : ''}: PSS ${perTask.pss.toFixed(1)} MiB/task, RSS ${perTask.rss.toFixed(1)} MiB/task  (${(perTask.pss / baseline.pss).toFixed(2)}x a bare Node process)`,
  );
  for (const pool of pools) pool.kill('benchmark over');
  await new Promise((r) => setTimeout(r, 1000));
}
