// What jco's async runtime kept of every request, let go
// (src/runtime/glue-async-leaks.ts): the rewrite on the glue jco really
// generates for the WASI 0.3 test components (completely or not at all),
// and a shared hello-http-p3 instance serving requests in a task-host-like
// process whose heap, measured after a full GC, no longer grows with them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rewriteAsyncLeaks } from '../../src/runtime/glue-async-leaks.ts';
import { rewriteAsyncRuntime } from '../../src/runtime/glue-async-runtime.ts';
import { freePort } from '../support/ports.ts';
import { DIST, jcoGlueOf, runProbe } from './support/p3-glue.ts';
import { COMPONENTS } from './support/task-host.ts';

/** jco's glue for a test component, with the async runtime's fixes applied first (as component-cache.ts does). */
async function glueOf(name: string): Promise<string> {
  const runtime = rewriteAsyncRuntime(await jcoGlueOf(name));
  if (!('glue' in runtime)) throw new Error(runtime.unavailable);
  return runtime.glue;
}

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

describe.each(['hello-http-p3', 'command-p3', 'http-p3'])('%s glue', (name) => {
  it('is rewritten completely: no buffer registry, no global stream and future tables, every host-written future paired, no created-reps sets written', async () => {
    const result = rewriteAsyncLeaks(await glueOf(name));
    if (!('glue' in result)) throw new Error(result.unavailable);
    const glue = result.glue;
    expect(glue).not.toContain('instanceBuffers.set(');
    // The global tables are declared and never used: a stream or future is its own rep.
    expect(count(glue, /\b(?:STREAMS|FUTURES)\b/g)).toBe(2);
    expect(glue).not.toContain('new WeakRef(');
    expect(count(glue, /readEnd\._nomadHostWriteEnd = writeEnd;/g)).toBe(count(glue, /_genFutureHostInjectFn\(\{/g));
    expect(glue).toContain('_nomadForget(cstate, streamEnd, STREAM_TABLES[this.#streamTableIdx]);');
    expect(glue).toContain('_createdReps = new Set();');
    expect(glue).not.toContain('_createdReps.add(');
  });

  it('is left alone when one of its patterns is not found exactly', async () => {
    const glue = await glueOf(name);
    const changed = glue.replace(
      'dropFn: () => streamEnd.drop({ allowPendingEvent: true }),',
      'dropFn: () => streamEnd.drop({ allowPendingEvent: !false }),',
    );
    expect(changed).not.toBe(glue);
    expect(rewriteAsyncLeaks(changed)).toEqual({
      unavailable: 'the host disposing of a stream: found 0 times, expected 1',
    });
  });
});

describe('a shared WASI 0.3 instance', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('keeps nothing of the requests it served (heap after a full GC, before the instance would be replaced)', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'p3-leaks-'));
    const port = await freePort();
    dirs.push(cacheDir);
    // Requests 201 to 490 of one instance (it is replaced after 500 on glue that keeps them; the first
    // 200 warm up the JIT). The glue jco generates kept ~10 KB of each here; this glue keeps under 2 KB,
    // the client's (fetch in the same process) and the JIT's included.
    const probe = `
      import { runInNewContext } from 'node:vm';
      import { setFlagsFromString } from 'node:v8';
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc');
      const { prepareComponent } = await import('${DIST}runtime/component-cache.js');
      const { serveHttpP3 } = await import('${DIST}runtime/serve-http-p3.js');
      const component = await prepareComponent(${JSON.stringify(join(COMPONENTS, 'hello-http-p3.wasm'))}, ${JSON.stringify(cacheDir)});
      const grants = { args: [], env: {}, mounts: [], outboundHttp: [], memoryMaxMiB: 64, httpInstance: 'shared' };
      await serveHttpP3(component, grants, { host: '127.0.0.1', port: ${port} });
      const url = 'http://127.0.0.1:${port}/';
      const serve = async (n) => { for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: 10 }, () => fetch(url).then((r) => r.text()))); };
      const heap = async () => { for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); } return process.memoryUsage().heapUsed; };
      await serve(200);
      const before = await heap();
      await serve(290);
      const after = await heap();
      console.log(JSON.stringify({ glueAsyncLeaks: component.glueAsyncLeaks, before, after }));
      process.exit(0);
    `;
    const measured = runProbe<{
      glueAsyncLeaks: boolean;
      before: number;
      after: number;
    }>(probe);
    expect(measured.glueAsyncLeaks).toBe(true);
    expect((measured.after - measured.before) / 290).toBeLessThan(4096); // bytes per request
  });
});
