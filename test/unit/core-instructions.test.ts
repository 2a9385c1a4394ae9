// The one reader of core module code (table writes, the preview1 memory
// rewrite): every instruction of every body read, immediates included, so
// that each body ends exactly where its size says; and an opcode it was not
// written for named, never guessed past.
import { parse } from '@bytecodealliance/jco';
import { describe, expect, it } from 'vitest';
import { CodeReader, skipInstruction, skipLocals, UnknownInstruction } from '../../src/runtime/core-instructions.ts';
import { readSections, SECTION } from '../../src/runtime/core-module-sections.ts';
import { virtualizeMemorySize } from '../../src/runtime/virtual-memory-size.ts';

const wasm = async (wat: string): Promise<Uint8Array> => new Uint8Array(await parse(wat));

/** Both exception-handling encodings, atomics, tail calls, typed references, bulk memory, SIMD. */
const PROPOSALS = `(module
  (memory 1 1 shared) (table $t 1 funcref) (tag $e (param i32))
  (type $v (func)) (type $ii (func (param i32) (result i32)))
  (func $legacy (result i32)
    try (result i32) i32.const 1 throw $e catch $e catch_all i32.const 2 end)
  (func $delegating
    try $outer try call $legacy drop delegate $outer catch_all rethrow $outer end)
  (func $table (result i32)
    (block $h (result i32) (try_table (result i32) (catch $e $h) (catch_all $h) (i32.const 3))))
  (func $refs (param $f (ref null $ii)) (result i32)
    (block $null (br_on_null $null (local.get $f)) (drop)) (i32.const 0)
    (return_call_ref $ii (local.get $f)))
  (func $atomics (result i32)
    (atomic.fence)
    (drop (i32.atomic.rmw.add offset=8 (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
    (i32.atomic.load (i32.const 4)))
  (func $tail (result i32) (return_call $atomics))
  (func $more (param i32) (result i32)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 1))
    (drop (i8x16.relaxed_swizzle (v128.const i64x2 1 2) (v128.const i64x2 3 4)))
    (drop (memory.grow (i32.const 0)))
    (return_call_indirect $t (type $ii) (local.get 0) (i32.const 0))))`;

/** Each function body read to its end: where the reader stopped, and the body's end. */
function readBodies(module: Uint8Array): { stoppedAt: number; end: number; last: number | undefined }[] {
  const code = readSections(module).find((section) => section.id === SECTION.code)?.body;
  if (!code) throw new Error('no code section');
  const reader = new CodeReader(code);
  const bodies = [];
  for (let count = reader.u32(), i = 0; i < count; i++) {
    const end = reader.u32() + reader.pos;
    skipLocals(reader);
    while (reader.pos < end) skipInstruction(reader);
    bodies.push({ stoppedAt: reader.pos, end, last: code[end - 1] });
    reader.pos = end;
  }
  return bodies;
}

describe('the core instruction reader', () => {
  it('reads each body of a module using many proposals exactly to its end', async () => {
    const bodies = readBodies(await wasm(PROPOSALS));
    expect(bodies).toHaveLength(7);
    for (const body of bodies) expect(body).toEqual({ stoppedAt: body.end, end: body.end, last: 0x0b });
  });

  it('names an opcode it was not written for (here a GC one) instead of reading past it', async () => {
    const module = await wasm('(module (type $s (struct (field i32))) (func (drop (struct.new $s (i32.const 1)))))');
    expect(() => readBodies(module)).toThrow(UnknownInstruction);
    expect(() => readBodies(module)).toThrow(/^opcode 0xfb at byte \d+$/);
  });

  it('lets the preview1 memory rewrite read code with exceptions (it once refused it), every body kept whole', async () => {
    const rewritten = virtualizeMemorySize(await wasm(PROPOSALS.replace('(memory 1 1 shared)', '(memory 1)')));
    expect(rewritten).toBeInstanceOf(Uint8Array);
    const bodies = readBodies(rewritten as Uint8Array);
    expect(bodies).toHaveLength(9); // the module's 7 and the two appended (size, grow)
    for (const body of bodies) expect(body.stoppedAt).toBe(body.end);
  });
});
