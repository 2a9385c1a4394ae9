// A command component run in a real task host process: what it can see and how it exits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_NODE_FLAGS } from '../../src/ipc/host-node-flags.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const COMPONENTS = process.env['WASM_TEST_COMPONENTS'] ?? join(ROOT, '.cache/components');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** Runs dist/task-host/main.js as the plugin would, with a spec on stdin. */
function runTaskHost(
  component: string,
  args: string[],
  env: Record<string, string>,
  hostEnv: Record<string, string> = {},
) {
  const spec = {
    version: 2,
    taskId: 'alloc/task/1',
    componentPath: join(COMPONENTS, `${component}.wasm`),
    cacheDir: join(dir, 'cache'),
    exitFile: join(dir, `${component}.exit.json`),
    stateDir: mkdtempSync(join(dir, 'state-')),
    grants: {
      args: [`${component}.wasm`, ...args],
      env,
      mounts: [],
      outboundHttp: [],
      memoryMaxMiB: undefined,
      httpInstance: 'shared',
    },
  };
  return spawnSync(process.execPath, [...HOST_NODE_FLAGS, join(ROOT, 'dist/task-host/main.js')], {
    input: JSON.stringify(spec),
    stdio: ['pipe', 'pipe', 'pipe', 'ignore'],
    env: { ...hostEnv },
    encoding: 'utf8',
  });
}

describe('task host sandbox', () => {
  it('a component sees exactly the granted env, not the host process env, and no files', () => {
    const result = runTaskHost('env-probe', [], { GREETING: 'hi' }, { HOST_SECRET: 'leak' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n').filter((l) => l.includes('='))).toEqual(['GREETING=hi']);
    expect(result.stdout).toMatch(/open \/etc\/passwd: denied, errno \d+/);
  });

  it('a guest exit ends the task host with the guest status and records it', async () => {
    const result = runTaskHost('exit-code', ['3'], {});
    expect(result.status).toBe(1);
    expect(JSON.parse(await readFile(join(dir, 'exit-code.exit.json'), 'utf8'))).toMatchObject({
      exitCode: 1,
      signal: 0,
    });
  });

  it('args arrive as argv[1..]', () => {
    const result = runTaskHost('hello-command', ['one', 'two words'], {});
    expect(result.stdout).toBe('hello from wasm\none\ntwo words\n');
    expect(result.stderr).toBe('hello on stderr\n');
  });
});
