// Reading a core module's function bodies one instruction at a time, every
// immediate included, for the two passes that look inside code: which
// modules can write a table (table-writes.ts) and the memory.size/grow
// rewrite of WASI preview1 modules (virtual-memory-size.ts). One reader, so
// both know the same instructions: MVP, sign extension, saturating
// truncation, bulk memory, reference types, tail calls, typed function
// references, SIMD (relaxed included), threads and both exception-handling
// encodings. Anything else (GC, stringref, a proposal yet to come) throws
// UnknownInstruction: a caller decides what not knowing means, nothing is
// guessed past.

/** An opcode this reader was not written for; the message names it. */
export class UnknownInstruction extends Error {}

/** Reads in place (no allocation per immediate: a large module has millions). */
export class CodeReader {
  pos: number;
  readonly #code: Uint8Array;

  constructor(code: Uint8Array, pos = 0) {
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

/** A value type: one byte, or a (nullable) reference to a heap type. */
export function skipValType(reader: CodeReader): void {
  const byte = reader.byte();
  if (byte === 0x63 || byte === 0x64) reader.skipLeb();
}

/** The local declarations at the start of a function body. */
export function skipLocals(reader: CodeReader): void {
  const groups = reader.u32();
  for (let i = 0; i < groups; i++) {
    reader.u32();
    skipValType(reader);
  }
}

/** Moves past the instruction at the reader's position. */
export function skipInstruction(reader: CodeReader): void {
  const op = reader.byte();
  if (op >= 0x45 && op <= 0xc4) return; // numeric, no immediates
  if (op >= 0x28 && op <= 0x3e) return skipMemarg(reader); // loads and stores
  if (NO_IMMEDIATE.has(op)) return;
  if (ONE_IMMEDIATE.has(op)) return reader.skipLeb();
  switch (op) {
    case 0x02: // block
    case 0x03: // loop
    case 0x04: // if
    case 0x06: // try
      return skipBlockType(reader);
    case 0x11: // call_indirect
    case 0x13: // return_call_indirect
      reader.skipLeb();
      return reader.skipLeb();
    case 0x0e: // br_table
      return skipVec(reader, 1, () => reader.skipLeb());
    case 0x1c: // select with types
      return skipVec(reader, 0, () => skipValType(reader));
    case 0x1f: // try_table: block type, then catch clauses (kind, [tag], label)
      skipBlockType(reader);
      return skipVec(reader, 0, () => {
        if (reader.byte() <= 0x01) reader.skipLeb();
        reader.skipLeb();
      });
    case 0x43: // f32.const
      return reader.skip(4);
    case 0x44: // f64.const
      return reader.skip(8);
    case 0xfc:
      return skipMiscInstruction(reader);
    case 0xfd:
      return skipSimdInstruction(reader);
    case 0xfe:
      return skipAtomicInstruction(reader);
    default:
      throw new UnknownInstruction(`opcode 0x${op.toString(16)} at byte ${reader.pos - 1}`);
  }
}

// unreachable, nop, else, throw_ref, end, return, catch_all, drop, select,
// ref.is_null, ref.eq, ref.as_non_null
const NO_IMMEDIATE = new Set([0x00, 0x01, 0x05, 0x0a, 0x0b, 0x0f, 0x19, 0x1a, 0x1b, 0xd1, 0xd3, 0xd4]);

// catch, throw, rethrow, br, br_if, call, return_call, call_ref,
// return_call_ref, delegate, local.get/set/tee, global.get/set, table.get,
// table.set, memory.size, memory.grow, i32.const, i64.const, ref.null,
// ref.func, br_on_null, br_on_non_null: one LEB128 each
const ONE_IMMEDIATE = new Set([
  0x07, 0x08, 0x09, 0x0c, 0x0d, 0x10, 0x12, 0x14, 0x15, 0x18, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40,
  0x41, 0x42, 0xd0, 0xd2, 0xd5, 0xd6,
]);

/** A count, then that many items (br_table has one more: its default label). */
function skipVec(reader: CodeReader, extra: number, item: () => void): void {
  const count = reader.u32() + extra;
  for (let i = 0; i < count; i++) item();
}

/** A block type: empty, a value type, or a type index (signed LEB). */
function skipBlockType(reader: CodeReader): void {
  const byte = reader.peek();
  if (byte === 0x63 || byte === 0x64) {
    reader.skip(1);
    reader.skipLeb();
  } else {
    reader.skipLeb();
  }
}

/** memarg: alignment (bit 6: a memory index follows), offset. */
function skipMemarg(reader: CodeReader): void {
  const align = reader.u32();
  if (align & 0x40) reader.skipLeb();
  reader.skipLeb();
}

function skipMiscInstruction(reader: CodeReader): void {
  const sub = reader.u32();
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: // memory.init
    case 10: // memory.copy
    case 12: // table.init
    case 14: // table.copy
      reader.skipLeb();
      return reader.skipLeb();
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 15: // table.grow
    case 16: // table.size
    case 17: // table.fill
      return reader.skipLeb();
    default:
      throw new UnknownInstruction(`opcode 0xfc ${sub}`);
  }
}

function skipSimdInstruction(reader: CodeReader): void {
  const op = reader.u32();
  if (op <= 11 || op === 92 || op === 93) return skipMemarg(reader);
  if (op >= 84 && op <= 91) {
    skipMemarg(reader); // load/store lane, then the lane
    return reader.skip(1);
  }
  if (op === 12 || op === 13) return reader.skip(16); // v128.const, i8x16.shuffle
  if (op >= 21 && op <= 34) return reader.skip(1); // extract/replace lane
  if (op <= 0x113) return; // everything else, relaxed SIMD included: no immediates
  throw new UnknownInstruction(`opcode 0xfd ${op}`);
}

function skipAtomicInstruction(reader: CodeReader): void {
  const sub = reader.u32();
  if (sub === 0x03) return reader.skip(1); // atomic.fence
  if (sub <= 0x4e) return skipMemarg(reader);
  throw new UnknownInstruction(`opcode 0xfe ${sub}`);
}
