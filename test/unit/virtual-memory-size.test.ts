// The rewrite that gives an adapted WASI preview1 module a memory ending
// below the adapter's pages: memory.size/memory.grow of a real module,
// instantiated by V8, before and after.
import { parse } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import {
  hasVirtualMemoryLimit,
  setVirtualMemoryLimit,
  UnsupportedCode,
  virtualizeMemorySize,
} from '../../src/runtime/virtual-memory-size.ts';

// A module that asks the size, grows, writes to its last page and reads it back.
const PROBE = `(module
  (memory (export "memory") 2)
  (global $g (mut i32) (i32.const 7))
  (func (export "size") (result i32) memory.size)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "poke") (param i32) (i32.store (local.get 0) (i32.const 42)))
  (func (export "global") (result i32) global.get $g)
  (func (export "loop") (param i32) (result i32) (local i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (memory.size)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $next)))
    (local.get 1)))`;

interface Probe {
  memory: WebAssembly.Memory;
  size(): number;
  grow(pages: number): number;
  poke(address: number): void;
  global(): number;
  loop(times: number): number;
}

async function instantiate(bytes: Uint8Array): Promise<Probe> {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  return new WebAssembly.Instance(module).exports as unknown as Probe;
}

describe('virtualizeMemorySize', () => {
  it('shows the module its own pages and stops it at the limit, above which others may grow', async () => {
    const original = await parse(PROBE);
    const virtualized = virtualizeMemorySize(original);
    if (!virtualized) throw new Error('expected a rewrite');
    expect(hasVirtualMemoryLimit(virtualized)).toBe(true);
    const probe = await instantiate(setVirtualMemoryLimit(virtualized, 5));
    expect(probe.size()).toBe(2);
    expect(probe.grow(2)).toBe(2); // old size, as memory.grow answers
    expect(probe.size()).toBe(4);
    expect(probe.memory.buffer.byteLength).toBe(4 * 65536); // grown for real as needed
    probe.poke(4 * 65536 - 4);
    expect(probe.grow(2)).toBe(-1); // 6 > the limit of 5
    expect(probe.grow(1)).toBe(4);
    expect(probe.size()).toBe(5);
    // Something else (the adapter) grows the real memory: the module does not see those pages.
    probe.memory.grow(2);
    expect(probe.size()).toBe(5);
    expect(probe.grow(1)).toBe(-1);
    // Code that did not touch memory is unchanged.
    expect(probe.global()).toBe(7);
    expect(probe.loop(3)).toBe(15);
  });

  it('uses pages already there without growing the real memory again', async () => {
    const virtualized = virtualizeMemorySize(await parse(PROBE));
    if (!virtualized) throw new Error('expected a rewrite');
    const probe = await instantiate(setVirtualMemoryLimit(virtualized, 8));
    probe.memory.grow(6); // pre-grown to the limit, as the preview1 adapter path does
    expect(probe.size()).toBe(2);
    expect(probe.grow(6)).toBe(2);
    expect(probe.memory.buffer.byteLength).toBe(8 * 65536);
  });

  it('leaves a module that never asks about its memory alone', async () => {
    expect(virtualizeMemorySize(await parse('(module (memory 1) (func (export "f") (result i32) i32.const 1))'))).toBe(
      false,
    );
  });

  it('fails loudly on code it does not decode, instead of guessing past it', async () => {
    const module = new Uint8Array(
      await parse('(module (memory 1) (func (export "f") (result i32) i32.const 9 memory.size i32.add))'),
    );
    // i32.const 9 (0x41 0x09) becomes 0xfb 0x09: an opcode of the GC proposal, which the walker does not know.
    const at = module.findIndex((byte, i) => byte === 0x41 && module[i + 1] === 0x09);
    module[at] = 0xfb;
    expect(() => virtualizeMemorySize(module)).toThrow(/opcode 0xfb/);
  });

  it('refuses to set a limit on a module it did not make', async () => {
    const module = new Uint8Array(await parse(PROBE));
    expect(() => setVirtualMemoryLimit(module, 4)).toThrow(UnsupportedCode);
  });
});
