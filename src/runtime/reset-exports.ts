// Exports a core module's instance state (mutable globals, tables,
// memories it defines) under reserved names, so that a host can snapshot an
// instance right after instantiation and put it back after each request
// (see instance-reset.ts). Nothing else about the module changes: extra
// exports are only more names for the same things, and jco's glue reads
// exports by the names it knows.
//
// A module whose state cannot be read or written from JavaScript (a mutable
// v128 global) or whose layout this parser does not know is reported as
// such; the caller then instantiates afresh instead of resetting.
import {
  readSections,
  readU32,
  SECTION,
  skipLeb,
  withSection,
  writeModule,
  writeUleb,
} from './core-module-sections.js';

export const RESET_EXPORT_PREFIX = 'nomad-reset:';

export type ResetExportsResult = { readonly module: Uint8Array<ArrayBuffer> } | { readonly unavailable: string };

class Unsupported extends Error {}

const KIND = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;
const V128 = 0x7b;

export function exportInstanceState(module: Uint8Array): ResetExportsResult {
  try {
    const sections = readSections(module);
    const imported = countImports(sections.find((s) => s.id === SECTION.import)?.body);
    const added: [string, number, number][] = [];
    const tables = countTables(sections.find((s) => s.id === SECTION.table)?.body);
    for (let i = 0; i < tables; i++)
      added.push([`${RESET_EXPORT_PREFIX}table:${imported.tables + i}`, KIND.table, imported.tables + i]);
    const memories = countMemories(sections.find((s) => s.id === SECTION.memory)?.body);
    for (let i = 0; i < memories; i++)
      added.push([`${RESET_EXPORT_PREFIX}memory:${imported.memories + i}`, KIND.memory, imported.memories + i]);
    const globals = mutableGlobals(sections.find((s) => s.id === SECTION.global)?.body);
    for (const index of globals)
      added.push([`${RESET_EXPORT_PREFIX}global:${imported.globals + index}`, KIND.global, imported.globals + index]);
    if (added.length === 0) return { module: writeModule(module, sections) };
    const exports = sections.find((s) => s.id === SECTION.export);
    return {
      module: writeModule(
        module,
        withSection(sections, { id: SECTION.export, body: appendExports(exports?.body, added) }),
      ),
    };
  } catch (err) {
    if (err instanceof Unsupported || err instanceof RangeError) return { unavailable: err.message };
    throw err;
  }
}

function countImports(body: Uint8Array | undefined): { tables: number; memories: number; globals: number } {
  const counts = { tables: 0, memories: 0, globals: 0 };
  if (!body) return counts;
  const count = readU32(body, 0);
  let pos = count.next;
  for (let i = 0; i < count.value; i++) {
    pos = skipName(body, skipName(body, pos));
    const kind = body[pos++];
    switch (kind) {
      case KIND.func:
        pos = readU32(body, pos).next;
        break;
      case KIND.table:
        counts.tables++;
        pos = skipTableType(body, pos);
        break;
      case KIND.memory:
        counts.memories++;
        pos = skipLimits(body, pos);
        break;
      case KIND.global:
        counts.globals++;
        pos = skipValType(body, pos) + 1;
        break;
      case KIND.tag:
        pos = readU32(body, pos + 1).next;
        break;
      default:
        throw new Unsupported(`unknown import kind ${kind}`);
    }
  }
  return counts;
}

function countTables(body: Uint8Array | undefined): number {
  if (!body) return 0;
  const count = readU32(body, 0);
  let pos = count.next;
  for (let i = 0; i < count.value; i++) {
    if (body[pos] === 0x40) {
      // A table with an initialiser: 0x40 0x00 tabletype expr.
      pos = skipConstExpr(body, skipTableType(body, pos + 2));
    } else {
      pos = skipTableType(body, pos);
    }
  }
  return count.value;
}

function countMemories(body: Uint8Array | undefined): number {
  return body ? readU32(body, 0).value : 0;
}

/** Indices (within the section) of the mutable globals it defines. */
function mutableGlobals(body: Uint8Array | undefined): number[] {
  if (!body) return [];
  const count = readU32(body, 0);
  let pos = count.next;
  const mutable: number[] = [];
  for (let i = 0; i < count.value; i++) {
    const type = body[pos];
    pos = skipValType(body, pos);
    const isMutable = body[pos++] === 1;
    if (isMutable && type === V128) throw new Unsupported('a mutable v128 global cannot be saved from JavaScript');
    if (isMutable) mutable.push(i);
    pos = skipConstExpr(body, pos);
  }
  return mutable;
}

function appendExports(body: Uint8Array | undefined, added: [string, number, number][]): Uint8Array {
  const existing = body ? readU32(body, 0) : { value: 0, next: 0 };
  const names = new Set<string>();
  let pos = existing.next;
  for (let i = 0; i < existing.value; i++) {
    const length = readU32(body as Uint8Array, pos);
    names.add(Buffer.from((body as Uint8Array).subarray(length.next, length.next + length.value)).toString('utf8'));
    pos = readU32(body as Uint8Array, length.next + length.value + 1).next;
  }
  const tail: number[] = [];
  for (const [name, kind, index] of added) {
    if (names.has(name)) throw new Unsupported(`the module already exports ${name}`);
    const bytes = Buffer.from(name, 'utf8');
    tail.push(...writeUleb(bytes.length), ...bytes, kind, ...writeUleb(index));
  }
  const head = writeUleb(existing.value + added.length);
  const out = new Uint8Array(head.length + (body ? body.length - existing.next : 0) + tail.length);
  out.set(head, 0);
  if (body) out.set(body.subarray(existing.next), head.length);
  out.set(tail, out.length - tail.length);
  return out;
}

function skipName(body: Uint8Array, pos: number): number {
  const length = readU32(body, pos);
  return length.next + length.value;
}

/** valtype: one byte, or a (ref null? heaptype) with a signed LEB heap type. */
function skipValType(body: Uint8Array, pos: number): number {
  const byte = body[pos];
  if (byte === 0x64 || byte === 0x63) return skipLeb(body, pos + 1);
  return pos + 1;
}

function skipTableType(body: Uint8Array, pos: number): number {
  return skipLimits(body, skipValType(body, pos));
}

/** limits (tables and memories): flags, min, max if flagged, page size if flagged. */
function skipLimits(body: Uint8Array, pos: number): number {
  const flags = body[pos] as number;
  let next = readU32(body, pos + 1).next;
  if (flags & 0x01) next = skipLeb(body, next);
  if (flags & 0x08) next = skipLeb(body, next);
  return next;
}

/** Skips a constant expression up to and including its `end`. */
function skipConstExpr(body: Uint8Array, start: number): number {
  let pos = start;
  for (;;) {
    const op = body[pos++];
    switch (op) {
      case 0x0b:
        return pos;
      case 0x41: // i32.const
      case 0x42: // i64.const
      case 0x23: // global.get
      case 0xd2: // ref.func
        pos = skipLeb(body, pos);
        break;
      case 0x43: // f32.const
        pos += 4;
        break;
      case 0x44: // f64.const
        pos += 8;
        break;
      case 0xd0: // ref.null heaptype
        pos = skipLeb(body, pos);
        break;
      case 0x6a: // i32.add, sub, mul and the i64 ones (extended constant expressions)
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      case 0xfd: {
        const sub = readU32(body, pos);
        if (sub.value !== 12) throw new Unsupported(`unknown SIMD instruction ${sub.value} in a constant expression`);
        pos = sub.next + 16; // v128.const
        break;
      }
      default:
        throw new Unsupported(`unknown instruction 0x${(op ?? 0).toString(16)} in a constant expression`);
    }
  }
}
