// Per-request WASI 0.3 instances are reset, not rebuilt
// (src/runtime/p3-instances.ts, async-state-reset.ts): the hooks that hand
// the host jco's async runtime state apply to the glue jco really
// generates for the 0.3 test components (completely or not at all), and a
// per-request hello-http-p3 service, in a task-host-like process, makes an
// instance per request at once rather than per request. That reset
// instances start from the first state is tested on http-p3 in
// wasi-p3.test.ts ("WASI 0.3 per-request isolation").
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addAsyncStateHooks } from '../../src/runtime/glue-async-state-hooks.ts';
import { addStateHooks } from '../../src/runtime/glue-state-hooks.ts';
import { freePort } from '../support/ports.ts';
import { DIST, jcoGlueOf, runProbe } from './support/p3-glue.ts';
import { COMPONENTS } from './support/task-host.ts';

/** jco's glue for a test component, with the resource state hooks applied first (as component-cache.ts does). */
async function hookedGlueOf(name: string): Promise<string> {
  const hooked = addStateHooks(await jcoGlueOf(name));
  if (!('glue' in hooked)) throw new Error(hooked.unavailable);
  return hooked.glue;
}

describe.each(['hello-http-p3', 'command-p3', 'http-p3'])('%s glue', (name) => {
  it("hands over every table and registry of jco's async runtime, by a getter each", async () => {
    const result = addAsyncStateHooks(await hookedGlueOf(name));
    if (!('glue' in result)) throw new Error(result.unavailable);
    for (const [field, glueName] of [
      ['states', 'ASYNC_STATE'],
      ['borrows', 'curResourceBorrows'],
      ['streamTables', 'STREAM_TABLES'],
      ['mayBlock', 'CURRENT_TASK_MAY_BLOCK'],
    ])
      expect(result.glue).toContain(`get ${field}() { return ${glueName}; }`);
  });

  it('is left alone when a name it reads is not declared exactly once', async () => {
    const glue = await hookedGlueOf(name);
    const changed = glue.replace('const CURRENT_TASK_META = {};', 'const CURRENT_TASK_METAS = {};');
    expect(changed).not.toBe(glue);
    expect(addAsyncStateHooks(changed)).toEqual({
      unavailable: 'CURRENT_TASK_META is declared 0 times, expected once',
    });
  });
});

describe('a per-request hello-http-p3 service', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('serves 100 requests in a row on at most two instances, and 12 at once on at most 14', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'p3-reset-'));
    const port = await freePort();
    dirs.push(cacheDir);
    // Core instances are counted where the driver makes them (fetch makes one too, for its HTTP parser);
    // a component instance is \`perInstance\` of them.
    const probe = `
      let cores = 0;
      const Instance = WebAssembly.Instance;
      WebAssembly.Instance = new Proxy(Instance, {
        construct(target, args) {
          if (new Error().stack.includes('/dist/runtime/instantiate.js')) cores++;
          return Reflect.construct(target, args);
        },
      });
      const { prepareComponent } = await import('${DIST}runtime/component-cache.js');
      const { serveHttpP3 } = await import('${DIST}runtime/serve-http-p3.js');
      const component = await prepareComponent(${JSON.stringify(join(COMPONENTS, 'hello-http-p3.wasm'))}, ${JSON.stringify(cacheDir)});
      const grants = { args: [], env: {}, mounts: [], outboundHttp: [], memoryMaxMiB: 64, httpInstance: 'per-request' };
      await serveHttpP3(component, grants, { host: '127.0.0.1', port: ${port} });
      const perInstance = cores;
      const url = 'http://127.0.0.1:${port}/';
      const bodies = new Set();
      const get = () => fetch(url).then(async (r) => bodies.add(r.status + ' ' + (await r.text())));
      for (let i = 0; i < 100; i++) await get();
      const inARow = cores / perInstance;
      for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 12 }, get));
      console.log(JSON.stringify({ stateHooks: component.glueStateHooks, inARow, atOnce: cores / perInstance, bodies: [...bodies] }));
      process.exit(0);
    `;
    const measured = runProbe<{
      stateHooks: boolean;
      inARow: number;
      atOnce: number;
      bodies: string[];
    }>(probe);
    expect(measured.stateHooks).toBe(true);
    expect(measured.bodies).toHaveLength(1);
    expect(measured.bodies[0]).toMatch(/^200 /);
    expect(measured.inARow).toBeLessThanOrEqual(2);
    expect(measured.atOnce).toBeLessThanOrEqual(14);
  });
});
