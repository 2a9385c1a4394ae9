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
import { readSections, readUleb, SECTION, writeModule, writeUleb } from './core-module-sections.js';

export const PAGE_BYTES = 64 * 1024;

/** Returns the module with every defined memory's maximum at most `maxPages`. */
export function capLinearMemory(module: Uint8Array, maxPages: number): Uint8Array<ArrayBuffer> {
  const sections = readSections(module).map((section) =>
    section.id === SECTION.memory
      ? { id: section.id, body: capMemorySection(section.body, BigInt(maxPages)) }
      : section,
  );
  return writeModule(module, sections);
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

/** 64 KiB pages in MiB, exact (a page is 0.0625 MiB): "1", "0.125", "17.5". */
function pagesToMiB(pages: bigint): string {
  return String(Number(pages) / 16);
}

export function mibToPages(mib: number): number {
  return Math.floor((mib * 1024 * 1024) / PAGE_BYTES);
}
