// WASI preview1 core modules built by the Go toolchain (GOOS=wasip1, from
// test/components/go) run in a real task host as wasi:cli commands, through
// jco's preview1 command adapter: what they see, how they exit, what is
// refused and how.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPONENTS, runWithProgress, useTaskHostDir } from './support/task-host.js';

const hosts = useTaskHostDir('preview1-');

function run(component: string, args: string[], grants: Record<string, unknown> = {}) {
  return runWithProgress({ component, dir: hosts.dir(), args, grants });
}

function failure(result: ReturnType<typeof run>): { code: string; message: string } {
  const failed = result.progress.find((message) => message.type === 'failed');
  if (!failed || failed.type !== 'failed') throw new Error(`expected a failed start, got ${JSON.stringify(result)}`);
  return failed;
}

describe('a Go program built with GOOS=wasip1', () => {
  it('is adapted once, then started from the cache entry of its own digest', async () => {
    const first = run('wasip1-probe', ['hello']);
    expect(first.status).toBe(0);
    expect(first.progress.map((m) => (m.type === 'phase' ? m.phase : m.type))).toEqual([
      'loading',
      'adapting',
      'compiling',
      'ready',
    ]);
    const digest = first.progress.find((m) => m.type === 'ready')?.digest ?? '';
    const module = await readFile(join(COMPONENTS, 'wasip1-probe.wasm'));
    const { createHash } = await import('node:crypto');
    expect(digest).toBe(`sha256:${createHash('sha256').update(module).digest('hex')}`);
    const entries = await readdir(join(hosts.dir(), 'cache', 'transpiled'));
    const entry = entries.find((name) => name.startsWith(digest.slice('sha256:'.length)));
    expect(entry).toBeDefined();
    const manifest = JSON.parse(
      await readFile(join(hosts.dir(), 'cache', 'transpiled', entry ?? '', 'manifest.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest['adaptedFrom']).toBe('wasi-preview1-command');
    const second = run('wasip1-probe', ['hello']);
    expect(second.progress.map((m) => (m.type === 'phase' ? m.phase : m.type))).toEqual(['loading', 'cached', 'ready']);
  });

  it('writes stdout and stderr, and sees its arguments after argv[0]', () => {
    const hello = run('wasip1-probe', ['hello']);
    expect(hello.stdout).toBe('hello from Go on wasip1\n');
    expect(hello.stderr).toBe('a line on stderr\n');
    const args = run('wasip1-probe', ['args', 'one', 'two words']);
    expect(args.stdout).toBe('wasip1-probe.wasm\nargs\none\ntwo words\n');
  });

  it('sees the granted environment and nothing of the host process', () => {
    const result = runWithProgress({
      component: 'wasip1-probe',
      dir: hosts.dir(),
      args: ['env', 'GREETING', 'HOST_SECRET', 'PATH'],
      grants: { env: { GREETING: 'hi' } },
      hostEnv: { HOST_SECRET: 'leak', PATH: '/usr/bin' },
    });
    expect(result.stdout).toBe('GREETING=hi\nHOST_SECRET unset\nPATH unset\n');
  });

  it("ends with os.Exit's code: 3 stays 3 (not the 1 of WASI 0.2's exit(err))", async () => {
    const result = run('wasip1-probe', ['exit', '3']);
    expect(result.status).toBe(3);
    expect(result.stdout).toBe('exiting with 3\n');
    const specs = (await readdir(hosts.dir())).filter((name) => name.startsWith('wasip1-probe-'));
    const exits = await Promise.all(
      specs.map((name) => readFile(join(hosts.dir(), name, 'exit.json'), 'utf8').catch(() => '')),
    );
    expect(exits.some((text) => text !== '' && (JSON.parse(text) as { exitCode: number }).exitCode === 3)).toBe(true);
  });

  it('sees granted mounts as preopened directories, read-only unless granted writable, and nothing else', async () => {
    const data = join(hosts.dir(), 'data');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'greeting.txt'), 'hello from the mount\n');
    const mount = (readOnly: boolean) => ({ mounts: [{ guestPath: '/data', hostPath: data, readOnly }] });
    expect(run('wasip1-probe', ['read', '/data/greeting.txt'], mount(true)).stdout).toBe('hello from the mount\n');
    expect(run('wasip1-probe', ['ls', '/data'], mount(true)).stdout).toBe('greeting.txt\n');
    const readOnly = run('wasip1-probe', ['write', '/data/out.txt', 'x'], mount(true));
    expect(readOnly.status).toBe(1);
    expect(readOnly.stderr).toBe('error: open /data/out.txt: Read-only file system\n');
    const writable = run('wasip1-probe', ['write', '/data/out.txt', 'written by Go'], mount(false));
    expect(writable.status).toBe(0);
    expect(await readFile(join(data, 'out.txt'), 'utf8')).toBe('written by Go');
    const outside = run('wasip1-probe', ['read', '/etc/passwd'], mount(true));
    expect(outside.status).toBe(1);
    expect(outside.stdout).toBe('');
    const escape = run('wasip1-probe', ['read', '/data/../../../etc/passwd'], mount(true));
    expect(escape.status).toBe(1);
    expect(escape.stdout).toBe('');
  });

  it("allocates freely below the memory ceiling and gets Go's own out-of-memory error above it", () => {
    const below = run('wasip1-probe', ['alloc', '40'], { memoryMaxMiB: 64 });
    expect(below.status).toBe(0);
    expect(below.stdout).toBe('allocated 40 MiB\n');
    const above = run('wasip1-probe', ['alloc', '100'], { memoryMaxMiB: 64 });
    expect(above.status).toBe(2); // the Go runtime's fatal error
    expect(above.stderr).toMatch(/out of memory/);
    expect(above.stdout).toBe('');
    // Without a ceiling the same program gets its 100 MiB (the adapter's pages are not in the way).
    expect(run('wasip1-probe', ['alloc', '100'], { memoryMaxMiB: 512 }).stdout).toBe('allocated 100 MiB\n');
  });

  it('sleeps through preview1 poll_oneoff', () => {
    const result = run('wasip1-probe', ['sleep', '300']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('slept\n');
  });
});

describe('core modules the driver refuses', () => {
  it('a reactor (Go -buildmode=c-shared): WASI_PREVIEW1_NOT_A_COMMAND, naming what it exports', () => {
    const result = run('reactor-go', []);
    expect(result.status).toBe(1);
    const failed = failure(result);
    expect(failed.code).toBe('WASI_PREVIEW1_NOT_A_COMMAND');
    expect(failed.message).toContain('is a WASI preview1 reactor (it exports _initialize and no _start)');
    expect(failed.message).toContain('Go: without -buildmode=c-shared');
  });

  it('a module importing a host function that is not WASI: WASI_PREVIEW1_IMPORT_UNSUPPORTED, naming it', () => {
    const failed = failure(run('host-import-go', []));
    expect(failed.code).toBe('WASI_PREVIEW1_IMPORT_UNSUPPORTED');
    expect(failed.message).toContain('imports env.host_log, which is not WASI preview1');
  });

  it('a truncated module (half of a Go binary): COMPONENT_INVALID with what the decoder found', () => {
    const failed = failure(run('truncated-go', []));
    expect(failed.code).toBe('COMPONENT_INVALID');
    expect(failed.message).toMatch(
      /truncated-go\.wasm is a truncated or corrupt WebAssembly module \(.*extends past end/,
    );
  });

  it('leaves nothing in the cache for a module it refused', async () => {
    run('reactor-go', []);
    const entries = await readdir(join(hosts.dir(), 'cache', 'transpiled')).catch(() => []);
    const module = await readFile(join(COMPONENTS, 'reactor-go.wasm'));
    const { createHash } = await import('node:crypto');
    const hex = createHash('sha256').update(module).digest('hex');
    expect(entries.filter((name) => name.startsWith(hex))).toEqual([]);
  });
});

describe('a WAT preview1 module (the prelude of the test commands, not yet a component)', () => {
  it('runs through the same adapter', () => {
    const result = run('core-module', ['x']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('hello from wasm\nx\n');
  });
});
