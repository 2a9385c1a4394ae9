// The processes that hold secrets, started the way the plugin starts them
// (src/task/launcher.ts, src/task/pool-client.ts): a task host, the idle
// spare queued after it, and a pool host. None may write a core dump, and
// SIGUSR1 may not open Node's inspector in any of them. Each check is
// first shown to detect the thing on an unhardened Node in the same run
// (it opens the inspector on SIGUSR1; it dumps core on SIGABRT), so a
// check that could never fail would show here. The plugin itself is
// checked as Nomad starts it, in test/conformance (hardening_test.go).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreDumpLimit } from '../../src/hardening/process-limits.ts';
import { launchSpecFor } from './support/task-host.ts';

// The built modules: they spawn dist/task-host/main.js and dist/pool-host/main.js beside them.
const dist = (path: string): string => new URL(`../../dist/${path}`, import.meta.url).href;
const { launchTaskHost, killGroup } = (await import(
  dist('task/launcher.js')
)) as typeof import('../../src/task/launcher.ts');
const { PoolClient } = (await import(dist('task/pool-client.js'))) as typeof import('../../src/task/pool-client.ts');

const log = pino({ level: 'silent' });
const SIGUSR1_BIT = 1n << 9n; // signal 10
let dir: string;
const started: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hardening-'));
});

afterAll(async () => {
  for (const pid of started) killGroup(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** The inodes of TCP sockets in LISTEN state that `pid` holds. */
function listeningSockets(pid: number): string[] {
  const listening = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && fields[9]) listening.add(fields[9]);
    }
  }
  const held: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    })();
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode && listening.has(inode)) held.push(inode);
  }
  return held;
}

function signalMask(pid: number, field: 'SigCgt' | 'SigPnd' | 'ShdPnd'): bigint {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return BigInt(`0x${line?.split(/\s+/)[1] ?? '0'}`);
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Whether every thread of `pid` blocks SIGUSR1 (Node's --disable-sigusr1 does: nothing can ever act on it). */
function blockedInEveryThread(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((tid) => {
    const line = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('SigBlk:'));
    return (BigInt(`0x${line?.split(/\s+/)[1] ?? '0'}`) & SIGUSR1_BIT) !== 0n;
  });
}

/**
 * Sends SIGUSR1 and waits until the process has it: held pending and
 * blocked in every thread (--disable-sigusr1, Node 22.14+), or taken by a
 * listener (older Nodes). Then gives an inspector more than the time the
 * unhardened control needed: no TCP listener may appear, the process lives on.
 */
async function sigusr1LeavesNoInspector(pid: number): Promise<void> {
  const before = listeningSockets(pid);
  process.kill(pid, 'SIGUSR1');
  await until('SIGUSR1 to reach the process', () => {
    const pending = ((signalMask(pid, 'SigPnd') | signalMask(pid, 'ShdPnd')) & SIGUSR1_BIT) !== 0n;
    return (pending && blockedInEveryThread(pid)) || !pending ? true : undefined;
  });
  await sleep(Math.max(2000, inspectorMs * 4));
  expect(alive(pid)).toBe(true);
  expect(listeningSockets(pid)).toEqual(before);
}

/** How long an unhardened Node takes from SIGUSR1 to an inspector listener, measured here and now. */
let inspectorMs = 0;

describe('the checks detect what they look for', () => {
  it('an unhardened Node opens an inspector on SIGUSR1, and these checks see it', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const pid = child.pid ?? 0;
    try {
      await until('node to boot', () => (signalMask(pid, 'SigCgt') !== 0n ? true : undefined));
      const sent = Date.now();
      process.kill(pid, 'SIGUSR1');
      // The port may be taken by another process of the machine: then Node says so and listens nowhere.
      await until('the inspector', () => (listeningSockets(pid).length > 0 ? true : undefined));
      inspectorMs = Date.now() - sent;
      console.log(`unhardened node: inspector listening ${inspectorMs} ms after SIGUSR1`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('an unhardened Node with core dumps allowed dumps core on SIGABRT (core_pattern is a file here)', async () => {
    const cwd = await mkdtemp(join(dir, 'core-control-'));
    const child = spawn(
      '/bin/sh',
      ['-c', 'ulimit -c unlimited && exec "$0" -e "setInterval(() => {}, 1000)"', process.execPath],
      {
        cwd,
        stdio: 'ignore',
      },
    );
    const pid = child.pid ?? 0;
    // The pid is sh's until it execs node: a SIGABRT before that (before its ulimit, even) proves nothing.
    const node = realpathSync(process.execPath);
    await until('node to boot', () =>
      readlinkSync(`/proc/${pid}/exe`) === node && signalMask(pid, 'SigCgt') !== 0n ? true : undefined,
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(pid, 'SIGABRT');
    await exited;
    expect(readdirSync(cwd).filter((name) => name.startsWith('core'))).not.toEqual([]);
    await rm(cwd, { recursive: true, force: true });
  });
});

describe('task host and spare', () => {
  let taskPid = 0;
  let stderrPath = '';

  beforeAll(async () => {
    const spec = launchSpecFor({ component: 'ticker', dir });
    stderrPath = join(dir, 'ticker.stderr');
    const launched = await launchTaskHost(spec as never, {
      stdoutPath: join(dir, 'ticker.stdout'),
      stderrPath,
      readyTimeoutMs: 120_000,
      onProgress: () => undefined,
      log,
    });
    taskPid = launched.pid;
    started.push(taskPid);
  }, 180_000);

  it('runs with no core dumps (soft and hard limit 0)', () => {
    expect(coreDumpLimit(taskPid)).toEqual({ soft: 0, hard: 0 });
  });

  it('keeps SIGUSR1 blocked (Node 24: --disable-sigusr1) and opens no inspector on it; the task runs on', async () => {
    expect(blockedInEveryThread(taskPid)).toBe(true);
    await sigusr1LeavesNoInspector(taskPid);
    const ticks = readFileSync(join(dir, 'ticker.stdout'), 'utf8').split('\n').length;
    await until('another tick', () =>
      readFileSync(join(dir, 'ticker.stdout'), 'utf8').split('\n').length > ticks ? true : undefined,
    );
    expect(existsSync(stderrPath) ? readFileSync(stderrPath, 'utf8') : '').not.toMatch(/Debugger listening|inspector/i);
  });

  it('an idle spare (queued after the start) has the same protection before it ever gets a task', async () => {
    const spare = await until('the spare', () =>
      readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .find((pid) => {
          try {
            const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
            // process.title rewrites the command line: a spare names itself so.
            return ppid === process.pid && cmdline.startsWith('nomad-wasm-spare');
          } catch {
            return false;
          }
        }),
    );
    started.push(spare);
    expect(coreDumpLimit(spare)).toEqual({ soft: 0, hard: 0 });
    expect(blockedInEveryThread(spare)).toBe(true);
    await sigusr1LeavesNoInspector(spare);
  });

  it('dumps no core when it aborts', async () => {
    const exited = until('the task host to end', () => (alive(taskPid) ? undefined : true));
    process.kill(taskPid, 'SIGABRT');
    await exited;
    // Its working directory is its state dir (core_pattern "core" writes there): no core file anywhere below the run.
    expect(findCores(dir)).toEqual([]);
  });
});

describe('pool host', () => {
  it('runs with no core dumps and SIGUSR1 blocked, and opens no inspector on it', async () => {
    const cacheDir = join(dir, 'pool-cache');
    await mkdir(cacheDir, { recursive: true });
    const pool = await PoolClient.spawn(cacheDir, log);
    started.push(pool.pid);
    expect(coreDumpLimit(pool.pid)).toEqual({ soft: 0, hard: 0 });
    expect(blockedInEveryThread(pool.pid)).toBe(true);
    await sigusr1LeavesNoInspector(pool.pid);
    pool.kill('test over');
  }, 60_000);
});

function findCores(root: string): string[] {
  const found: string[] = [];
  const visit = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/^core(\.\d+)?$/.test(entry.name)) found.push(full);
    }
  };
  visit(root);
  return found;
}
