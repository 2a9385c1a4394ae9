// Caps the linear memories a core module defines at a number of 64 KiB
// pages, by rewriting the maximum in its memory section before compiling.
//
// V8 enforces a declared maximum itself: `memory.grow` past it returns -1
// to the guest (whose allocator then reports out-of-memory or traps) and
// nothing is ever reserved beyond it. A worker's or process's heap limit
// would not do this: linear memory lives outside the JS heap.
// Imported memories are left alone: they are defined (and capped) in the
// module that exports them.
import { DriverError } from '../errors.js';

export const PAGE_BYTES = 64 * 1024;
const MEMORY_SECTION = 5;

function readUleb(bytes: Uint8Array, offset: number): { value: bigint; next: number } {
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

function writeUleb(value: bigint): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest !== 0n) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0n);
  return out;
}

/** Returns the module with every defined memory's maximum at most `maxPages`. */
export function capLinearMemory(module: Uint8Array, maxPages: number): Uint8Array<ArrayBuffer> {
  const out: number[] = Array.from(module.subarray(0, 8));
  let pos = 8;
  while (pos < module.length) {
    const id = module[pos] as number;
    const size = readUleb(module, pos + 1);
    const start = size.next;
    const end = start + Number(size.value);
    const body = module.subarray(start, end);
    const newBody = id === MEMORY_SECTION ? capMemorySection(body, BigInt(maxPages)) : body;
    out.push(id, ...writeUleb(BigInt(newBody.length)));
    for (const byte of newBody) out.push(byte);
    pos = end;
  }
  return Uint8Array.from(out);
}

function capMemorySection(body: Uint8Array, maxPages: bigint): Uint8Array {
  const count = readUleb(body, 0);
  const out = writeUleb(count.value);
  let pos = count.next;
  for (let i = 0n; i < count.value; i++) {
    const flags = body[pos++] as number;
    const min = readUleb(body, pos);
    pos = min.next;
    let max: bigint | undefined;
    if (flags & 0x01) {
      const declared = readUleb(body, pos);
      max = declared.value;
      pos = declared.next;
    }
    if (min.value > maxPages) {
      throw new DriverError(
        'MEMORY_CEILING_TOO_LOW',
        `the component needs ${pagesToMiB(min.value)} MiB of linear memory at start, above the task's memory ceiling of ${pagesToMiB(maxPages)} MiB: raise resources { memory_max } (or memory)`,
      );
    }
    const capped = max === undefined || max > maxPages ? maxPages : max;
    out.push(flags | 0x01, ...writeUleb(min.value), ...writeUleb(capped));
  }
  return Uint8Array.from(out);
}

function pagesToMiB(pages: bigint): string {
  return (Number(pages) / 16).toFixed(Number(pages) % 16 === 0 ? 0 : 1);
}

export function mibToPages(mib: number): number {
  return Math.floor((mib * 1024 * 1024) / PAGE_BYTES);
}
