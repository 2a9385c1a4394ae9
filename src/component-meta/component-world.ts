// The names a component imports and exports at its top level, read from
// its import and export sections: `wasi:filesystem/types@0.2.0`, or a plain
// name for an inline function. These are what its WIT world says (the CLI's
// `inspect` prints the same through jco's componentWit, which is slower:
// test/unit/component-meta.test.ts holds the two to each other).
import { ByteReader, COMPONENT_SECTION, sections } from './component-binary.js';

export interface ComponentWorld {
  readonly imports: readonly string[];
  readonly exports: readonly string[];
  /** `http` (exports wasi:http/incoming-handler), `command` (wasi:cli/run), else `unknown`. */
  readonly world: 'http' | 'command' | 'unknown';
}

export function componentWorld(bytes: Uint8Array, what: string): ComponentWorld {
  const imports: string[] = [];
  const exports: string[] = [];
  for (const section of sections(bytes, what)) {
    if (section.id === COMPONENT_SECTION.import) readImports(new ByteReader(section.body, 0, what), imports);
    if (section.id === COMPONENT_SECTION.export) readExports(new ByteReader(section.body, 0, what), exports);
  }
  const world = exports.some((e) => e.startsWith('wasi:http/incoming-handler@'))
    ? 'http'
    : exports.some((e) => e.startsWith('wasi:cli/run@'))
      ? 'command'
      : 'unknown';
  return { imports, exports, world };
}

function readImports(reader: ByteReader, into: string[]): void {
  const count = reader.u32();
  for (let i = 0; i < count; i++) {
    into.push(externName(reader));
    skipExternDesc(reader);
  }
}

function readExports(reader: ByteReader, into: string[]): void {
  const count = reader.u32();
  for (let i = 0; i < count; i++) {
    into.push(externName(reader));
    // sortidx: a sort (core sorts take a second byte), then the index.
    if (reader.byte() === 0x00) reader.byte();
    reader.u32();
    // An optional ascribed type.
    if (reader.byte() === 0x01) skipExternDesc(reader);
  }
}

/** `0x00 name`, or the older `0x01 name version-suffix` form. */
function externName(reader: ByteReader): string {
  const form = reader.byte();
  const name = reader.name();
  if (form === 0x01) reader.name();
  return name;
}

/** externdesc: a sort byte, then a type index, a value bound or a type bound. */
function skipExternDesc(reader: ByteReader): void {
  const sort = reader.byte();
  switch (sort) {
    case 0x00: // core module: 0x11 and a core type index
      reader.byte();
      reader.u32();
      return;
    case 0x02: // value: 0x00 index | 0x01 valtype (one LEB either way)
    case 0x03: // type: 0x00 index (eq) | 0x01 (sub resource)
      if (reader.byte() === 0x00 || sort === 0x02) reader.skipLeb();
      return;
    default: // func, component, instance: a type index
      reader.u32();
  }
}
