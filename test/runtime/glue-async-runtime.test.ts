// The fixes to jco's async runtime (src/runtime/glue-async-runtime.ts) on
// the glue jco really generates for the WASI 0.3 test components: they
// apply completely or not at all. What they change in behaviour is tested
// through real task hosts: a trap in the middle of a response
// (wasi-p3.test.ts) hangs without the trap hook; and, below, in a process
// started like a task host, how many turns of the event loop a burst of
// requests takes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ASYNC_RUNTIME_JCO_VERSION, rewriteAsyncRuntime } from '../../src/runtime/glue-async-runtime.ts';
import { JCO_VERSION } from '../../src/runtime/jco-info.ts';
import { freePort } from '../support/ports.ts';
import { DIST, jcoGlueOf as glueOf, runProbe } from './support/p3-glue.ts';
import { COMPONENTS } from './support/task-host.ts';

it('the installed jco is the one the async runtime fixes were checked against', () => {
  expect(
    JCO_VERSION,
    `jco ${JCO_VERSION} is installed: re-check glue-async-runtime.ts against its glue, then move ASYNC_RUNTIME_JCO_VERSION`,
  ).toBe(ASYNC_RUNTIME_JCO_VERSION);
});

describe.each(['hello-http-p3', 'command-p3'])('%s glue', (name) => {
  it('is rewritten completely: no timer polling left on the wait paths, the trap hook in both places', async () => {
    const glue = await glueOf(name);
    const result = rewriteAsyncRuntime(glue);
    if (!('glue' in result)) throw new Error(result.unavailable);
    expect(result.glue).not.toContain('let waitInterval = setInterval(');
    expect(result.glue).not.toContain('await new Promise((resolve) => setTimeout(resolve, delay));');
    expect(result.glue.split('_nomadTrapped(err);').length - 1).toBe(2);
    expect(result.glue.split('_nomadWake();').length - 1).toBe(1);
    // A blocked host read or write waits for its own end's event, not for every event of the instance.
    expect(result.glue).not.toContain('_nomadNextWake(1)');
    expect(result.glue.split('_nomadOnEvent(this.getWaitable(), resolve);').length - 1).toBe(4);
    expect(result.glue).toContain('for (const resolve of waiters) resolve();');
    // Tasks: found by id in a map, removed wherever they are; the write-only id stacks popped.
    expect(result.glue).toContain('const at = tasks.indexOf(_nomadTaskMetas.get(taskID));');
    expect(result.glue).not.toContain('ASYNC_CURRENT_TASK_IDS.lastIndexOf(');
    expect(result.glue).not.toContain('taskMetas.find(meta => meta.task.id() === taskID)');
    expect(result.glue.split('_nomadTaskMetas.set(newTaskID, newTaskMeta);').length - 1).toBe(1);
    expect(result.glue.split('_nomadTaskMetas.delete(').length - 1).toBe(2);
    expect(result.glue).not.toContain('const resumableTasks = this.#suspendedTaskIDs.filter(');
    // The tick loop goes on to the next ready task once a resumed slice's microtasks have run.
    expect(result.glue.split('await _nomadAfterSlice();').length - 1).toBe(1);
    expect(result.glue).not.toContain('RESUMED) await new Promise((resolve) => setImmediate(resolve));');
  });

  it('is left alone when jco reads the stacks of current task ids the rewrite treats as write-only', async () => {
    const glue = await glueOf(name);
    const changed = glue.replace(
      '    const taskMeta = tasks.pop();\n',
      '    const taskMeta = tasks.pop();\n    if (ASYNC_CURRENT_TASK_IDS.at(-1) === taskMeta.id) {}\n',
    );
    expect(changed).not.toBe(glue);
    expect(rewriteAsyncRuntime(changed)).toEqual({
      unavailable: 'the current task id stack: found 4 times, expected 3',
    });
  });

  it('is left alone when one of its patterns is not found exactly', async () => {
    const glue = await glueOf(name);
    const changed = glue.replace('        this.#trapped = true;\n', '        this.#trapped = !false;\n');
    expect(changed).not.toBe(glue);
    expect(rewriteAsyncRuntime(changed)).toEqual({
      unavailable: 'ComponentAsyncState#markTrapped: found 0 times, expected 1',
    });
  });
});

describe('a shared hello-http-p3 service', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  // Each request needs at least two resumes of its guest task (its body write, its trailers write),
  // so a scheduler that resumes one task a turn needs more turns than there are requests: with
  // clients that hang up instead of waiting, the backlog then grows until the guest runs out of memory.
  it('answers 50 requests made at once (on open connections) in fewer turns of the event loop than there are requests', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'p3-turns-'));
    dirs.push(cacheDir);
    const port = await freePort();
    const probe = `
      const http = await import('node:http');
      const { prepareComponent } = await import('${DIST}runtime/component-cache.js');
      const { serveHttpP3 } = await import('${DIST}runtime/serve-http-p3.js');
      const component = await prepareComponent(${JSON.stringify(join(COMPONENTS, 'hello-http-p3.wasm'))}, ${JSON.stringify(cacheDir)});
      const grants = { args: [], env: {}, mounts: [], outboundHttp: [], memoryMaxMiB: 64, httpInstance: 'shared' };
      await serveHttpP3(component, grants, { host: '127.0.0.1', port: ${port} });
      // Keep-alive connections, all open before the turns are counted (node:http alone then
      // answers any number of requests made at once in two turns).
      const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
      const get = () => new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: ${port}, path: '/', agent }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve(res.statusCode + ' ' + body));
        }).on('error', reject);
      });
      const round = () => Promise.all(Array.from({ length: 50 }, get));
      await round();
      let turns = 0;
      let counting = true;
      const count = () => { if (counting) { turns++; setImmediate(count); } };
      setImmediate(count);
      const answers = await round();
      counting = false;
      console.log(JSON.stringify({ turns, answers: [...new Set(answers)] }));
      process.exit(0);
    `;
    const measured = runProbe<{ turns: number; answers: string[] }>(probe);
    expect(measured.answers).toEqual(['200 hello from wasm\n']);
    expect(measured.turns).toBeLessThan(50);
  });
});
