// Gives a core module a view of its linear memory that ends below a limit:
// every `memory.size` and `memory.grow` of memory 0 in its code becomes a
// call to one of two functions appended to the module, which count the
// module's own pages in a global and grow the real memory only up to that
// limit. The pages above the limit are then invisible to the module, and
// something else sharing the memory (the WASI preview1 adapter's stack and
// state: preview1-adapter.ts) can live there without the module's runtime
// taking them for its heap.
//
// Appending functions, globals and types keeps every existing index; only
// function bodies that hold one of the two instructions are re-encoded. The
// code is walked instruction by instruction (core-instructions.ts): an opcode
// the reader does not know fails loudly rather than being guessed past.
import {
  readSections,
  readU32,
  readUleb,
  SECTION,
  skipLeb,
  withSection,
  writeModule,
  writeUleb,
  type Section,
} from './core-module-sections.js';
import {
  CodeReader,
  skipInstruction,
  skipLocals,
  skipValType as skipValTypeAt,
  UnknownInstruction,
} from './core-instructions.js';

/** The init value of the limit global until setVirtualMemoryLimit patches it (no page count is this large). */
const LIMIT_SENTINEL = 0x7e57_0001;

export class UnsupportedCode extends Error {}

/** The module with memory.size/memory.grow virtualized; false when it uses neither. */
export function virtualizeMemorySize(module: Uint8Array): Uint8Array | false {
  const sections = readSections(module);
  const counts = indexSpaces(sections);
  const sizeFunc = counts.functions;
  const growFunc = counts.functions + 1;
  const pagesGlobal = counts.globals;
  const limitGlobal = counts.globals + 1;
  const code = sections.find((s) => s.id === SECTION.code);
  if (!code) return false;
  const rewritten = rewriteCode(code.body, sizeFunc, growFunc);
  if (!rewritten) return false;
  const initialPages = definedMemoryMin(sections);
  const type = appendVec(sections, SECTION.type, [
    [0x60, 0x00, 0x01, 0x7f], // () -> i32
    [0x60, 0x01, 0x7f, 0x01, 0x7f], // (i32) -> i32
  ]);
  const sizeType = counts.types;
  const growType = counts.types + 1;
  const functions = appendVec(sections, SECTION.function, [writeUleb(sizeType), writeUleb(growType)]);
  const globals = appendVec(sections, SECTION.global, [
    [0x7f, 0x01, 0x41, ...writeSleb(initialPages), 0x0b], // mut i32 = the module's initial pages
    [0x7f, 0x01, 0x41, ...writeSleb(LIMIT_SENTINEL), 0x0b], // mut i32 = the limit, patched per ceiling
  ]);
  const codeSection = appendVec([{ id: SECTION.code, body: rewritten }], SECTION.code, [
    withSize(sizeBody(pagesGlobal)),
    withSize(growBody(pagesGlobal, limitGlobal)),
  ]);
  let out: Section[] = sections;
  for (const section of [type, functions, globals, codeSection]) out = withSection(out, section);
  return writeModule(module, out);
}

const SENTINEL_INIT = Uint8Array.from([0x41, ...writeSleb(LIMIT_SENTINEL), 0x0b]);

/** Whether this is a module virtualizeMemorySize made (its limit not yet set). */
export function hasVirtualMemoryLimit(module: Uint8Array): boolean {
  const global = readSections(module).find((s) => s.id === SECTION.global);
  return global !== undefined && lastIndexOf(global.body, SENTINEL_INIT) >= 0;
}

/** Sets the page limit of a module virtualizeMemorySize made; throws if it is not one. */
export function setVirtualMemoryLimit(module: Uint8Array, pages: number): Uint8Array<ArrayBuffer> {
  const sections = readSections(module);
  const global = sections.find((s) => s.id === SECTION.global);
  const sentinel = SENTINEL_INIT;
  const at = global ? lastIndexOf(global.body, sentinel) : -1;
  if (!global || at < 0) throw new UnsupportedCode('the module has no virtual memory limit to set');
  const body = Uint8Array.from([
    ...global.body.subarray(0, at),
    0x41,
    ...writeSleb(pages),
    0x0b,
    ...global.body.subarray(at + sentinel.length),
  ]);
  return writeModule(module, withSection(sections, { id: SECTION.global, body }));
}

/** The opcodes the two appended functions use. */
const OP = {
  if: 0x04,
  end: 0x0b,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Const: 0x41,
  memorySize: 0x3f,
  memoryGrow: 0x40,
  i32Eq: 0x46,
  i32GtU: 0x4b,
  i32Add: 0x6a,
  i32Sub: 0x6b,
} as const;
const I32 = 0x7f;
const NO_RESULT = 0x40;
const MINUS_ONE = 0x7f; // -1 as a signed LEB128

// $size: () -> i32 = the module's page count.
function sizeBody(pages: number): number[] {
  return [0x00, OP.globalGet, ...writeUleb(pages), OP.end];
}

// $grow: (n) -> old page count, or -1 past the limit (memory.grow's contract).
// Real pages are grown only when the module reaches beyond the real size.
function growBody(pages: number, limit: number): number[] {
  const n = [OP.localGet, 0];
  const next = [OP.localGet, 1];
  const global = (index: number): number[] => [OP.globalGet, ...writeUleb(index)];
  const returnMinusOne = [OP.if, NO_RESULT, OP.i32Const, MINUS_ONE, OP.return, OP.end];
  const realSize = [OP.memorySize, 0x00];
  // prettier-ignore
  return [
    0x01, 0x01, I32, // one local: next
    ...n, ...global(limit), ...global(pages), OP.i32Sub, OP.i32GtU, ...returnMinusOne, // n > limit - pages
    ...global(pages), ...n, OP.i32Add, OP.localSet, 1, // next = pages + n
    ...next, ...realSize, OP.i32GtU, OP.if, NO_RESULT, // next > real size:
    ...next, ...realSize, OP.i32Sub, OP.memoryGrow, 0x00, OP.i32Const, MINUS_ONE, OP.i32Eq, ...returnMinusOne, // grow the rest
    OP.end,
    ...global(pages), ...next, OP.globalSet, ...writeUleb(pages), // return pages; pages = next
    OP.end,
  ];
}

interface IndexSpaces {
  readonly types: number;
  readonly functions: number;
  readonly globals: number;
}

/** Sizes of the index spaces (imports included) the appended items extend. */
function indexSpaces(sections: readonly Section[]): IndexSpaces {
  let functions = 0;
  let globals = 0;
  const imports = sections.find((s) => s.id === SECTION.import);
  if (imports) {
    let pos = 0;
    const count = readU32(imports.body, pos);
    pos = count.next;
    for (let i = 0; i < count.value; i++) {
      for (let name = 0; name < 2; name++) {
        const length = readU32(imports.body, pos);
        pos = length.next + length.value;
      }
      const kind = imports.body[pos++];
      if (kind === 0x00) {
        functions++;
        pos = readU32(imports.body, pos).next;
      } else if (kind === 0x01) pos = skipTableType(imports.body, pos);
      else if (kind === 0x02) pos = skipLimits(imports.body, pos);
      else if (kind === 0x03) {
        globals++;
        pos = skipValType(imports.body, pos) + 1;
      } else if (kind === 0x04) pos = readU32(imports.body, pos + 1).next;
      else throw new UnsupportedCode(`unknown import kind ${kind}`);
    }
  }
  const vecLength = (id: number): number => {
    const section = sections.find((s) => s.id === id);
    return section ? readU32(section.body, 0).value : 0;
  };
  return {
    types: vecLength(SECTION.type),
    functions: functions + vecLength(SECTION.function),
    globals: globals + vecLength(SECTION.global),
  };
}

function definedMemoryMin(sections: readonly Section[]): number {
  const memory = sections.find((s) => s.id === SECTION.memory);
  if (!memory || readU32(memory.body, 0).value !== 1)
    throw new UnsupportedCode('the module does not define exactly one linear memory');
  return Number(readUleb(memory.body, readU32(memory.body, 0).next + 1).value);
}

/** The section `id` with `items` appended to its vector (created when absent). */
function appendVec(sections: readonly Section[], id: number, items: readonly (readonly number[])[]): Section {
  const existing = sections.find((s) => s.id === id);
  const count = existing ? readU32(existing.body, 0) : { value: 0, next: 0 };
  const rest = existing ? existing.body.subarray(count.next) : new Uint8Array();
  return {
    id,
    body: Uint8Array.from([...writeUleb(count.value + items.length), ...rest, ...items.flat()]),
  };
}

function withSize(body: readonly number[]): number[] {
  return [...writeUleb(body.length), ...body];
}

/** The code section with memory.size/grow (memory 0) replaced by calls; undefined when it has none. */
function rewriteCode(code: Uint8Array, sizeFunc: number, growFunc: number): Uint8Array | undefined {
  const count = readU32(code, 0);
  let pos = count.next;
  const parts: Uint8Array[] = [code.subarray(0, pos)];
  let changed = false;
  for (let i = 0; i < count.value; i++) {
    const size = readU32(code, pos);
    const body = code.subarray(size.next, size.next + size.value);
    const replaced = rewriteBody(body, sizeFunc, growFunc);
    if (replaced) {
      changed = true;
      parts.push(Uint8Array.from(writeUleb(replaced.length)), replaced);
    } else parts.push(code.subarray(pos, size.next + size.value));
    pos = size.next + size.value;
  }
  if (!changed) return undefined;
  return Buffer.concat(parts);
}

function rewriteBody(body: Uint8Array, sizeFunc: number, growFunc: number): Uint8Array | undefined {
  const reader = new CodeReader(body);
  skipLocals(reader);
  const pieces: Uint8Array[] = [];
  let copied = 0;
  while (reader.pos < body.length) {
    const pos = reader.pos;
    const opcode = body[pos] as number;
    if ((opcode === 0x3f || opcode === 0x40) && body[pos + 1] === 0x00) {
      pieces.push(
        body.subarray(copied, pos),
        Uint8Array.from([0x10, ...writeUleb(opcode === 0x3f ? sizeFunc : growFunc)]),
      );
      reader.pos = pos + 2;
      copied = reader.pos;
    } else skipCodeInstruction(reader);
  }
  if (copied === 0) return undefined;
  pieces.push(body.subarray(copied));
  return Buffer.concat(pieces);
}

/** The shared reader's step, its unknown opcodes as this module's error. */
function skipCodeInstruction(reader: CodeReader): void {
  try {
    skipInstruction(reader);
  } catch (err) {
    if (err instanceof UnknownInstruction)
      throw new UnsupportedCode(`${err.message} of a function body`, { cause: err });
    throw err;
  }
}

function skipValType(code: Uint8Array, pos: number): number {
  const reader = new CodeReader(code, pos);
  skipValTypeAt(reader);
  return reader.pos;
}

function skipLimits(code: Uint8Array, pos: number): number {
  const flags = code[pos] as number;
  pos = skipLeb(code, pos + 1);
  return flags & 0x01 ? skipLeb(code, pos) : pos;
}

function skipTableType(code: Uint8Array, pos: number): number {
  return skipLimits(code, skipValType(code, pos));
}

function writeSleb(value: number): number[] {
  const out: number[] = [];
  let rest = BigInt(value);
  for (;;) {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    const done = (rest === 0n && (byte & 0x40) === 0) || (rest === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function lastIndexOf(haystack: Uint8Array, needle: Uint8Array): number {
  for (let at = haystack.length - needle.length; at >= 0; at--) {
    let match = true;
    for (let i = 0; i < needle.length && match; i++) match = haystack[at + i] === needle[i];
    if (match) return at;
  }
  return -1;
}
