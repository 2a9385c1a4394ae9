// wasi:io (error, poll, streams) implemented in the task's own thread.
//
// preview2-shim routes every stream and pollable call through an I/O worker
// with an Atomics round trip; here every stream is backed by something this
// thread can serve synchronously (a buffer, a file descriptor, an HTTP
// response), so a call costs a function call. Guests see the same
// interfaces; jco's glue only checks `instanceof` against these classes.
import { beforeBlocking } from './before-blocking.js';

/** The `error` resource of wasi:io/error. */
export class IoError extends Error {
  toDebugString(): string {
    return this.message;
  }
}

/** Values jco's glue lowers into `stream-error`. */
export type StreamError = { tag: 'closed' } | { tag: 'last-operation-failed'; val: IoError };

export const STREAM_CLOSED: StreamError = Object.freeze({ tag: 'closed' });

export function streamFailed(message: string): StreamError {
  return { tag: 'last-operation-failed', val: new IoError(message) };
}

/** Sleeps this thread synchronously: WASI calls are synchronous. */
export function sleepSync(ms: number): void {
  if (ms <= 0) return;
  beforeBlocking();
  Atomics.wait(SLEEPER, 0, 0, ms);
}
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

export class Pollable {
  ready(): boolean {
    return true;
  }
  block(): void {
    // Ready pollables never block.
  }
  /** Milliseconds until ready (0 if ready now); poll() sleeps the minimum. */
  msUntilReady(): number {
    return 0;
  }
}

/** Ready once the monotonic clock passes `deadlineNs`. */
export class DeadlinePollable extends Pollable {
  readonly #deadlineNs: bigint;
  constructor(deadlineNs: bigint) {
    super();
    this.#deadlineNs = deadlineNs;
  }
  override ready(): boolean {
    return process.hrtime.bigint() >= this.#deadlineNs;
  }
  override msUntilReady(): number {
    const left = this.#deadlineNs - process.hrtime.bigint();
    return left <= 0n ? 0 : Math.ceil(Number(left) / 1e6);
  }
  override block(): void {
    sleepSync(this.msUntilReady());
  }
}

/** wasi:io/poll.poll: indices of the ready pollables, sleeping until at least one is. */
export function poll(list: Pollable[]): Uint32Array {
  for (;;) {
    const ready: number[] = [];
    let wait = Infinity;
    list.forEach((pollable, index) => {
      if (pollable.ready()) ready.push(index);
      else wait = Math.min(wait, pollable.msUntilReady());
    });
    if (ready.length > 0 || list.length === 0) return Uint32Array.from(ready);
    sleepSync(wait === Infinity ? 1 : Math.max(wait, 1));
  }
}

/** Base of every input stream; subclasses implement `readChunk`. */
export abstract class InputStream {
  /** Up to `max` bytes; an empty array means nothing yet; throws STREAM_CLOSED at the end. */
  protected abstract readChunk(max: number): Uint8Array;

  read(len: bigint): Uint8Array {
    return this.readChunk(clampLength(len));
  }
  blockingRead(len: bigint): Uint8Array {
    // Our sources never make the guest wait for data: they are complete.
    return this.readChunk(clampLength(len));
  }
  skip(len: bigint): bigint {
    return BigInt(this.readChunk(clampLength(len)).length);
  }
  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

/** An input stream over bytes that are all here already (a request body, stdin). */
export class BufferInputStream extends InputStream {
  #data: Uint8Array;
  #offset = 0;
  constructor(data: Uint8Array) {
    super();
    this.#data = data;
  }
  protected readChunk(max: number): Uint8Array {
    if (this.#offset >= this.#data.length) throw STREAM_CLOSED;
    const chunk = this.#data.subarray(this.#offset, this.#offset + max);
    this.#offset += chunk.length;
    return chunk;
  }
}

/** Base of every output stream; subclasses implement `writeBytes` (and may refuse with a StreamError). */
export abstract class OutputStream {
  protected abstract writeBytes(bytes: Uint8Array): void;
  /** How many bytes the guest may write now; never 0 for our synchronous sinks. */
  protected writeBudget(): bigint {
    return 1n << 20n;
  }

  checkWrite(): bigint {
    return this.writeBudget();
  }
  write(contents: Uint8Array): void {
    this.writeBytes(contents);
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.writeBytes(contents);
  }
  flush(): void {
    // Writes are handed on immediately.
  }
  blockingFlush(): void {
    // Writes are handed on immediately.
  }
  writeZeroes(len: bigint): void {
    this.writeBytes(new Uint8Array(clampLength(len)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }
  splice(src: InputStream, len: bigint): bigint {
    const chunk = src.read(len); // STREAM_CLOSED at its end reaches the guest as is
    this.writeBytes(chunk);
    return BigInt(chunk.length);
  }
  blockingSplice(src: InputStream, len: bigint): bigint {
    return this.splice(src, len);
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

/** An output stream that calls `sink` for every write. */
export class SinkOutputStream extends OutputStream {
  readonly #sink: (bytes: Uint8Array) => void;
  constructor(sink: (bytes: Uint8Array) => void) {
    super();
    this.#sink = sink;
  }
  protected writeBytes(bytes: Uint8Array): void {
    this.#sink(bytes);
  }
}

/** A stream that is already at its end (stdin of a service, a consumed body). */
export class EmptyInputStream extends InputStream {
  protected readChunk(): Uint8Array {
    throw STREAM_CLOSED;
  }
}

const MAX_CHUNK = 1 << 20;

function clampLength(len: bigint): number {
  return len > BigInt(MAX_CHUNK) ? MAX_CHUNK : Number(len);
}

export const ioInterfaces = {
  'wasi:io/error': { Error: IoError },
  'wasi:io/poll': { Pollable, poll },
  'wasi:io/streams': { InputStream, OutputStream },
};
