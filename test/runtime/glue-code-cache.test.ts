// The V8 code cache kept beside cached glue (src/runtime/glue-code-cache.ts):
// written after a first run, used by later ones, and a cache V8 turns down
// (here: garbage) only costs compiling again, after which it is replaced.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit } from './support/task-host.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'code-cache-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function codeCacheFile(): Promise<string | undefined> {
  const transpiled = join(dir, 'cache', 'transpiled');
  for (const entry of await readdir(transpiled)) {
    const file = (await readdir(join(transpiled, entry))).find((name) => name.endsWith('.code-cache'));
    if (file) return join(transpiled, entry, file);
  }
  return undefined;
}

describe('glue code cache', () => {
  it('is written after the first run and does not change what later runs do', async () => {
    const first = runToExit({ component: 'hello-command', dir });
    expect(first.status).toBe(0);
    const cache = await codeCacheFile();
    expect(cache).toBeDefined();
    const written = await readFile(cache ?? '');
    expect(written.length).toBeGreaterThan(1000);
    const second = runToExit({ component: 'hello-command', dir });
    expect([second.status, second.stdout, second.stderr]).toEqual([first.status, first.stdout, first.stderr]);
    expect((await readFile(cache ?? '')).equals(written)).toBe(true); // accepted: not written again
  });

  it('a cache V8 turns down is compiled around and replaced', async () => {
    const cache = (await codeCacheFile()) ?? '';
    await writeFile(cache, 'not a code cache');
    const run = runToExit({ component: 'hello-command', dir });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('hello from wasm\n');
    expect((await readFile(cache)).toString()).not.toBe('not a code cache');
  });
});
