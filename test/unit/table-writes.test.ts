// Reading a core module's code for instructions that change tables: every
// instruction is read (immediates included), a write is found wherever it
// is, and anything unknown counts as a possible write.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { componentWritesTables, mayWriteTables } from '../../src/runtime/table-writes.ts';

const wasm = async (wat: string): Promise<Uint8Array> => new Uint8Array(await parse(wat));

/** Instructions of many kinds, immediates that look like table opcodes (0x26 = 38) included. */
const BUSY = `
  (memory 1) (table $t 2 funcref) (global $g (mut i32) (i32.const 38))
  (type $sig (func (param i32) (result i32)))
  (data $d "x")
  (func $f (type $sig) (local $l i64) (local v128)
    (block $out (result i32)
      (loop $again
        (br_if $again (i32.eqz (i32.const 38)))
        (br_table $out $out (i32.const 38) (local.get 0)))
      (i32.const 38))
    (drop (call_indirect $t (type $sig) (i32.const 0) (i32.const 1)))
    (local.set $l (i64.const 0x2626262626))
    (drop (f32.const 38.38)) (drop (f64.const 38.38))
    (i32.store offset=38 align=2 (i32.const 0) (i32.const 38))
    (memory.copy (i32.const 0) (i32.const 1) (i32.const 38))
    (memory.fill (i32.const 0) (i32.const 38) (i32.const 1))
    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))
    (data.drop $d)
    (drop (table.size $t)) (drop (table.get $t (i32.const 0)))
    (drop (i32x4.extract_lane 3 (v128.const i32x4 38 38 38 38)))
    (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (v128.const i64x2 0 0) (v128.const i64x2 0 0)))
    (drop (v128.load32_lane offset=38 1 (i32.const 0) (v128.const i64x2 0 0)))
    (drop (select (result i32) (i32.const 1) (i32.const 2) (i32.const 38)))
    (drop (ref.is_null (ref.null func)))
    (drop (i32.trunc_sat_f32_s (f32.const 1)))
    (global.get $g))
  (elem declare func $f)`;

describe('mayWriteTables', () => {
  it('reads past every kind of immediate without seeing a write that is not there', async () => {
    expect(mayWriteTables(await wasm(`(module ${BUSY})`))).toBe(false);
  });

  it.each([
    ['table.set', '(table.set $t (i32.const 0) (ref.null func))'],
    ['table.grow', '(drop (table.grow $t (ref.null func) (i32.const 1)))'],
    ['table.fill', '(table.fill $t (i32.const 0) (ref.null func) (i32.const 1))'],
    ['table.copy', '(table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1))'],
    ['table.init', '(table.init $t $e (i32.const 0) (i32.const 0) (i32.const 1))'],
  ])('finds %s after all of that', async (_name, write) => {
    const module = await wasm(`(module ${BUSY} (elem $e funcref (ref.func $f)) (func ${write}))`);
    expect(mayWriteTables(module)).toBe(true);
  });

  it('counts an instruction it does not know (here a GC one) as a possible write', async () => {
    const module = await wasm(`(module (type $s (struct (field i32))) (func (drop (struct.new $s (i32.const 1)))))`);
    expect(mayWriteTables(module)).toBe(true);
  });

  it('keeps its answers beside the component: read once, then taken from the record', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'table-writes-'));
    try {
      await writeFile(join(dir, 'a.wasm'), await wasm(`(module ${BUSY})`));
      await writeFile(
        join(dir, 'b.wasm'),
        await wasm(`(module (table 1 funcref) (func (table.set 0 (i32.const 0) (ref.null func))))`),
      );
      expect(await componentWritesTables(dir, ['a.wasm'])).toBe(false);
      expect(await componentWritesTables(dir, ['a.wasm', 'b.wasm'])).toBe(true);
      expect(JSON.parse(await readFile(join(dir, 'table-writes.json'), 'utf8'))).toEqual({
        'a.wasm': false,
        'b.wasm': true,
      });
      await writeFile(join(dir, 'a.wasm'), 'replaced: the record answers without reading it');
      expect(await componentWritesTables(dir, ['a.wasm'])).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
