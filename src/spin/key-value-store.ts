// What the key-value interfaces (fermyon:spin/key-value, wasi:keyvalue,
// spin:key-value) need of a store, whatever backs it (Consul KV:
// consul-kv.ts). The 0.2 interfaces' calls are synchronous in the guest's
// view: a backend that does I/O blocks the calling thread the way outbound
// HTTP does (src/wasi/sync-fetch.ts). The async ones (spin:key-value@3.0.0,
// WASI 0.3) use the bucket's `async` side, which does not block.

/** Why a store operation failed, in the terms the guest interfaces share. */
export type KeyValueErrorKind = 'no-such-store' | 'access-denied' | 'other';

export class KeyValueError extends Error {
  readonly kind: KeyValueErrorKind;
  constructor(kind: KeyValueErrorKind, message: string) {
    super(message);
    this.name = 'KeyValueError';
    this.kind = kind;
  }
}

/** A value and the version it was read at (Consul's ModifyIndex), for compare-and-swap. */
export interface VersionedValue {
  readonly value: Uint8Array | undefined;
  /** 0 when the key does not exist: a swap at version 0 creates it only if still absent. */
  readonly version: bigint;
}

/** One granted store: the keys under its prefix. Methods throw KeyValueError. */
export interface KeyValueBucket {
  readonly label: string;
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
  delete(key: string): void;
  exists(key: string): boolean;
  /** Every key of the store (without its prefix). */
  keys(): string[];
  getVersioned(key: string): VersionedValue;
  /** Writes only if the key is still at `version`; false when it moved meanwhile. */
  setIfVersion(key: string, value: Uint8Array, version: bigint): boolean;
  /** The same store for async guest calls: the same answers and errors, without blocking the thread. */
  readonly async: AsyncKeyValueBucket;
}

/** The operations spin:key-value@3.0.0 has, as promises (rejected with KeyValueError). */
export interface AsyncKeyValueBucket {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  keys(): Promise<string[]>;
}

/** The stores a task was granted, by label. `open` throws KeyValueError for any other label. */
export interface KeyValueStores {
  open(label: string): KeyValueBucket;
}

/** What a task without key_value_store grants sees: every label is denied. */
export const NO_KEY_VALUE_STORES: KeyValueStores = {
  open(label) {
    throw new KeyValueError('access-denied', `key-value store "${label}" is not granted to this task`);
  },
};
