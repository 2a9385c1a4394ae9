// The names a component imports and exports at its top level, read from
// its import and export sections: `wasi:filesystem/types@0.2.0`, or a plain
// name for an inline function. These are what its WIT world says (the CLI's
// `inspect` prints the same through jco's componentWit, which is slower:
// test/unit/component-meta.test.ts holds the two to each other). A WASI
// preview1 core module, which the driver runs as a command through the
// preview1 adapter, has its core imports (`wasi_snapshot_preview1.fd_write`)
// and exports instead.
import { binaryKind, ByteReader, COMPONENT_SECTION, sections } from './component-binary.js';

/** Section ids of a core module (they mean other things in a component). */
const MODULE_SECTION = { import: 2, export: 7 } as const;

export interface ComponentWorld {
  readonly imports: readonly string[];
  readonly exports: readonly string[];
  /**
   * `http` (exports a wasi:http handler: `incoming-handler` of 0.2, `handler`
   * of 0.3), `command` (`wasi:cli/run`, or a preview1 module's `_start`), else `unknown`.
   */
  readonly world: 'http' | 'command' | 'unknown';
}

export function componentWorld(bytes: Uint8Array, what: string): ComponentWorld {
  if (binaryKind(bytes) === 'module') return moduleWorld(bytes, what);
  const imports: string[] = [];
  const exports: string[] = [];
  for (const section of sections(bytes, what)) {
    if (section.id === COMPONENT_SECTION.import) readImports(new ByteReader(section.body, 0, what), imports);
    if (section.id === COMPONENT_SECTION.export) readExports(new ByteReader(section.body, 0, what), exports);
  }
  const world = exports.some((e) => e.startsWith('wasi:http/incoming-handler@') || e.startsWith('wasi:http/handler@'))
    ? 'http'
    : exports.some((e) => e.startsWith('wasi:cli/run@'))
      ? 'command'
      : 'unknown';
  return { imports, exports, world };
}

/** A core module: `module.field` imports, export names; a command when it exports `_start`. */
function moduleWorld(bytes: Uint8Array, what: string): ComponentWorld {
  const imports: string[] = [];
  const exports: string[] = [];
  for (const section of sections(bytes, what)) {
    const reader = new ByteReader(section.body, 0, what);
    if (section.id === MODULE_SECTION.import) {
      for (let i = reader.u32(); i > 0; i--) {
        imports.push(`${reader.name()}.${reader.name()}`);
        skipModuleImportDesc(reader);
      }
    } else if (section.id === MODULE_SECTION.export) {
      for (let i = reader.u32(); i > 0; i--) {
        exports.push(reader.name());
        reader.byte(); // kind
        reader.u32(); // index
      }
    }
  }
  return { imports, exports, world: exports.includes('_start') ? 'command' : 'unknown' };
}

/** importdesc: func (type index), table (reftype, limits), memory (limits), global (valtype, mut), tag. */
function skipModuleImportDesc(reader: ByteReader): void {
  switch (reader.byte()) {
    case 0x00:
      reader.u32();
      return;
    case 0x01:
      reader.byte();
      skipLimits(reader);
      return;
    case 0x02:
      skipLimits(reader);
      return;
    case 0x03:
      reader.byte();
      reader.byte();
      return;
    default: // 0x04 tag: attribute 0x00 and a type index
      reader.byte();
      reader.u32();
  }
}

/** limits: flags (bit 0: a maximum; bit 3: a custom page size), minimum, [maximum], [page size log2]. */
function skipLimits(reader: ByteReader): void {
  const flags = reader.byte();
  reader.skipLeb();
  if (flags & 0x01) reader.skipLeb();
  if (flags & 0x08) reader.u32();
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
