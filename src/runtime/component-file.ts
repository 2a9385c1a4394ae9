// Reads a component file and checks it really is WebAssembly before anything
// expensive happens to it: a component, or a core module (which runs only
// as a WASI preview1 command: runtime/preview1-adapter.ts checks it further).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DriverError } from '../errors.js';

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);
/** Core modules have version 1, layer 0; components version 0x0d, layer 1. */
const CORE_MODULE_VERSION = Buffer.from([0x01, 0x00, 0x00, 0x00]);
const COMPONENT_LAYER = 1;

/** What the header says: a component, or a core module (a WASI preview1 module to be adapted). */
export type WasmKind = 'component' | 'core-module';

export interface ComponentFile {
  readonly bytes: Uint8Array;
  /** `sha256:<hex>` of the file's bytes. */
  readonly digest: string;
  readonly kind: WasmKind;
}

export async function readComponentFile(path: string): Promise<ComponentFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DriverError('COMPONENT_NOT_FOUND', `cannot read component ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const kind = checkComponentHeader(bytes, path);
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, kind };
}

/** The kind of WebAssembly the first 8 bytes announce; anything else is refused. */
export function checkComponentHeader(bytes: Uint8Array, what: string): WasmKind {
  const header = Buffer.from(bytes.subarray(0, 8));
  if (header.length < 8 || !header.subarray(0, 4).equals(WASM_MAGIC)) {
    throw new DriverError('COMPONENT_INVALID', `${what} is not WebAssembly (no \\0asm header)`);
  }
  if (header.subarray(4, 8).equals(CORE_MODULE_VERSION)) return 'core-module';
  if (header.readUInt16LE(6) !== COMPONENT_LAYER) {
    throw new DriverError(
      'COMPONENT_INVALID',
      `${what} has an unknown WebAssembly layer/version (${header.subarray(4, 8).toString('hex')})`,
    );
  }
  return 'component';
}
