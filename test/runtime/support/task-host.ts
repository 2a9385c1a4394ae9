// Runs dist/task-host/main.js as the plugin would: a launch spec on stdin,
// stdout/stderr captured. For tests of what a component can and cannot do.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Grants } from '../../../src/runtime/grants.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
export const COMPONENTS = process.env['WASM_TEST_COMPONENTS'] ?? join(ROOT, '.cache/components');
const TASK_HOST = join(ROOT, 'dist/task-host/main.js');

export interface HostRun {
  readonly component: string;
  readonly dir: string;
  readonly args?: string[];
  readonly grants?: Partial<Grants>;
  readonly hostEnv?: Record<string, string>;
  readonly http?: { host: string; port: number };
}

function specFor(run: HostRun): string {
  const stateDir = join(run.dir, `${run.component}-${process.hrtime.bigint()}`);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  return JSON.stringify({
    version: 2,
    taskId: `alloc/${run.component}/1`,
    componentPath: join(COMPONENTS, `${run.component}.wasm`),
    cacheDir: join(run.dir, 'cache'),
    exitFile: join(stateDir, 'exit.json'),
    stateDir,
    grants: {
      args: [`${run.component}.wasm`, ...(run.args ?? [])],
      env: {},
      mounts: [],
      outboundHttp: [],
      memoryMaxMiB: undefined,
      httpInstance: 'shared',
      ...run.grants,
    },
    ...(run.http ? { http: run.http } : {}),
  });
}

/** Runs a command component to completion. */
export function runToExit(run: HostRun) {
  return spawnSync(process.execPath, [TASK_HOST], {
    input: specFor(run),
    stdio: ['pipe', 'pipe', 'pipe', 'ignore'],
    env: { ...run.hostEnv },
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: 60_000,
  });
}

/** Starts a task host and leaves it running (stdout/stderr piped). */
export function startHost(run: HostRun): ChildProcess {
  const child = spawn(process.execPath, [TASK_HOST], { stdio: ['pipe', 'pipe', 'pipe', 'ignore'], env: { ...run.hostEnv } });
  child.stdin?.end(specFor(run));
  return child;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts a wasi:http task host on a free port and waits until it answers. */
export async function startServing(run: Omit<HostRun, 'http'>): Promise<{ host: ChildProcess; url: string }> {
  const port = await freePort();
  const host = startHost({ ...run, http: { host: '127.0.0.1', port } });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (await fetch(url).then(() => true, () => false)) return { host, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  host.kill('SIGKILL');
  throw new Error(`${run.component} did not start serving`);
}
