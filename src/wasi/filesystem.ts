// wasi:filesystem confined to the task's granted mounts.
//
// Each mount is a directory inside the task dir (already resolved and
// checked by the plugin) seen by the guest under a path like `/data`.
// Every path a guest names is resolved here twice: lexically (no absolute
// paths, no `..` above the mount) and on disk with realpath (no symlink,
// including ones the guest created, leads out of the mount). Read-only
// mounts refuse every call that would change anything with `read-only`.
//
// Node has no openat(), so a directory swapped for a symlink between our
// check and the open() can race; the task dir belongs to the task, so only
// the task's own processes could try, and a component is the only one.
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  lutimesSync,
  writeSync,
  constants,
  type Stats,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputStream, OutputStream, STREAM_CLOSED, streamFailed, type IoError } from './io.js';

export interface Mount {
  /** Absolute path the guest sees, e.g. `/data`. */
  readonly guestPath: string;
  /** Real path of the host directory (no symlinks in it). */
  readonly hostPath: string;
  readonly readOnly: boolean;
}

type ErrorCode = string;
type DescriptorType =
  'unknown' | 'block-device' | 'character-device' | 'directory' | 'fifo' | 'symbolic-link' | 'regular-file' | 'socket';
interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}
interface DescriptorFlags {
  read?: boolean;
  write?: boolean;
  mutateDirectory?: boolean;
  fileIntegritySync?: boolean;
  dataIntegritySync?: boolean;
  requestedWriteSync?: boolean;
}
interface PathFlags {
  symlinkFollow?: boolean;
}
interface OpenFlags {
  create?: boolean;
  directory?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}
type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };

const ERRNO_TO_CODE: Record<string, ErrorCode> = {
  ENOENT: 'no-entry',
  EACCES: 'access',
  EPERM: 'not-permitted',
  EEXIST: 'exist',
  ENOTDIR: 'not-directory',
  EISDIR: 'is-directory',
  ENOTEMPTY: 'not-empty',
  ELOOP: 'loop',
  EBADF: 'bad-descriptor',
  EINVAL: 'invalid',
  ENAMETOOLONG: 'name-too-long',
  ENOSPC: 'insufficient-space',
  EDQUOT: 'quota',
  EXDEV: 'cross-device',
  EROFS: 'read-only',
  EMLINK: 'too-many-links',
  EBUSY: 'busy',
  EFBIG: 'file-too-large',
  ESPIPE: 'invalid-seek',
};

/** Runs a host fs call, turning Node errors into WASI error codes (thrown, as jco expects). */
function fsCall<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof err === 'string') throw err;
    throw (code && ERRNO_TO_CODE[code]) ?? 'io';
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function toDatetime(ms: number): Datetime {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: Math.round((ms % 1000) * 1e6) };
}

function typeOf(stats: Stats): DescriptorType {
  if (stats.isFile()) return 'regular-file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symbolic-link';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isBlockDevice()) return 'block-device';
  return 'unknown';
}

function statOf(stats: Stats) {
  return {
    type: typeOf(stats),
    linkCount: BigInt(stats.nlink),
    size: BigInt(stats.size),
    dataAccessTimestamp: toDatetime(stats.atimeMs),
    dataModificationTimestamp: toDatetime(stats.mtimeMs),
    statusChangeTimestamp: toDatetime(stats.ctimeMs),
  };
}

function timestampMs(value: NewTimestamp, current: number): number {
  if (value.tag === 'no-change') return current;
  if (value.tag === 'now') return Date.now();
  return Number(value.val.seconds) * 1000 + value.val.nanoseconds / 1e6;
}

/** Reads a file from a position, for `read-via-stream`. */
class FileInputStream extends InputStream {
  readonly #fd: number;
  #position: number;
  constructor(fd: number, position: number) {
    super();
    this.#fd = fd;
    this.#position = position;
  }
  protected readChunk(max: number): Uint8Array {
    const buffer = new Uint8Array(max);
    let read: number;
    try {
      read = readSync(this.#fd, buffer, 0, max, this.#position);
    } catch (err) {
      throw streamFailed((err as Error).message);
    }
    if (read === 0 && max > 0) throw STREAM_CLOSED;
    this.#position += read;
    return buffer.subarray(0, read);
  }
}

/** Writes a file from a position, for `write-via-stream` / `append-via-stream`. */
class FileOutputStream extends OutputStream {
  readonly #fd: number;
  #position: number;
  constructor(fd: number, position: number) {
    super();
    this.#fd = fd;
    this.#position = position;
  }
  protected writeBytes(bytes: Uint8Array): void {
    let offset = 0;
    try {
      while (offset < bytes.length)
        offset += writeSync(this.#fd, bytes, offset, bytes.length - offset, this.#position + offset);
    } catch (err) {
      throw streamFailed((err as Error).message);
    }
    this.#position += bytes.length;
  }
}

class DirectoryEntryStream {
  readonly #entries: { type: DescriptorType; name: string }[];
  constructor(entries: { type: DescriptorType; name: string }[]) {
    this.#entries = entries;
  }
  readDirectoryEntry(): { type: DescriptorType; name: string } | undefined {
    return this.#entries.shift();
  }
}

class Descriptor {
  readonly #mount: Mount;
  /** Real host path of this file or directory. */
  readonly #hostPath: string;
  #fd: number | undefined;
  readonly #flags: DescriptorFlags;

  constructor(mount: Mount, hostPath: string, fd: number | undefined, flags: DescriptorFlags) {
    this.#mount = mount;
    this.#hostPath = hostPath;
    this.#fd = fd;
    this.#flags = flags;
    if (fd !== undefined) FILES.register(this, fd, this);
  }

  /** jco calls this when the guest drops the handle. */
  [Symbol.dispose](): void {
    if (this.#fd === undefined) return;
    FILES.unregister(this);
    fsCall(() => closeSync(this.#fd as number));
    this.#fd = undefined;
  }

  static forMount(mount: Mount): Descriptor {
    return new Descriptor(mount, mount.hostPath, undefined, {
      read: true,
      write: !mount.readOnly,
      mutateDirectory: !mount.readOnly,
    });
  }

  #writable(): void {
    if (this.#mount.readOnly) throw 'read-only';
  }

  #file(): number {
    if (this.#fd === undefined) throw 'is-directory';
    return this.#fd;
  }

  /**
   * The host path for a guest path relative to this descriptor, proven to
   * stay inside the mount. With `followLast` the final component may be a
   * symlink, which is then resolved and checked too.
   */
  #resolve(path: string, followLast: boolean): string {
    if (this.#fd !== undefined) throw 'not-directory';
    if (path.startsWith('/')) this.#escape(path);
    const root = this.#mount.hostPath;
    const lexical = resolve(this.#hostPath, path);
    if (!isInside(root, lexical)) this.#escape(path);
    // Intermediate directories: their real location must stay inside.
    const parent = fsCall(() => realpathSync(dirname(lexical)));
    if (!isInside(root, parent)) this.#escape(path);
    const target = lexical === root ? root : join(parent, lexical.slice(dirname(lexical).length + 1));
    if (!followLast) return target;
    let real: string;
    try {
      real = realpathSync(target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw (code && ERRNO_TO_CODE[code]) ?? 'io';
      // Missing: fine to create, unless it is a dangling symlink pointing out.
      const link = lstatOrUndefined(target);
      if (link?.isSymbolicLink()) {
        const pointee = resolve(dirname(target), readlinkSync(target));
        if (!isInside(root, pointee)) this.#escape(path);
      }
      return target;
    }
    if (!isInside(root, real)) this.#escape(path);
    return real;
  }

  /** A path that would leave the mount: refused, and told (telemetry counts denied capabilities). */
  #escape(path: string): never {
    ESCAPES.get(this.#mount)?.(path);
    throw 'not-permitted';
  }

  readViaStream(offset: bigint): InputStream {
    return new FileInputStream(this.#file(), Number(offset));
  }
  writeViaStream(offset: bigint): OutputStream {
    this.#writable();
    return new FileOutputStream(this.#file(), Number(offset));
  }
  appendViaStream(): OutputStream {
    this.#writable();
    const fd = this.#file();
    return new FileOutputStream(fd, fsCall(() => fstatSync(fd)).size);
  }
  advise(): void {
    // Advisory only.
  }
  syncData(): void {
    if (this.#fd !== undefined) fsCall(() => fsyncSync(this.#fd as number));
  }
  sync(): void {
    this.syncData();
  }
  getFlags(): DescriptorFlags {
    return this.#flags;
  }
  getType(): DescriptorType {
    return this.#fd === undefined ? 'directory' : typeOf(fsCall(() => fstatSync(this.#fd as number)));
  }
  setSize(size: bigint): void {
    this.#writable();
    const fd = this.#file();
    fsCall(() => ftruncateSync(fd, Number(size)));
  }
  setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
    this.#writable();
    const stats = this.#stats();
    const times = [timestampMs(atime, stats.atimeMs) / 1000, timestampMs(mtime, stats.mtimeMs) / 1000] as const;
    if (this.#fd !== undefined) fsCall(() => futimesSync(this.#fd as number, ...times));
    else fsCall(() => utimesSync(this.#hostPath, ...times));
  }
  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    const fd = this.#file();
    const buffer = new Uint8Array(Math.min(Number(length), 1 << 20));
    const read = fsCall(() => readSync(fd, buffer, 0, buffer.length, Number(offset)));
    return [buffer.subarray(0, read), read < buffer.length];
  }
  write(buffer: Uint8Array, offset: bigint): bigint {
    this.#writable();
    const fd = this.#file();
    return BigInt(fsCall(() => writeSync(fd, buffer, 0, buffer.length, Number(offset))));
  }
  readDirectory(): DirectoryEntryStream {
    if (this.#fd !== undefined) throw 'not-directory';
    const entries = fsCall(() => readdirSync(this.#hostPath, { withFileTypes: true }));
    return new DirectoryEntryStream(
      entries.map((entry) => ({ name: entry.name, type: typeOf(entry as unknown as Stats) })),
    );
  }
  createDirectoryAt(path: string): void {
    this.#writable();
    const target = this.#resolve(path, false);
    fsCall(() => mkdirSync(target));
  }
  #stats(): Stats {
    return this.#fd !== undefined
      ? fsCall(() => fstatSync(this.#fd as number))
      : fsCall(() => statSync(this.#hostPath));
  }
  stat() {
    return statOf(this.#stats());
  }
  statAt(pathFlags: PathFlags, path: string) {
    const follow = pathFlags.symlinkFollow === true;
    const target = this.#resolve(path, follow);
    return statOf(fsCall(() => (follow ? statSync(target) : lstatSync(target))));
  }
  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    this.#writable();
    const follow = pathFlags.symlinkFollow === true;
    const target = this.#resolve(path, follow);
    const stats = fsCall(() => (follow ? statSync(target) : lstatSync(target)));
    const times = [timestampMs(atime, stats.atimeMs) / 1000, timestampMs(mtime, stats.mtimeMs) / 1000] as const;
    fsCall(() => (follow ? utimesSync(target, ...times) : lutimesSync(target, ...times)));
  }
  linkAt(oldFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    this.#writable();
    newDescriptor.#writable();
    const source = this.#resolve(oldPath, oldFlags.symlinkFollow === true);
    const target = newDescriptor.#resolve(newPath, false);
    fsCall(() => linkSync(source, target));
  }
  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    const wantsChange = flags.write || flags.mutateDirectory || openFlags.create || openFlags.truncate;
    if (wantsChange) this.#writable();
    const follow = pathFlags.symlinkFollow === true;
    const target = this.#resolve(path, follow);
    const existing = lstatOrUndefined(target);
    if (existing?.isSymbolicLink() && !follow) throw openFlags.directory ? 'not-directory' : 'loop';
    if (existing?.isDirectory() || (openFlags.directory && !openFlags.create)) {
      if (!existing) throw 'no-entry';
      if (!existing.isDirectory()) throw 'not-directory';
      if (flags.write) throw 'is-directory';
      if (openFlags.exclusive && openFlags.create) throw 'exist';
      return new Descriptor(this.#mount, target, undefined, flags);
    }
    let mode = flags.write ? (flags.read ? constants.O_RDWR : constants.O_WRONLY) : constants.O_RDONLY;
    if (openFlags.create) mode |= constants.O_CREAT;
    if (openFlags.exclusive) mode |= constants.O_EXCL;
    if (openFlags.truncate) mode |= constants.O_TRUNC;
    // The checked path is already resolved: never follow a link swapped in since.
    mode |= constants.O_NOFOLLOW;
    const fd = fsCall(() => openSync(target, mode, 0o644));
    return new Descriptor(this.#mount, target, fd, flags);
  }
  readlinkAt(path: string): string {
    const target = this.#resolve(path, false);
    return fsCall(() => readlinkSync(target));
  }
  removeDirectoryAt(path: string): void {
    this.#writable();
    const target = this.#resolve(path, false);
    if (target === this.#mount.hostPath) throw 'not-permitted';
    fsCall(() => rmdirSync(target));
  }
  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    this.#writable();
    newDescriptor.#writable();
    const source = this.#resolve(oldPath, false);
    const target = newDescriptor.#resolve(newPath, false);
    fsCall(() => renameSync(source, target));
  }
  symlinkAt(oldPath: string, newPath: string): void {
    this.#writable();
    // An absolute target could only ever point out of the mount.
    if (oldPath.startsWith('/')) throw 'not-permitted';
    const target = this.#resolve(newPath, false);
    fsCall(() => symlinkSync(oldPath, target));
  }
  unlinkFileAt(path: string): void {
    this.#writable();
    const target = this.#resolve(path, false);
    fsCall(() => unlinkSync(target));
  }
  isSameObject(other: Descriptor): boolean {
    const a = this.#stats();
    const b = other.#stats();
    return a.dev === b.dev && a.ino === b.ino;
  }
  metadataHash(): { lower: bigint; upper: bigint } {
    const stats = this.#stats();
    return { lower: BigInt(stats.ino), upper: BigInt(stats.dev) };
  }
  metadataHashAt(pathFlags: PathFlags, path: string): { lower: bigint; upper: bigint } {
    const follow = pathFlags.symlinkFollow === true;
    const target = this.#resolve(path, follow);
    const stats = fsCall(() => (follow ? statSync(target) : lstatSync(target)));
    return { lower: BigInt(stats.ino), upper: BigInt(stats.dev) };
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Closes file descriptors of descriptors the guest dropped (jco drops by GC). */
const FILES = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
});

/** Who is told of a guest path that would leave a mount, per mount (a pool host has several tasks). */
const ESCAPES = new WeakMap<Mount, (path: string) => void>();

/** `onEscape`: told of each path a guest tried that leaves its mount. */
export function filesystemInterfaces(
  mounts: readonly Mount[],
  onEscape?: (path: string) => void,
): Record<string, object> {
  if (onEscape) for (const mount of mounts) ESCAPES.set(mount, onEscape);
  const preopens: [Descriptor, string][] = mounts.map((mount) => [Descriptor.forMount(mount), mount.guestPath]);
  return {
    'wasi:filesystem/preopens': { getDirectories: (): [Descriptor, string][] => preopens },
    'wasi:filesystem/types': {
      Descriptor,
      DirectoryEntryStream,
      // Our stream errors carry no filesystem code.
      filesystemErrorCode: (_err: IoError): undefined => undefined,
    },
  };
}
