// Whether a core module's code can change a table (table.set, table.grow,
// table.fill, table.copy, table.init), found by reading every instruction of
// its code section. Resetting a per-request instance compares every table
// element with the snapshot only when some module of the component can
// change a table: for a large component that is thousands of elements per
// request (7,777 for StarlingMonkey, about 0.9 ms).
//
// An instruction this reader does not know (a proposal it was not written
// for) counts as a possible write: the answer is only ever "no" when every
// instruction was read.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSections, SECTION } from './core-module-sections.js';

class MayWrite extends Error {}

/** Reads instructions in place (no allocation per immediate: a large module has millions). */
class Cursor {
  pos: number;
  readonly #code: Uint8Array;
  constructor(code: Uint8Array, pos: number) {
    this.#code = code;
    this.pos = pos;
  }
  byte(): number {
    const byte = this.#code[this.pos++];
    if (byte === undefined) throw new RangeError('truncated code section');
    return byte;
  }
  peek(): number | undefined {
    return this.#code[this.pos];
  }
  u32(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
  }
  /** Any LEB128, signed or not, of any length. */
  skipLeb(): void {
    while (this.byte() & 0x80);
  }
  skip(bytes: number): void {
    this.pos += bytes;
  }
}

export function mayWriteTables(module: Uint8Array): boolean {
  const code = readSections(module).find((section) => section.id === SECTION.code)?.body;
  if (!code) return false;
  try {
    const cursor = new Cursor(code, 0);
    const count = cursor.u32();
    for (let i = 0; i < count; i++) {
      const size = cursor.u32();
      const end = cursor.pos + size;
      scanBody(cursor, end);
      cursor.pos = end;
    }
    return false;
  } catch (err) {
    if (err instanceof MayWrite || err instanceof RangeError) return true;
    throw err;
  }
}

function scanBody(cursor: Cursor, end: number): void {
  const locals = cursor.u32();
  for (let i = 0; i < locals; i++) {
    cursor.u32();
    skipValType(cursor);
  }
  while (cursor.pos < end) skipInstruction(cursor);
}

function skipValType(cursor: Cursor): void {
  const byte = cursor.byte();
  if (byte === 0x63 || byte === 0x64) cursor.skipLeb();
}

/** A block type: empty, a value type, or a type index (signed LEB). */
function skipBlockType(cursor: Cursor): void {
  const byte = cursor.peek();
  if (byte === 0x63 || byte === 0x64) {
    cursor.skip(1);
    cursor.skipLeb();
  } else {
    cursor.skipLeb();
  }
}

/** memarg: alignment (bit 6: a memory index follows), offset. */
function skipMemarg(cursor: Cursor): void {
  const align = cursor.u32();
  if (align & 0x40) cursor.skipLeb();
  cursor.skipLeb();
}

function unknown(what: string): never {
  throw new MayWrite(what);
}

function skipInstruction(cursor: Cursor): void {
  const op = cursor.byte();
  if (op >= 0x45 && op <= 0xc4) return; // numeric, no immediates
  if (op >= 0x28 && op <= 0x3e) return skipMemarg(cursor); // loads and stores
  switch (op) {
    case 0x00: // unreachable
    case 0x01: // nop
    case 0x05: // else
    case 0x0a: // throw_ref
    case 0x0b: // end
    case 0x0f: // return
    case 0x19: // catch_all
    case 0x1a: // drop
    case 0x1b: // select
    case 0xd1: // ref.is_null
    case 0xd3: // ref.eq
    case 0xd4: // ref.as_non_null
      return;
    case 0x02: // block
    case 0x03: // loop
    case 0x04: // if
    case 0x06: // try
      return skipBlockType(cursor);
    case 0x07: // catch
    case 0x08: // throw
    case 0x09: // rethrow
    case 0x0c: // br
    case 0x0d: // br_if
    case 0x10: // call
    case 0x12: // return_call
    case 0x14: // call_ref
    case 0x15: // return_call_ref
    case 0x18: // delegate
    case 0x20: // local.get
    case 0x21: // local.set
    case 0x22: // local.tee
    case 0x23: // global.get
    case 0x24: // global.set
    case 0x25: // table.get
    case 0x3f: // memory.size
    case 0x40: // memory.grow
    case 0xd2: // ref.func
    case 0xd5: // br_on_null
    case 0xd6: // br_on_non_null
    case 0x41: // i32.const
    case 0x42: // i64.const
    case 0xd0: // ref.null
      return cursor.skipLeb();
    case 0x11: // call_indirect
    case 0x13: // return_call_indirect
      cursor.skipLeb();
      return cursor.skipLeb();
    case 0x0e: {
      // br_table
      const targets = cursor.u32();
      for (let i = 0; i <= targets; i++) cursor.skipLeb();
      return;
    }
    case 0x1c: {
      // select with types
      const types = cursor.u32();
      for (let i = 0; i < types; i++) skipValType(cursor);
      return;
    }
    case 0x1f: {
      // try_table: block type, then catch clauses (kind, [tag], label)
      skipBlockType(cursor);
      const clauses = cursor.u32();
      for (let i = 0; i < clauses; i++) {
        if (cursor.byte() <= 0x01) cursor.skipLeb();
        cursor.skipLeb();
      }
      return;
    }
    case 0x26:
      throw new MayWrite('table.set');
    case 0x43:
      return cursor.skip(4);
    case 0x44:
      return cursor.skip(8);
    case 0xfc:
      return skipMiscInstruction(cursor);
    case 0xfd:
      return skipSimdInstruction(cursor);
    case 0xfe:
      return skipAtomicInstruction(cursor);
    default:
      return unknown(`opcode 0x${op.toString(16)}`);
  }
}

function skipMiscInstruction(cursor: Cursor): void {
  const sub = cursor.u32();
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: // memory.init
    case 10: // memory.copy
      cursor.skipLeb();
      return cursor.skipLeb();
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 16: // table.size
      return cursor.skipLeb();
    case 12:
    case 14:
    case 15:
    case 17:
      throw new MayWrite('table.init, table.copy, table.grow or table.fill');
    default:
      return unknown(`0xfc ${sub}`);
  }
}

function skipSimdInstruction(cursor: Cursor): void {
  const op = cursor.u32();
  if (op <= 11 || op === 92 || op === 93) return skipMemarg(cursor);
  if (op >= 84 && op <= 91) {
    skipMemarg(cursor); // load/store lane, then the lane
    return cursor.skip(1);
  }
  if (op === 12 || op === 13) return cursor.skip(16); // v128.const, i8x16.shuffle
  if (op >= 21 && op <= 34) return cursor.skip(1); // extract/replace lane
  if (op <= 0x113) return; // everything else, relaxed SIMD included: no immediates
  return unknown(`0xfd ${op}`);
}

function skipAtomicInstruction(cursor: Cursor): void {
  const sub = cursor.u32();
  if (sub === 0x03) return cursor.skip(1); // atomic.fence
  if (sub <= 0x4e) return skipMemarg(cursor);
  return unknown(`0xfe ${sub}`);
}

const RECORD = 'table-writes.json';

/**
 * Whether any of a transpiled component's core modules can change a table,
 * read once per component and node: the answer is kept beside the
 * component's transpiled files (reading a 12 MB module takes ~0.2 s).
 */
export async function componentWritesTables(dir: string, coreModules: readonly string[]): Promise<boolean> {
  const record = join(dir, RECORD);
  const known: Record<string, boolean> = await readFile(record, 'utf8')
    .then((text) => JSON.parse(text) as Record<string, boolean>)
    .catch(() => ({})); // no record yet, or a torn one: every verdict is reached again
  let changed = false;
  for (const name of coreModules) {
    if (typeof known[name] === 'boolean') continue;
    known[name] = mayWriteTables(await readFile(join(dir, name)));
    changed = true;
  }
  if (changed) {
    const temp = `${record}.${process.pid}.tmp`;
    // A record that cannot be kept only costs reading the modules again next time.
    await writeFile(temp, JSON.stringify(known))
      .then(() => rename(temp, record))
      .catch(() => rm(temp, { force: true }));
  }
  return coreModules.some((name) => known[name] !== false);
}
