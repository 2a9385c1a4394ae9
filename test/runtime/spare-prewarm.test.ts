// A spare task host told which component the plugin started last prepares
// it while it waits (src/runtime/prewarm.ts): the same component, another
// one, and a hint that does not fit all start and run as usual, and the
// hint carries paths and a digest only, never grants.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrewarmArg, prewarmArgOf, type LaunchSpec } from '../../src/ipc/launch-spec.ts';
import { COMPONENTS, runToExit } from './support/task-host.ts';
import { HOST_NODE_FLAGS } from '../../src/ipc/host-node-flags.ts';

const TASK_HOST = new URL('../../dist/task-host/main.js', import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'prewarm-')));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function digestOf(component: string): Promise<string> {
  return `sha256:${createHash('sha256')
    .update(await readFile(join(COMPONENTS, `${component}.wasm`)))
    .digest('hex')}`;
}

function specFor(component: string, digest: string, n: number, env: Record<string, string> = {}): LaunchSpec {
  return {
    version: 2,
    taskId: `alloc/prewarm/${n}`,
    componentPath: join(COMPONENTS, `${component}.wasm`),
    componentDigest: digest,
    cacheDir: join(dir, 'cache'),
    exitFile: join(dir, `exit-${n}.json`),
    stateDir: join(dir, `state-${n}`),
    grants: {
      args: [`${component}.wasm`],
      env,
      mounts: [],
      outboundHttp: [],
      memoryMaxMiB: 32,
      httpInstance: 'shared',
    },
    logPaths: { stdout: join(dir, `out-${n}`), stderr: join(dir, `err-${n}`) },
  };
}

/** A spare started with `hint`, idle for a while (it prepares then), then given `spec`. */
async function runOnSpare(
  hint: string | undefined,
  spec: LaunchSpec,
): Promise<{ code: number | null; stdout: string }> {
  await mkdir(spec.stateDir, { recursive: true, mode: 0o700 });
  await Promise.all([writeFile(spec.logPaths?.stdout ?? '', ''), writeFile(spec.logPaths?.stderr ?? '', '')]);
  const child = spawn(process.execPath, [...HOST_NODE_FLAGS, TASK_HOST, '--spare', ...(hint ? [hint] : [])], {
    stdio: ['pipe', 'ignore', 'ignore', 'ignore'],
    env: {},
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  child.stdin?.end(JSON.stringify(spec));
  const code = await exit;
  return { code, stdout: await readFile(spec.logPaths?.stdout ?? '', 'utf8') };
}

describe('spare task host with a prewarm hint', () => {
  let hello: string;
  let hint: string | undefined;
  beforeAll(async () => {
    hello = await digestOf('hello-command');
    // The plugin's last start filled the cache; its spec makes the hint.
    expect(runToExit({ component: 'hello-command', dir, grants: { memoryMaxMiB: 32 } }).status).toBe(0);
    const first = specFor('hello-command', hello, 0, { SECRET_TOKEN: 'do-not-leak' });
    hint = prewarmArgOf(first);
    // runToExit used its own cache dir layout: fill the one the specs name.
    const filled = await runOnSpare(undefined, first);
    expect(filled.code).toBe(0);
  });

  it('names paths and a digest, never grants', () => {
    expect(hint).toBeDefined();
    expect(hint).not.toContain('do-not-leak');
    expect(hint).not.toContain('SECRET_TOKEN');
    expect(parsePrewarmArg([hint ?? ''])).toEqual({
      cacheDir: join(dir, 'cache'),
      digest: hello,
      memoryMaxMiB: 32,
      perRequest: false,
    });
    // A task dir file comes without a digest: the one the task host reported with `ready` is used.
    const { componentDigest: _none, ...withoutDigest } = specFor('hello-command', hello, 9);
    expect(prewarmArgOf(withoutDigest)).toBeUndefined();
    expect(parsePrewarmArg([prewarmArgOf(withoutDigest, hello) ?? ''])?.digest).toBe(hello);
  });

  it('starts the component it prepared', async () => {
    expect(await runOnSpare(hint, specFor('hello-command', hello, 1))).toEqual({
      code: 0,
      stdout: 'hello from wasm\n',
    });
  });

  it('starts another component as usual', async () => {
    const result = await runOnSpare(hint, specFor('exit-code', await digestOf('exit-code'), 2));
    expect(result.code).not.toBeNull();
    expect(JSON.parse(await readFile(join(dir, 'exit-2.json'), 'utf8'))).toMatchObject({ exitCode: result.code });
  });

  it('ignores a hint that does not fit: unknown digest, or not a hint at all', async () => {
    const unknown = prewarmArgOf(specFor('hello-command', `sha256:${'0'.repeat(64)}`, 3));
    expect(await runOnSpare(unknown, specFor('hello-command', hello, 3))).toEqual({
      code: 0,
      stdout: 'hello from wasm\n',
    });
    expect(parsePrewarmArg(['--prewarm={not json'])).toBeUndefined();
    expect(await runOnSpare('--prewarm={not json', specFor('hello-command', hello, 4))).toEqual({
      code: 0,
      stdout: 'hello from wasm\n',
    });
  });
});
