// The section list of a core WebAssembly module, and LEB128 helpers, for
// the rewrites done before compiling (memory ceiling, reset exports).
// A rewrite replaces whole sections and keeps the others' bytes as they
// are (subarrays, no copy until the final concatenation).

export interface Section {
  readonly id: number;
  /** The section's contents (without id and size). */
  readonly body: Uint8Array;
}

export const SECTION = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;

export function readUleb(bytes: Uint8Array, offset: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  let pos = offset;
  for (;;) {
    const byte = bytes[pos++];
    if (byte === undefined) throw new RangeError('truncated LEB128');
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) return { value, next: pos };
  }
}

/** An unsigned LEB128 that fits a JS number (counts, indices, sizes). */
export function readU32(bytes: Uint8Array, offset: number): { value: number; next: number } {
  const { value, next } = readUleb(bytes, offset);
  return { value: Number(value), next };
}

/** Skips a signed LEB128 (constants in initialiser expressions). */
export function skipLeb(bytes: Uint8Array, offset: number): number {
  let pos = offset;
  for (;;) {
    const byte = bytes[pos++];
    if (byte === undefined) throw new RangeError('truncated LEB128');
    if ((byte & 0x80) === 0) return pos;
  }
}

export function writeUleb(value: bigint | number): number[] {
  const out: number[] = [];
  let rest = BigInt(value);
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest !== 0n) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0n);
  return out;
}

const HEADER_BYTES = 8;

export function readSections(module: Uint8Array): Section[] {
  const sections: Section[] = [];
  let pos = HEADER_BYTES;
  while (pos < module.length) {
    const id = module[pos] as number;
    const size = readU32(module, pos + 1);
    const end = size.next + size.value;
    if (end > module.length) throw new RangeError('section runs past the end of the module');
    sections.push({ id, body: module.subarray(size.next, end) });
    pos = end;
  }
  return sections;
}

export function writeModule(header: Uint8Array, sections: readonly Section[]): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [header.subarray(0, HEADER_BYTES)];
  for (const section of sections) {
    parts.push(Uint8Array.from([section.id, ...writeUleb(section.body.length)]), section.body);
  }
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Position of a non-custom section in the binary format's required order. */
const ORDER: Readonly<Record<number, number>> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  13: 6,
  6: 7,
  7: 8,
  8: 9,
  9: 10,
  12: 11,
  10: 12,
  11: 13,
};

/** Replaces the section with `id`, or inserts it where the format wants it. */
export function withSection(sections: readonly Section[], replacement: Section): Section[] {
  const existing = sections.findIndex((section) => section.id === replacement.id);
  if (existing >= 0) return sections.map((section, index) => (index === existing ? replacement : section));
  const rank = ORDER[replacement.id] ?? Infinity;
  const before = sections.findIndex(
    (section) => section.id !== SECTION.custom && (ORDER[section.id] ?? Infinity) > rank,
  );
  const at = before < 0 ? sections.length : before;
  return [...sections.slice(0, at), replacement, ...sections.slice(at)];
}
