// The secret values of a task host, shared with the worker thread that runs
// a wasi:cli command (command-worker.ts): a command's guest holds its thread
// for as long as it runs, so the lease manager stays on the main thread and
// publishes each change into shared memory, which the guest's
// wasi:config/store calls read without waiting for anything.
//
// A seqlock: the writer makes the sequence odd, writes, makes it even; a
// reader copies and retries when the sequence moved meanwhile. Memory of
// this process only, never a file.
import { ConfigStoreError } from '../wasi/config-store.js';
import type { SecretKeys } from '../runtime/config-view.js';
import { SecretStore, type SecretSnapshot } from '../vault/secret-store.js';

const HEADER_BYTES = 8;
/** Far more than any task's secrets; what does not fit is refused loudly. */
const CAPACITY_BYTES = 4 * 1024 * 1024;
const SEQUENCE = 0;
const LENGTH = 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Main thread: publishes the store's content now and after every change. */
export function shareSecrets(store: SecretStore, onTooLarge: (bytes: number) => void): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(HEADER_BYTES + CAPACITY_BYTES);
  const header = new Int32Array(buffer, 0, 2);
  const body = new Uint8Array(buffer, HEADER_BYTES);
  const publish = (): void => {
    const bytes = encoder.encode(JSON.stringify(store.snapshot()));
    if (bytes.length > CAPACITY_BYTES) {
      onTooLarge(bytes.length);
      return;
    }
    const previous = Atomics.load(header, LENGTH);
    Atomics.add(header, SEQUENCE, 1); // odd: writing
    body.set(bytes);
    // A shorter snapshot must not leave the end of the old one (rotated-out values) behind it.
    if (previous > bytes.length) body.fill(0, bytes.length, previous);
    Atomics.store(header, LENGTH, bytes.length);
    Atomics.add(header, SEQUENCE, 1); // even: complete
  };
  publish();
  store.onChange(publish);
  return buffer;
}

/** Worker thread: the shared values as the SecretKeys a command's WASI host reads. */
export function sharedSecretKeys(buffer: SharedArrayBuffer): SecretKeys {
  const header = new Int32Array(buffer, 0, 2);
  const body = new Uint8Array(buffer, HEADER_BYTES);
  let seen = -1;
  let current = new SecretStore();
  const latest = (): SecretStore => {
    for (;;) {
      const before = Atomics.load(header, SEQUENCE);
      if (before === seen) return current;
      if (before % 2 === 1) continue; // a write is under way
      const length = Atomics.load(header, LENGTH);
      const copy = body.slice(0, length);
      if (Atomics.load(header, SEQUENCE) !== before) continue;
      try {
        current = SecretStore.fromSnapshot(JSON.parse(decoder.decode(copy)) as SecretSnapshot);
      } catch {
        // A fixed message: the parser's would quote the snapshot, which holds ungranted values too.
        throw new ConfigStoreError('io', 'secret values unreadable (the shared snapshot is corrupt)');
      }
      seen = before;
      return current;
    }
  };
  return {
    get: (key) => latest().get(key),
    entries: (granted) => latest().entries(granted),
  };
}
