// Walks the sections of a WebAssembly binary (component or core module)
// without decoding code: ids, sizes, and the names of custom sections. What
// a component says about itself (its imports and exports, producers, SBOM
// sections) is read from these, in microseconds, on the task start path.
import { DriverError } from '../errors.js';

export interface BinarySection {
  readonly id: number;
  /** Contents without id and size; a subarray of the binary. */
  readonly body: Uint8Array;
  /** For custom sections (id 0): the section's name; the payload follows it in `payload`. */
  readonly customName?: string;
  readonly payload?: Uint8Array;
}

export type BinaryKind = 'component' | 'module';

/** Component-level section ids (component model binary format). */
export const COMPONENT_SECTION = { custom: 0, coreModule: 1, component: 4, import: 10, export: 11 } as const;
export const MODULE_CUSTOM = 0;

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

export function binaryKind(bytes: Uint8Array): BinaryKind | undefined {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  if (bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) return 'module';
  if (bytes[6] === 1 && bytes[7] === 0) return 'component';
  return undefined;
}

export function* sections(bytes: Uint8Array, what: string): Generator<BinarySection> {
  const reader = new ByteReader(bytes, 8, what);
  while (!reader.done) {
    const id = reader.byte();
    const size = reader.u32();
    const body = reader.take(size);
    if (id !== 0) {
      yield { id, body };
      continue;
    }
    const inner = new ByteReader(body, 0, what);
    const customName = inner.name();
    yield { id, body, customName, payload: body.subarray(inner.offset) };
  }
}

/** A cursor over a binary with the LEB128 and name reads the format uses; malformed input is COMPONENT_INVALID. */
export class ByteReader {
  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  byte(): number {
    const b = this.bytes[this.offset];
    if (b === undefined) throw this.truncated();
    this.offset += 1;
    return b;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new DriverError('COMPONENT_INVALID', `${this.what}: malformed LEB128 number`);
    }
  }

  /** Skips one LEB128 number of any sign and size. */
  skipLeb(): void {
    while ((this.byte() & 0x80) !== 0) {
      /* continuation bytes */
    }
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw this.truncated();
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  name(): string {
    return new TextDecoder('utf-8', { fatal: false }).decode(this.take(this.u32()));
  }

  private truncated(): DriverError {
    return new DriverError('COMPONENT_INVALID', `${this.what}: the binary is truncated or malformed`);
  }
}
