// The fixes to jco's async runtime (src/runtime/glue-async-runtime.ts) on
// the glue jco really generates for the WASI 0.3 test components: they
// apply completely or not at all. What they change in behaviour is tested
// through real task hosts: a trap in the middle of a response
// (wasi-p3.test.ts) hangs without the trap hook.
import { describe, expect, it } from 'vitest';
import { ASYNC_RUNTIME_JCO_VERSION, rewriteAsyncRuntime } from '../../src/runtime/glue-async-runtime.ts';
import { JCO_VERSION } from '../../src/runtime/jco-info.ts';
import { jcoGlueOf as glueOf } from './support/p3-glue.ts';

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
    expect(result.glue).toContain('if (at >= 0) tasks.splice(at, 1);');
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
