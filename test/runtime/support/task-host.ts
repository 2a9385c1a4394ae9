// Runs dist/task-host/main.js as the plugin would: a launch spec on stdin,
// stdout/stderr captured. For tests of what a component can and cannot do.
import { freePort } from '../../support/ports.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import type { Grants } from '../../../src/ipc/grants.ts';
import type { ProgressMessage } from '../../../src/ipc/launch-spec.ts';
import type { VaultTaskSpec } from '../../../src/vault/secret-spec.ts';
import { HOST_NODE_FLAGS } from '../../../src/ipc/host-node-flags.ts';
import type { KeyValueBackend } from '../../../src/spin/granted-stores.ts';

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
  /** First known instances of granted services (LaunchSpec.services). */
  readonly services?: readonly unknown[];
  /** Where granted key-value stores live (LaunchSpec.keyValue). */
  readonly keyValue?: KeyValueBackend;
}

/** The launch spec the plugin would write for this run (a fresh state dir each time). */
export function launchSpecFor(run: HostRun & { readonly vault?: VaultTaskSpec }): Record<string, unknown> {
  const stateDir = join(run.dir, `${run.component}-${process.hrtime.bigint()}`);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  return {
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
    ...(run.services ? { services: run.services } : {}),
    ...(run.vault ? { vault: run.vault } : {}),
    ...(run.keyValue ? { keyValue: run.keyValue } : {}),
  };
}

function specFor(run: HostRun): string {
  return JSON.stringify(launchSpecFor(run));
}

/**
 * Runs a command component to completion; `progress` holds what the task
 * host told the plugin on fd 3, `exitFile` where it recorded its exit.
 */
export function runToExit(run: HostRun) {
  const spec = launchSpecFor(run);
  const result = spawnSync(process.execPath, [...HOST_NODE_FLAGS, TASK_HOST], {
    input: JSON.stringify(spec),
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...run.hostEnv },
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: 60_000,
  });
  const progress = String(result.output[3] ?? '')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ProgressMessage);
  return { ...result, progress, exitFile: String(spec['exitFile']) };
}

/** Runs a task host to its end with its progress pipe (fd 3) read: how a start fails, with its code. */
export function runWithProgress(run: HostRun): {
  status: number | null;
  stdout: string;
  stderr: string;
  progress: ProgressMessage[];
} {
  const result = spawnSync(process.execPath, [TASK_HOST], {
    input: specFor(run),
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...run.hostEnv },
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: 120_000,
  });
  const progress = String(result.output[3] ?? '')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ProgressMessage);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, progress };
}

/** Starts a task host and leaves it running (stdout/stderr piped). */
export function startHost(run: HostRun): ChildProcess {
  const child = spawn(process.execPath, [...HOST_NODE_FLAGS, TASK_HOST], {
    stdio: ['pipe', 'pipe', 'pipe', 'ignore'],
    env: { ...run.hostEnv },
  });
  child.stdin?.end(specFor(run));
  return child;
}

/** How a test knows a service is up: a request it can afford to spend. */
export interface ReadyProbe {
  readonly path?: string;
  readonly method?: string;
}

/** Starts a wasi:http task host on a free port and waits until it answers. */
export async function startServing(
  run: Omit<HostRun, 'http'>,
  probe: ReadyProbe = {},
): Promise<{ host: ChildProcess; url: string }> {
  const port = await freePort();
  const host = startHost({ ...run, http: { host: '127.0.0.1', port } });
  const url = `http://127.0.0.1:${port}`;
  const answers = (): Promise<boolean> =>
    fetch(`${url}${probe.path ?? '/'}`, { method: probe.method ?? 'GET' }).then(
      async (response) => (await response.arrayBuffer(), true),
      () => false,
    );
  for (let i = 0; i < 300; i++) {
    if (await answers()) return { host, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  host.kill('SIGKILL');
  throw new Error(`${run.component} did not start serving`);
}

/**
 * Per test file: a temp dir for task hosts and their caches, and every task
 * host started through it killed afterwards.
 */
export function useTaskHostDir(prefix: string) {
  let dir = '';
  const hosts: ChildProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    for (const host of hosts) host.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir: (): string => dir,
    /** Keeps a task host started elsewhere for the clean-up. */
    track: (host: ChildProcess): ChildProcess => (hosts.push(host), host),
    serve: async (
      run: Omit<HostRun, 'http' | 'dir'>,
      probe?: ReadyProbe,
    ): Promise<{ host: ChildProcess; url: string }> => {
      const served = await startServing({ ...run, dir }, probe);
      hosts.push(served.host);
      return served;
    },
  };
}

export { freePort };
