// The host's side of WASI 0.3 `stream<T>` and `future<T>` values, in the
// shapes jco 1.35's glue hands over and accepts:
//
// - a stream the guest writes (a response body, stdout) arrives as an
//   object with `read({ count })` resolving to `{ value, done }` and a
//   `Symbol.dispose` that drops the host's end;
// - a stream the host gives the guest (a request body, a file read) is any
//   iterable or async iterable of chunks (Uint8Array for bytes, one item
//   each otherwise): the glue pulls from it when the guest reads, so
//   nothing is read ahead of the guest;
// - a future either way is a promise (a thenable from the glue).

/** A guest-written `stream<T>` as the glue gives it to host code. */
export interface GuestStream<T> {
  read(options: { count: number }): Promise<{ value?: T | ArrayLike<number>; done: boolean } | null | undefined>;
  [Symbol.dispose]?(): void;
}

/** The `result<_, E>` a host-side future resolves to. */
export type Outcome<E> = { tag: 'ok'; val?: undefined } | { tag: 'err'; val: E };

export const OK: Outcome<never> = Object.freeze({ tag: 'ok', val: undefined });

const READ_CHUNK = 64 * 1024;

/**
 * Reads a guest byte stream to its end, handing each chunk to `onChunk`
 * (awaited: a slow consumer slows the guest, nothing piles up here).
 */
export async function pumpGuestBytes(
  stream: GuestStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<void> {
  try {
    for (;;) {
      const next = await stream.read({ count: READ_CHUNK });
      if (!next) return;
      const chunk = asBytes(next.value);
      if (chunk.length > 0) await onChunk(chunk);
      if (next.done) return;
    }
  } finally {
    stream[Symbol.dispose]?.();
  }
}

/**
 * A chunk as bytes: the glue hands over a Uint8Array, or a plain array of
 * numbers when the guest passes on a stream the host gave it (an echo).
 */
function asBytes(value: Uint8Array | ArrayLike<number> | undefined): Uint8Array {
  if (value === undefined) return EMPTY;
  return value instanceof Uint8Array ? value : Uint8Array.from(value);
}
const EMPTY = new Uint8Array(0);

/** Reads a guest byte stream completely (an outbound request body), up to `maxBytes`. */
export async function readGuestBytes(stream: GuestStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  await pumpGuestBytes(stream, (chunk) => {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLarge(maxBytes);
    chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

export class BodyTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`body over ${maxBytes} bytes`);
  }
}

/** A stream with nothing in it (stdin of a task: Nomad gives tasks none). */
export function emptyStream(): Iterable<Uint8Array> {
  return [];
}

/** One buffer as a stream (an outbound response body, read whole). */
export function bytesStream(bytes: Uint8Array): Iterable<Uint8Array> {
  return bytes.length > 0 ? [bytes] : [];
}

/** A promise and its settle functions. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
