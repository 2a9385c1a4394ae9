// The key-value interfaces Spin components import, over the stores the task
// was granted (key-value-store.ts; backed by Consul KV): Spin's own
// `fermyon:spin/key-value@2.0.0` and the `wasi:keyvalue@0.2.0-draft2`
// interfaces (store, atomics, batch) that Spin 3 serves from the same stores.
// A label the job does not grant cannot be opened (`access-denied`).
import { guestError } from './guest-error.js';
import { KeyValueError, type KeyValueBucket, type KeyValueErrorKind, type KeyValueStores } from './key-value-store.js';

type StoreError = { tag: KeyValueErrorKind } | { tag: 'other'; val: string };

function storeError(err: unknown): StoreError {
  if (!(err instanceof KeyValueError)) throw err; // a bug of ours: let it trap
  return err.kind === 'other' ? { tag: 'other', val: err.message } : { tag: err.kind };
}

/** Runs a store operation, turning a KeyValueError into the guest's `err(error)`. */
function answer<T>(operation: () => T): T {
  try {
    return operation();
  } catch (err) {
    throw guestError(storeError(err));
  }
}

export function keyValueInterfaces(stores: KeyValueStores): Record<string, object> {
  return {
    'fermyon:spin/key-value': { Store: spinStore(stores) },
    'wasi:keyvalue/store': {
      Bucket,
      open: (identifier: string): Bucket => new Bucket(answer(() => stores.open(identifier))),
    },
    'wasi:keyvalue/atomics': {
      Cas,
      increment: (bucket: Bucket, key: string, delta: bigint): bigint =>
        answer(() => increment(bucket.bucket, key, delta)),
      swap(cas: Cas, value: Uint8Array): void {
        let swapped: boolean;
        try {
          swapped = cas.bucket.setIfVersion(cas.key, value, cas.version);
        } catch (err) {
          throw guestError({ tag: 'store-error', val: storeError(err) });
        }
        if (!swapped) throw guestError({ tag: 'cas-failed', val: Cas.read(cas.bucket, cas.key) });
      },
    },
    'wasi:keyvalue/batch': {
      getMany: (bucket: Bucket, keys: string[]): [string, Uint8Array | undefined][] =>
        answer(() => keys.map((key): [string, Uint8Array | undefined] => [key, bucket.bucket.get(key)])),
      setMany: (bucket: Bucket, entries: [string, Uint8Array][]): void =>
        answer(() => {
          for (const [key, value] of entries) bucket.bucket.set(key, value);
        }),
      deleteMany: (bucket: Bucket, keys: string[]): void =>
        answer(() => {
          for (const key of keys) bucket.bucket.delete(key);
        }),
    },
  };
}

/** What both interfaces do with one opened store: get, set, delete, exists. */
class OpenedStore {
  constructor(readonly bucket: KeyValueBucket) {}
  get(key: string): Uint8Array | undefined {
    return answer(() => this.bucket.get(key));
  }
  set(key: string, value: Uint8Array): void {
    answer(() => this.bucket.set(key, value));
  }
  delete(key: string): void {
    answer(() => this.bucket.delete(key));
  }
  exists(key: string): boolean {
    return answer(() => this.bucket.exists(key));
  }
}

/** fermyon:spin/key-value@2.0.0 `store`, opening the task's granted stores. */
function spinStore(stores: KeyValueStores): object {
  return class Store extends OpenedStore {
    static open(label: string): Store {
      return new Store(answer(() => stores.open(label)));
    }
    getKeys(): string[] {
      return answer(() => this.bucket.keys());
    }
  };
}

/** wasi:keyvalue/store `bucket`. */
class Bucket extends OpenedStore {
  /** Every key in one page: `cursor` is never needed. */
  listKeys(_cursor: string | undefined): { keys: string[]; cursor: string | undefined } {
    return { keys: answer(() => this.bucket.keys()), cursor: undefined };
  }
}

/** wasi:keyvalue/atomics `cas`: the value and the version it was read at. */
class Cas {
  private constructor(
    readonly bucket: KeyValueBucket,
    readonly key: string,
    readonly value: Uint8Array | undefined,
    readonly version: bigint,
  ) {}
  static new(bucket: Bucket, key: string): Cas {
    return Cas.read(bucket.bucket, key);
  }
  static read(bucket: KeyValueBucket, key: string): Cas {
    const { value, version } = answer(() => bucket.getVersioned(key));
    return new Cas(bucket, key, value, version);
  }
  current(): Uint8Array | undefined {
    return this.value;
  }
}

/** Adds `delta` to the decimal integer stored at `key` (absent: 0), retrying while others write it. */
function increment(bucket: KeyValueBucket, key: string, delta: bigint): bigint {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { value, version } = bucket.getVersioned(key);
    const text = value === undefined ? '0' : Buffer.from(value).toString('utf8');
    if (!/^-?\d+$/.test(text))
      throw new KeyValueError('other', `increment: the value of key ${JSON.stringify(key)} is not a decimal integer`);
    const next = BigInt.asIntN(64, BigInt(text) + delta);
    if (bucket.setIfVersion(key, Buffer.from(next.toString()), version)) return next;
  }
  throw new KeyValueError('other', `increment: key ${JSON.stringify(key)} kept changing; gave up after 100 attempts`);
}
