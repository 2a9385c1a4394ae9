// A spare task host (started ahead of time by the plugin, src/task/launcher.ts):
// it waits for a spec, then opens the task's log files itself and runs the
// task as any task host does; a spare whose plugin goes away exits quietly.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENTS } from './support/task-host.ts';
import { HOST_NODE_FLAGS } from '../../src/ipc/host-node-flags.ts';

const TASK_HOST = new URL('../../dist/task-host/main.js', import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'spare-')));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function startSpare() {
  const child = spawn(process.execPath, [...HOST_NODE_FLAGS, TASK_HOST, '--spare'], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: {},
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit };
}

describe('spare task host', () => {
  it('runs the task it is given, with guest output in the log files named by the spec', async () => {
    const stdout = join(dir, 'task.stdout');
    const stderr = join(dir, 'task.stderr');
    await Promise.all([writeFile(stdout, ''), writeFile(stderr, '')]);
    const { child, exit } = startSpare();
    await new Promise((resolve) => setTimeout(resolve, 300)); // idle, as a spare is until a task starts
    const progress = text(child.stdio[3] as Readable);
    child.stdin?.end(
      JSON.stringify({
        version: 2,
        taskId: 'alloc/spare/1',
        componentPath: join(COMPONENTS, 'hello-command.wasm'),
        cacheDir: join(dir, 'cache'),
        exitFile: join(dir, 'exit.json'),
        stateDir: dir,
        grants: { args: ['hello-command.wasm'], env: {}, mounts: [], outboundHttp: [], httpInstance: 'shared' },
        logPaths: { stdout, stderr },
      }),
    );
    expect(await exit).toBe(0);
    expect(await readFile(stdout, 'utf8')).toBe('hello from wasm\n');
    expect(await readFile(stderr, 'utf8')).toBe('hello on stderr\n');
    expect(await text(child.stdout)).toBe(''); // nothing on the spare's own stdio
    expect(JSON.parse(await readFile(join(dir, 'exit.json'), 'utf8'))).toMatchObject({ exitCode: 0 });
    const messages = (await progress)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; phase?: string; world?: string });
    expect(messages.map((m) => m.phase ?? `${m.type} ${m.world}`)).toEqual(['loading', 'compiling', 'ready command']); // a fresh cache dir
  });

  it('exits 0 without a word when its stdin closes before a spec arrives (the plugin went away)', async () => {
    const { child, exit } = startSpare();
    const stderr = text(child.stderr);
    child.stdin?.end();
    expect(await exit).toBe(0);
    expect(await stderr).toBe('');
  });
});
