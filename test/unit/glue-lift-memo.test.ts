// The lift-builder memo and the debug-log guard (glue-lift-memo.ts) on a
// glue of jco's shape, run: which builders are kept, which are left
// alone because they depend on the call, and that two instances never
// share what was kept. The real glue is covered by component-cache.test.ts
// (glueLiftMemo) and every WASI 0.3 suite that runs on it.
import { describe, expect, it } from 'vitest';
import { memoizeLiftBuilders } from '../../src/runtime/glue-lift-memo.js';

/** A glue in jco's shape: instantiate() declares _debugLog; a generator run once makes the instance. */
const GLUE = `
export function instantiate(tag) {
  const _debugLog = (...args) => {
    if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
    console.debug(...args);
  };
  const built = { record: 0, debugArgs: 0 };
  function _liftFlatRecord(meta) {
    built.record++;
    return (x) => meta.fieldMetas.map(([key, get]) => [key, get(x)]);
  }
  function debugArg() { built.debugArgs++; return 1; }
  let gen = (function* _initGenerator() {
    const table0 = ['row of ' + tag];
    let changes = 0;
    const keptOnce = function (arg0) {
      _debugLog('[keptOnce] args', { arg0, cost: debugArg() });
      return _liftFlatRecord({ fieldMetas: [['row', (h) => { _debugLog('[row]', { h, cost: debugArg() }); return table0[h]; }]] })(arg0);
    };
    const namesItsParameter = function (arg0) {
      return _liftFlatRecord({ fieldMetas: [['row', () => arg0]] })(0);
    };
    const readsALet = function (arg0) {
      changes++;
      return _liftFlatRecord({ fieldMetas: [['changes', () => changes]], now: changes })(arg0);
    };
    const namesALocal = function (arg0) {
      const local = arg0 * 2;
      return _liftFlatRecord({ fieldMetas: [['local', () => local]] })(0);
    };
    const atStart = _liftFlatRecord({ fieldMetas: [] });
    yield { keptOnce, namesItsParameter, readsALet, namesALocal, atStart };
  })();
  const exports = gen.next().value;
  return { ...exports, built };
}
`;

interface Instance {
  keptOnce(h: number): [string, unknown][];
  namesItsParameter(h: number): [string, unknown][];
  readsALet(h: number): [string, unknown][];
  namesALocal(h: number): [string, unknown][];
  built: { record: number; debugArgs: number };
}

async function load(glue: string): Promise<(tag: string) => Instance> {
  const module = (await import(`data:text/javascript,${encodeURIComponent(glue)}`)) as {
    instantiate: (tag: string) => Instance;
  };
  return module.instantiate;
}

function rewritten(glue: string): string {
  const result = memoizeLiftBuilders(glue);
  if (!('glue' in result)) throw new Error(result.unavailable);
  return result.glue;
}

describe('glue-lift-memo', () => {
  it('builds a builder that depends on nothing of the call once per instance, and each instance its own', async () => {
    const instantiate = await load(rewritten(GLUE));
    const a = instantiate('a');
    const b = instantiate('b');
    const recordsAtStart = a.built.record; // the builder made at instance start runs once anyway
    expect(a.keptOnce(0)).toEqual([['row', 'row of a']]);
    expect(a.keptOnce(0)).toEqual([['row', 'row of a']]);
    expect(a.built.record - recordsAtStart).toBe(1);
    expect(b.keptOnce(0)).toEqual([['row', 'row of b']]); // not a's builder, closing over a's table
  });

  it('leaves alone builders that name a parameter or local of the call, or read a let while built', async () => {
    const instance = (await load(rewritten(GLUE)))('a');
    const before = instance.built.record;
    expect(instance.namesItsParameter(1)).toEqual([['row', 1]]);
    expect(instance.namesItsParameter(2)).toEqual([['row', 2]]);
    expect(instance.namesALocal(3)).toEqual([['local', 6]]);
    expect(instance.namesALocal(4)).toEqual([['local', 8]]);
    expect(instance.readsALet(0)).toEqual([['changes', 1]]);
    expect(instance.readsALet(0)).toEqual([['changes', 2]]);
    expect(instance.built.record - before).toBe(6); // every call built its own
  });

  it('counts what it rewrote and builds debug arguments only when JCO_DEBUG is on', async () => {
    const result = memoizeLiftBuilders(GLUE);
    expect(result).toMatchObject({ memoized: 1, debugCalls: 2 }); // one in the trampoline, one inside the kept builder
    const plain = (await load(GLUE))('a');
    plain.keptOnce(0);
    expect(plain.built.debugArgs).toBe(2); // jco's glue builds them, then drops them
    const instance = (await load(rewritten(GLUE)))('a');
    instance.keptOnce(0);
    expect(instance.built.debugArgs).toBe(0);
  });

  it('says why when the glue is not of the shape it knows', () => {
    expect(memoizeLiftBuilders('export function instantiate( {')).toMatchObject({
      unavailable: expect.stringContaining('the glue does not parse') as unknown,
    });
    expect(memoizeLiftBuilders('export function instantiate() { return 1; }')).toEqual({
      unavailable: '_debugLog is declared 0 times, expected once',
    });
    const noBuilders = GLUE.replaceAll('_liftFlatRecord', 'makeRecord');
    expect(memoizeLiftBuilders(noBuilders)).toEqual({ unavailable: 'no lift or lower builder inside a trampoline' });
  });
});
