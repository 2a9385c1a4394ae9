// spin:key-value@3.0.0, the key-value interface of Spin 4 apps (spin-sdk 5,
// WASI 0.3): the same stores, grants and errors as fermyon:spin/key-value
// (key-value.ts), with every function async. jco's glue awaits what these
// return (the guest task waits; JSPI, src/runtime/jspi.ts) and lowers a
// GuestError's payload as the result's `err`, as for synchronous calls.
// Consul is asked through the bucket's `async` side: nothing blocks the
// thread, so the instance's other requests run while a call is out.
import { guestError } from './guest-error.js';
import { KeyValueError, type AsyncKeyValueBucket, type KeyValueStores } from './key-value-store.js';

type StoreError = { tag: 'no-such-store' | 'access-denied' } | { tag: 'other'; val: string };
type Outcome = { tag: 'ok'; val?: undefined } | { tag: 'err'; val: StoreError };

function storeError(err: unknown): StoreError {
  if (!(err instanceof KeyValueError)) throw err; // a bug of ours: let it trap
  return err.kind === 'other' ? { tag: 'other', val: err.message } : { tag: err.kind };
}

/** Awaits a store operation (or runs a synchronous one), turning a KeyValueError into the guest's `err(error)`. */
async function answer<T>(operation: () => T | Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw guestError(storeError(err));
  }
}

export function keyValueP3Interfaces(stores: KeyValueStores): Record<string, object> {
  /** spin:key-value/key-value@3.0.0 `store`. */
  class Store {
    private constructor(readonly bucket: AsyncKeyValueBucket) {}
    static async open(label: string): Promise<Store> {
      return new Store(await answer(() => stores.open(label).async));
    }
    get(key: string): Promise<Uint8Array | undefined> {
      return answer(() => this.bucket.get(key));
    }
    set(key: string, value: Uint8Array): Promise<void> {
      return answer(() => this.bucket.set(key, value));
    }
    delete(key: string): Promise<void> {
      return answer(() => this.bucket.delete(key));
    }
    exists(key: string): Promise<boolean> {
      return answer(() => this.bucket.exists(key));
    }
    /**
     * A stream of every key and a future of the outcome. The keys come in one
     * listing from Consul: the stream yields them once it has arrived, and ends
     * empty when the listing failed (the future then holds the error).
     */
    getKeys(): [AsyncIterable<string>, Promise<Outcome>] {
      const listing = this.bucket.keys().then(
        (keys) => ({ keys, outcome: { tag: 'ok' } as Outcome }),
        (err: unknown) => ({ keys: [] as string[], outcome: { tag: 'err', val: storeError(err) } as Outcome }),
      );
      const keys = async function* (): AsyncGenerator<string> {
        yield* (await listing).keys;
      };
      return [keys(), listing.then(({ outcome }) => outcome)];
    }
  }
  return { 'spin:key-value/key-value': { Store } };
}
