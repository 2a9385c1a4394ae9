// Cached glue is keyed by jco's version and CACHE_FORMAT (component-cache.ts),
// not by the code that rewrites it: a change to the rewrites, or to the
// scanners whose verdicts are cached beside the glue (table-writes.json, the
// reset exports, the world and WASI release in the manifest, the WASI 0.3
// import keys jco is told to use, the adapter a preview1 module is made a
// command with), must come with a new CACHE_FORMAT, or
// task hosts keep running glue rewritten, or verdicts reached, the old way.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const RUNTIME = new URL('../../src/runtime/', import.meta.url);
/** sha256 of the sources below, concatenated, when CACHE_FORMAT was last set. */
const REWRITES_SHA256 = '7c7afa4d98dca816f76ce3dd90b93d1bf523445503138d6984083eb4f40f50d8';
const CACHE_FORMAT = 19;
/** Everything whose output is cached in a transpiled entry. */
const CACHED_BY_FORMAT = [
  'glue-prelude.ts',
  'glue-sync-calls.ts',
  'glue-state-hooks.ts',
  'glue-code-cache.ts',
  'table-writes.ts',
  'reset-exports.ts',
  'glue-async-runtime.ts',
  'glue-async-leaks.ts',
  'glue-text-patches.ts',
  'glue-lift-memo.ts',
  'component-world.ts',
  '../wasi-p3/versions.ts',
  'provided-imports.ts',
  'preview1-adapter.ts',
  'virtual-memory-size.ts',
  'core-instructions.ts',
  'glue-async-state-hooks.ts',
];

describe('glue cache key', () => {
  it('changes whenever the glue rewrites change', async () => {
    const sources = await Promise.all(CACHED_BY_FORMAT.map((f) => readFile(new URL(f, RUNTIME))));
    const digest = createHash('sha256').update(Buffer.concat(sources)).digest('hex');
    const format = Number(
      /const CACHE_FORMAT = (\d+);/.exec(await readFile(new URL('component-cache.ts', RUNTIME), 'utf8'))?.[1],
    );
    if (digest !== REWRITES_SHA256) {
      expect.fail(
        `the glue rewrites changed: bump CACHE_FORMAT in src/runtime/component-cache.ts (now ${format}), then set CACHE_FORMAT = ${format + 1} and REWRITES_SHA256 = '${digest}' in this test`,
      );
    }
    expect(format).toBe(CACHE_FORMAT);
  });
});
