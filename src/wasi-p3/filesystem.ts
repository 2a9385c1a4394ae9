// wasi:filesystem@0.3 confined to the task's granted mounts: a thin layer
// over the 0.2 host's descriptors (src/wasi/filesystem.ts), which do the
// confinement (lexical and realpath checks, read-only mounts) for both.
// What 0.3 changes: file contents and directory listings are streams,
// error codes and descriptor types are variants (`{ tag }`), and most
// calls are async (answered at once here: local files).
import {
  Descriptor as MountDescriptor,
  type DescriptorType,
  type DescriptorFlags,
  type Mount,
  type NewTimestamp,
  type OpenFlags,
  type PathFlags,
} from '../wasi/filesystem.js';
import { OK, pumpGuestBytes, type GuestStream, type Outcome } from './streams.js';
import { p3Key } from './versions.js';

type ErrorCode = { tag: string; val?: string };
type TypeVariant = { tag: Exclude<DescriptorType, 'unknown'> } | { tag: 'other'; val: string | undefined };

/** The 0.2 descriptors throw their error code as a string; 0.3 wants the variant. */
function errorOf(err: unknown): ErrorCode {
  if (typeof err === 'string') return { tag: err };
  if (err instanceof Error) throw err; // a host bug, not a filesystem answer: let it trap
  return { tag: 'io' };
}

/** Runs a 0.2 call, giving the guest its error code as `err`. */
function call<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(errorOf(err));
  }
}

/** Same, for a call whose result is a future the host resolves (`result<_, error-code>`). */
async function outcome(fn: () => Promise<void>): Promise<Outcome<ErrorCode>> {
  try {
    await fn();
    return OK;
  } catch (err) {
    return { tag: 'err', val: errorOf(err) };
  }
}

function typeVariant(type: DescriptorType): TypeVariant {
  return type === 'unknown' ? { tag: 'other', val: undefined } : { tag: type };
}

/** Bytes per read of a file stream (the 0.2 descriptor reads at most 1 MiB per call). */
const FILE_CHUNK = 64n * 1024n;

export class Descriptor {
  readonly #inner: MountDescriptor;

  constructor(inner: MountDescriptor) {
    this.#inner = inner;
  }

  /** jco calls this when the guest drops the handle: the file closes. */
  [Symbol.dispose](): void {
    this.#inner[Symbol.dispose]();
  }

  readViaStream(offset: bigint): [Iterable<Uint8Array>, Promise<Outcome<ErrorCode>>] {
    const inner = this.#inner;
    let settle!: (result: Outcome<ErrorCode>) => void;
    const done = new Promise<Outcome<ErrorCode>>((resolve) => (settle = resolve));
    // A sync generator: local file reads; the glue pulls as the guest reads.
    const chunks = function* (): Generator<Uint8Array> {
      let position = offset;
      try {
        for (;;) {
          const [bytes, eof] = inner.read(FILE_CHUNK, position);
          position += BigInt(bytes.length);
          if (bytes.length > 0) yield bytes;
          if (eof) break;
        }
        settle(OK);
      } catch (err) {
        settle({ tag: 'err', val: errorOf(err) });
      }
    };
    return [chunks(), done];
  }

  writeViaStream(data: GuestStream<Uint8Array>, offset: bigint): Promise<Outcome<ErrorCode>> {
    let position = offset;
    return outcome(() =>
      pumpGuestBytes(data, (chunk) => {
        position += this.#writeAll(chunk, position);
      }),
    );
  }

  appendViaStream(data: GuestStream<Uint8Array>): Promise<Outcome<ErrorCode>> {
    return outcome(() =>
      pumpGuestBytes(data, (chunk) => {
        this.#writeAll(chunk, this.#inner.stat().size);
      }),
    );
  }

  #writeAll(chunk: Uint8Array, at: bigint): bigint {
    let written = 0;
    while (written < chunk.length) written += Number(this.#inner.write(chunk.subarray(written), at + BigInt(written)));
    return BigInt(written);
  }

  readDirectory(): [Iterable<{ type: TypeVariant; name: string }>, Promise<Outcome<ErrorCode>>] {
    let entries: ReturnType<MountDescriptor['readDirectory']> | undefined;
    let failure: ErrorCode | undefined;
    try {
      entries = this.#inner.readDirectory();
    } catch (err) {
      failure = errorOf(err);
    }
    const list = function* (): Generator<{ type: TypeVariant; name: string }> {
      for (let entry = entries?.readDirectoryEntry(); entry; entry = entries?.readDirectoryEntry())
        yield { type: typeVariant(entry.type), name: entry.name };
    };
    return [list(), Promise.resolve(failure ? { tag: 'err', val: failure } : OK)];
  }

  advise(): Promise<void> {
    return Promise.resolve();
  }
  syncData(): Promise<void> {
    return call(() => this.#inner.syncData());
  }
  sync(): Promise<void> {
    return call(() => this.#inner.sync());
  }
  getFlags(): Promise<DescriptorFlags> {
    return call(() => this.#inner.getFlags());
  }
  getType(): Promise<TypeVariant> {
    return call(() => typeVariant(this.#inner.getType()));
  }
  setSize(size: bigint): Promise<void> {
    return call(() => this.#inner.setSize(size));
  }
  setTimes(atime: NewTimestamp, mtime: NewTimestamp): Promise<void> {
    return call(() => this.#inner.setTimes(atime, mtime));
  }
  createDirectoryAt(path: string): Promise<void> {
    return call(() => this.#inner.createDirectoryAt(path));
  }
  stat(): Promise<ReturnType<typeof statP3>> {
    return call(() => statP3(this.#inner.stat()));
  }
  statAt(flags: PathFlags, path: string): Promise<ReturnType<typeof statP3>> {
    return call(() => statP3(this.#inner.statAt(flags, path)));
  }
  setTimesAt(flags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): Promise<void> {
    return call(() => this.#inner.setTimesAt(flags, path, atime, mtime));
  }
  linkAt(oldFlags: PathFlags, oldPath: string, target: Descriptor, newPath: string): Promise<void> {
    return call(() => this.#inner.linkAt(oldFlags, oldPath, target.#inner, newPath));
  }
  openAt(flags: PathFlags, path: string, open: OpenFlags, descriptorFlags: DescriptorFlags): Promise<Descriptor> {
    return call(() => new Descriptor(this.#inner.openAt(flags, path, open, descriptorFlags)));
  }
  readlinkAt(path: string): Promise<string> {
    return call(() => this.#inner.readlinkAt(path));
  }
  removeDirectoryAt(path: string): Promise<void> {
    return call(() => this.#inner.removeDirectoryAt(path));
  }
  renameAt(oldPath: string, target: Descriptor, newPath: string): Promise<void> {
    return call(() => this.#inner.renameAt(oldPath, target.#inner, newPath));
  }
  symlinkAt(oldPath: string, newPath: string): Promise<void> {
    return call(() => this.#inner.symlinkAt(oldPath, newPath));
  }
  unlinkFileAt(path: string): Promise<void> {
    return call(() => this.#inner.unlinkFileAt(path));
  }
  isSameObject(other: Descriptor): Promise<boolean> {
    return call(() => this.#inner.isSameObject(other.#inner));
  }
  metadataHash(): Promise<{ lower: bigint; upper: bigint }> {
    return call(() => this.#inner.metadataHash());
  }
  metadataHashAt(flags: PathFlags, path: string): Promise<{ lower: bigint; upper: bigint }> {
    return call(() => this.#inner.metadataHashAt(flags, path));
  }
}

function statP3(stat: ReturnType<MountDescriptor['stat']>) {
  return { ...stat, type: typeVariant(stat.type) };
}

export function filesystemP3Interfaces(mounts: readonly Mount[]): Record<string, object> {
  const preopens = mounts.map((mount): [Descriptor, string] => [
    new Descriptor(MountDescriptor.forMount(mount)),
    mount.guestPath,
  ]);
  return {
    [p3Key('wasi:filesystem/preopens')]: { getDirectories: (): [Descriptor, string][] => preopens },
    [p3Key('wasi:filesystem/types')]: { Descriptor },
  };
}
