// Core modules get their instance state exported under reserved names (for
// resetting per-request instances), with the index spaces counted right
// past imports, and everything else about the module unchanged.
import { parse } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { exportInstanceState } from '../../src/runtime/reset-exports.ts';
import { capLinearMemory } from '../../src/runtime/memory-ceiling.ts';

async function wasm(wat: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await parse(wat));
}

function rewritten(module: Uint8Array): Uint8Array<ArrayBuffer> {
  const result = exportInstanceState(module);
  if ('unavailable' in result) throw new Error(result.unavailable);
  return result.module;
}

const reserved = (module: WebAssembly.Module): string[] =>
  WebAssembly.Module.exports(module)
    .filter((e) => e.name.startsWith('nomad-reset:'))
    .map((e) => `${e.name} ${e.kind}`)
    .sort();

describe('exportInstanceState', () => {
  it('exports defined mutable globals, tables and memories, indexed after the imported ones', async () => {
    const source = await wasm(`(module
      (import "env" "g" (global $ig (mut i32)))
      (import "env" "t" (table $it 1 funcref))
      (import "env" "m" (memory $im 1))
      (global $counter (mut i32) (i32.const 7))
      (global $constant i64 (i64.const 9))
      (global $wide (mut f64) (f64.const 1.5))
      (table $t 3 funcref)
      (memory $m 2)
      (func $f (export "f") (result i32) (global.get $counter))
      (export "mem" (memory $m)))`);
    const module = await WebAssembly.compile(rewritten(source));
    expect(reserved(module)).toEqual([
      'nomad-reset:global:1 global',
      'nomad-reset:global:3 global',
      'nomad-reset:memory:1 memory',
      'nomad-reset:table:1 table',
    ]);
    const env = {
      g: new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
      t: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }),
      m: new WebAssembly.Memory({ initial: 1 }),
    };
    const instance = await WebAssembly.instantiate(module, { env });
    const exports = instance.exports as Record<string, unknown>;
    expect((exports['nomad-reset:global:1'] as WebAssembly.Global).value).toBe(7);
    expect((exports['nomad-reset:global:3'] as WebAssembly.Global).value).toBe(1.5);
    expect(exports['nomad-reset:memory:1']).toBe(exports['mem']);
    expect((exports['nomad-reset:table:1'] as WebAssembly.Table).length).toBe(3);
    (exports['nomad-reset:global:1'] as WebAssembly.Global).value = 42;
    expect((exports['f'] as () => number)()).toBe(42); // the same global, not a copy
  });

  it('adds an export section where the format wants one when the module has none', async () => {
    const source = await wasm(
      `(module (global $g (mut i32) (i32.const 1)) (func $f (global.set $g (i32.const 2))) (start $f) (data (i32.const 0) "x") (memory 1))`,
    );
    const module = await WebAssembly.compile(rewritten(source));
    expect(reserved(module)).toEqual(['nomad-reset:global:0 global', 'nomad-reset:memory:0 memory']);
    const instance = await WebAssembly.instantiate(module);
    expect(
      ((instance.exports as Record<string, WebAssembly.Global>)['nomad-reset:global:0'] as WebAssembly.Global).value,
    ).toBe(2);
  });

  it('reads past every kind of constant initialiser', async () => {
    const source = await wasm(`(module
      (import "env" "base" (global $base i32))
      (global (mut i32) (i32.add (global.get $base) (i32.const 5)))
      (global (mut i64) (i64.const -1))
      (global (mut f32) (f32.const 2.5))
      (global (mut funcref) (ref.null func))
      (global (mut funcref) (ref.func $f))
      (global v128 (v128.const i32x4 1 2 3 4))
      (global (mut i32) (i32.const 3))
      (func $f) (elem declare func $f))`);
    const module = await WebAssembly.compile(rewritten(source));
    expect(reserved(module)).toEqual(['1', '2', '3', '4', '5', '7'].map((i) => `nomad-reset:global:${i} global`));
  });

  it('refuses a mutable v128 global, which JavaScript cannot save', async () => {
    const source = await wasm(`(module (global (mut v128) (v128.const i32x4 0 0 0 0)))`);
    expect(exportInstanceState(source)).toEqual({
      unavailable: 'a mutable v128 global cannot be saved from JavaScript',
    });
  });

  it('leaves a module with nothing to save as it was', async () => {
    const source = await wasm(`(module (func (export "f")))`);
    expect(rewritten(source)).toEqual(source);
  });

  it('composes with the memory ceiling', async () => {
    const source = await wasm(`(module (memory (export "memory") 1) (global (mut i32) (i32.const 0)))`);
    const module = await WebAssembly.compile(rewritten(capLinearMemory(source, 3)));
    const memory = (await WebAssembly.instantiate(module)).exports['nomad-reset:memory:0'] as WebAssembly.Memory;
    expect(memory.grow(2)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
  });
});
