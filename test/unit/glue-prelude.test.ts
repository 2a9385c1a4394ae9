// The prelude put in front of cached jco glue: the glue's WebAssembly is the
// real one except for a lazy `promising`, and its globalThis the real one
// except for a process.env read once.
import { runInThisContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { GLUE_PRELUDE } from '../../src/runtime/glue-prelude.ts';

/** Evaluates the prelude as the glue's module scope would see it (vm, as glue-code-cache.ts runs glue). */
function preludeScope(): typeof WebAssembly {
  return runInThisContext(`(function () {${GLUE_PRELUDE}\nreturn WebAssembly;})()`) as typeof WebAssembly;
}

interface GlueGlobal {
  readonly process: { readonly env: Record<string, string | undefined> };
  readonly WebAssembly: typeof WebAssembly;
  readonly setTimeout: unknown;
}

function preludeGlobal(): GlueGlobal {
  return runInThisContext(`(function () {${GLUE_PRELUDE}\nreturn globalThis;})()`) as GlueGlobal;
}

describe('glue prelude', () => {
  it('leaves every other WebAssembly API untouched, and the global alone', () => {
    const scoped = preludeScope();
    expect(scoped).not.toBe(globalThis.WebAssembly);
    expect(scoped.Module).toBe(globalThis.WebAssembly.Module);
    expect(scoped.Global).toBe(globalThis.WebAssembly.Global);
    expect(scoped.instantiate).toBe(globalThis.WebAssembly.instantiate);
    expect(new scoped.Global({ value: 'i32', mutable: true }, 7).value).toBe(7);
    expect((globalThis.WebAssembly as { promising?: unknown }).promising).not.toBe(
      (scoped as { promising?: unknown }).promising,
    );
  });

  it('builds the promising wrapper only when it is first called', () => {
    const real = (globalThis.WebAssembly as { promising?: unknown }).promising;
    let built = 0;
    Object.defineProperty(globalThis.WebAssembly, 'promising', {
      value: () => (built++, () => 'wrapped'),
      configurable: true,
      writable: true,
    });
    try {
      const scoped = preludeScope() as unknown as { promising(fn: () => string): () => string };
      const lazy = scoped.promising(() => 'raw');
      expect(built).toBe(0);
      expect(lazy()).toBe('wrapped');
      expect(lazy()).toBe('wrapped');
      expect(built).toBe(1);
    } finally {
      Object.defineProperty(globalThis.WebAssembly, 'promising', { value: real, configurable: true, writable: true });
    }
  });

  it('falls back to the function itself where promising is unavailable, as the glue does', () => {
    const real = (globalThis.WebAssembly as { promising?: unknown }).promising;
    Object.defineProperty(globalThis.WebAssembly, 'promising', {
      value: undefined,
      configurable: true,
      writable: true,
    });
    try {
      const scoped = preludeScope() as unknown as { promising(fn: (x: number) => number): (x: number) => number };
      expect(scoped.promising((x) => x + 1)(41)).toBe(42);
    } finally {
      Object.defineProperty(globalThis.WebAssembly, 'promising', { value: real, configurable: true, writable: true });
    }
  });

  it('reads JCO_DEBUG once instead of on every host call, and shows the rest of the real global', () => {
    process.env['JCO_DEBUG'] = '1';
    try {
      const scoped = preludeGlobal();
      delete process.env['JCO_DEBUG'];
      expect(scoped.process.env['JCO_DEBUG']).toBe('1'); // the value when the glue was loaded
      expect(Object.keys(scoped.process.env)).toEqual(['JCO_DEBUG']); // nothing else of the environment
      expect(scoped.WebAssembly).toBe(globalThis.WebAssembly);
      expect(scoped.setTimeout).toBe(globalThis.setTimeout);
      expect(scoped).not.toBe(globalThis);
    } finally {
      delete process.env['JCO_DEBUG'];
    }
    expect(preludeGlobal().process.env['JCO_DEBUG']).toBeUndefined();
  });
});
