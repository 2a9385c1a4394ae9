// Cached glue is keyed by jco's version and CACHE_FORMAT (component-cache.ts),
// not by the code that rewrites it: a change to the rewrites must come with a
// new CACHE_FORMAT, or task hosts keep running glue rewritten the old way.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const RUNTIME = new URL('../../src/runtime/', import.meta.url);
/** sha256 of the three rewrite sources, concatenated, when CACHE_FORMAT was last set. */
const REWRITES_SHA256 = '26d59a4e76f8f3d2395fd8e49fbc055067363f3b53c9f1d62a43b047a4cbbf66';
const CACHE_FORMAT = 4;

describe('glue cache key', () => {
  it('changes whenever the glue rewrites change', async () => {
    const sources = await Promise.all(
      ['glue-prelude.ts', 'glue-sync-calls.ts', 'glue-state-hooks.ts'].map((f) => readFile(new URL(f, RUNTIME))),
    );
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
