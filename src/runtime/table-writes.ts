// Whether a core module's code can change a table (table.set, table.grow,
// table.fill, table.copy, table.init), found by reading every instruction of
// its code section. Resetting a per-request instance compares every table
// element with the snapshot only when some module of the component can
// change a table: for a large component that is thousands of elements per
// request (7,777 for StarlingMonkey, about 0.9 ms).
//
// An instruction the reader (core-instructions.ts) does not know (a proposal
// it was not written for) counts as a possible write: the answer is only
// ever "no" when every instruction was read.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CodeReader, skipInstruction, skipLocals, UnknownInstruction } from './core-instructions.js';
import { readSections, SECTION } from './core-module-sections.js';

export function mayWriteTables(module: Uint8Array): boolean {
  const code = readSections(module).find((section) => section.id === SECTION.code)?.body;
  if (!code) return false;
  try {
    const reader = new CodeReader(code);
    const count = reader.u32();
    for (let i = 0; i < count; i++) {
      const size = reader.u32();
      const end = reader.pos + size;
      if (bodyMayWrite(reader, end)) return true;
      reader.pos = end;
    }
    return false;
  } catch (err) {
    if (err instanceof UnknownInstruction || err instanceof RangeError) return true;
    throw err;
  }
}

function bodyMayWrite(reader: CodeReader, end: number): boolean {
  skipLocals(reader);
  while (reader.pos < end) {
    if (writesTable(reader)) return true;
    skipInstruction(reader);
  }
  return false;
}

/** Whether the instruction at the reader's position is one that changes a table (the reader stays put). */
function writesTable(reader: CodeReader): boolean {
  const at = reader.pos;
  const op = reader.byte();
  let writes = op === 0x26; // table.set
  if (op === 0xfc) writes = TABLE_WRITES_FC.has(reader.u32());
  reader.pos = at;
  return writes;
}

// table.init, table.copy, table.grow, table.fill
const TABLE_WRITES_FC = new Set([12, 14, 15, 17]);

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
