// Escape and abuse attempts by real components in real task host
// processes: each is denied or contained, with a result the test can read.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit, startHost } from './support/task-host.ts';

let dir: string;
let mountDir: string;
let outside: string;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'escape-')));
  mountDir = join(dir, 'task/local/data');
  outside = join(dir, 'outside');
  await mkdir(mountDir, { recursive: true });
  await mkdir(outside);
  await writeFile(join(mountDir, 'hello.txt'), 'hello inside\n');
  await writeFile(join(outside, 'secret.txt'), 'outside secret\n');
  await symlink('/etc/passwd', join(mountDir, 'passwd-link'));
  await symlink(outside, join(mountDir, 'outside-dir'));
  await symlink('hello.txt', join(mountDir, 'inner-link'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const mount = (readOnly: boolean) => ({ mounts: [{ guestPath: '/data', hostPath: mountDir, readOnly }] });

function probe(op: 'read' | 'write', path: string, readOnly = true): string {
  const result = runToExit({ component: 'fs-probe', dir, args: [op, path], grants: mount(readOnly) });
  expect(result.status).toBe(0);
  return result.stdout.trim();
}

describe('files', () => {
  it('reads a file inside a granted mount', () => {
    expect(probe('read', 'hello.txt')).toBe('read hello.txt: ok hello inside');
  });

  it('cannot see any file without a mount (no preopened directory at all)', () => {
    const result = runToExit({ component: 'fs-probe', dir, args: ['read', 'etc/passwd'] });
    expect(result.stdout.trim()).toBe('read etc/passwd: denied, errno 8'); // EBADF: fd 3 does not exist
  });

  it('denies /etc/passwd through ".." out of the mount', () => {
    expect(probe('read', '../../../../../../etc/passwd')).toMatch(/^read \.\.\/.*passwd: denied, errno (63|76)$/);
  });

  it('denies following a symlink to /etc/passwd and into a directory outside the mount', () => {
    expect(probe('read', 'passwd-link')).toMatch(/^read passwd-link: denied, errno (63|76)$/);
    expect(probe('read', 'outside-dir/secret.txt')).toMatch(/^read outside-dir\/secret.txt: denied, errno (63|76)$/);
  });

  it('follows a symlink that stays inside the mount', () => {
    expect(probe('read', 'inner-link')).toBe('read inner-link: ok hello inside');
  });

  it('refuses writes on a read-only mount (the default) and allows them on a read-write one', async () => {
    expect(probe('write', 'new.txt', true)).toBe('write new.txt: denied, errno 69'); // EROFS
    await expect(readFile(join(mountDir, 'new.txt'))).rejects.toThrow(/ENOENT/);
    expect(probe('write', 'new.txt', false)).toBe('write new.txt: ok');
    expect(await readFile(join(mountDir, 'new.txt'), 'utf8')).toBe('written by fs-probe\n');
  });

  it('refuses a write outside a read-write mount', async () => {
    expect(probe('write', '../../escaped.txt', false)).toMatch(/denied, errno (63|76)$/);
    expect(probe('write', 'outside-dir/planted.txt', false)).toMatch(/denied, errno (63|76)$/);
    await expect(readFile(join(outside, 'planted.txt'))).rejects.toThrow(/ENOENT/);
  });
});

describe('env, sockets, exit', () => {
  it('an ungranted variable of the host (a token) is invisible', () => {
    const result = runToExit({
      component: 'env-probe',
      dir,
      grants: { env: { GREETING: 'hi' } },
      hostEnv: { NOMAD_TOKEN: 'secret-token', VAULT_TOKEN: 'v' },
    });
    expect(result.stdout.split('\n').filter((l) => l.includes('='))).toEqual(['GREETING=hi']);
  });

  it('opening a TCP socket is denied with access-denied', () => {
    const result = runToExit({ component: 'socket-probe', dir });
    expect(result.stdout).toBe('tcp socket: denied, error-code 1\n');
    expect(result.status).toBe(0);
  });

  it('a guest exit ends only that task, with its status', () => {
    const result = runToExit({ component: 'exit-code', dir, args: ['3'] });
    expect(result.status).toBe(1); // WASI 0.2 exit carries ok/err only
  });
});

describe('resources', () => {
  it('linear memory stops at the task memory ceiling', () => {
    const capped = runToExit({ component: 'mem-hog', dir, args: ['512'], grants: { memoryMaxMiB: 64 } });
    // Growing 1 MiB at a time from a few initial pages ends just under 64 MiB.
    expect(capped.stdout).toMatch(/^memory: 6[34] MiB, grow refused\n$/);
    // Without the ceiling the same guest goes further: the cap is what stopped it.
    const free = runToExit({ component: 'mem-hog', dir, args: ['96'] });
    expect(free.stdout).toBe('memory: 96 MiB, limit reached\n');
  });

  it('a component whose initial memory exceeds the ceiling fails as MEMORY_CEILING_TOO_LOW, naming both sizes, in its exit', () => {
    const run = { component: 'mem-hog', dir, args: ['1'], grants: { memoryMaxMiB: 0.0625 } };
    const result = runToExit(run);
    // A command is ready before it instantiates: the failure is its exit, with the code for Nomad's "Exit Message".
    expect(result.progress.at(-1)).toMatchObject({ type: 'ready', world: 'command' });
    expect(result.status).toBe(1);
    const message =
      "[MEMORY_CEILING_TOO_LOW] the component needs 0.125 MiB of linear memory at start, above the task's memory ceiling of 0.0625 MiB: raise resources { memory_max } (or memory)";
    expect(result.stderr).toBe(`[nomad-driver-wasm] command failed: ${message}\n`);
    expect(JSON.parse(readFileSync(result.exitFile, 'utf8'))).toMatchObject({ exitCode: 1, err: message });
  });

  it('an endless loop is ended by SIGTERM itself while it spins (commands keep the default action), not by anything later', async () => {
    const child = startHost({ component: 'spin', dir });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.on('exit', (code, signal) => r({ code, signal })),
    );
    // The guest prints once, then loops without ever returning to the host.
    try {
      for (let i = 0; i < 1200 && !stdout.includes('spinning\n'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toBe('spinning\n');
    } catch (err) {
      child.kill('SIGKILL'); // a spinning guest left behind would take a core for the rest of the run
      throw err;
    }
    child.kill('SIGTERM');
    // Died of that very signal: no handler ran (the guest holds the thread), no SIGKILL was needed.
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('a stdout flood is paced by the reader: the host does not buffer it', async () => {
    // Compile cache filled first: a cold start (jco transpiling) on a busy
    // machine could still be running, and growing, when RSS is first sampled.
    expect(runToExit({ component: 'flood', dir, args: ['0'] }).status).toBe(0);
    const child = startHost({ component: 'flood', dir, args: ['256'] });
    const stdout = child.stdout;
    if (!stdout) throw new Error('no stdout');
    stdout.pause();
    // Measure from the moment the guest is writing (the host has booted and
    // instantiated: on a loaded machine that takes a while), after the pipe
    // has filled. While nobody reads, the guest waits: memory does not grow.
    for (let i = 0; i < 300 && stdout.readableLength === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(stdout.readableLength).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    const early = await rssMiB(child.pid);
    await new Promise((r) => setTimeout(r, 1500));
    const late = await rssMiB(child.pid);
    let bytes = 0;
    stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stdout.resume();
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    await new Promise((r) => setTimeout(r, 100));
    expect(code).toBe(0);
    expect(bytes).toBe(256 * 1024 * 1024);
    expect(late - early).toBeLessThan(16);
  });
});

async function rssMiB(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}
