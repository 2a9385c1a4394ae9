// wasi:config/store (WebAssembly/wasi-config): `get` and `get-all` over a
// source the task host fills (plain values from the job, secrets held in
// memory). Every call is answered from memory; nothing here does I/O.
//
// Served for the versions components are built against: 0.2.0-draft (the
// wasi-config proposal), 0.2.0-draft-2024-09-27 (Spin 3) and 0.2.0-rc.1.
// They share one shape, and jco's glue asks for the interface by name
// without its version, so one implementation answers all of them.

/** The error variant of the interface: `upstream(string)` or `io(string)`. */
export type ConfigStoreErrorValue = { readonly tag: 'upstream' | 'io'; readonly val: string };

/** Thrown by a source; jco turns its `payload` into the guest's `err(error)`. */
export class ConfigStoreError extends Error {
  readonly payload: ConfigStoreErrorValue;
  constructor(tag: ConfigStoreErrorValue['tag'], message: string) {
    super(message);
    this.name = 'ConfigStoreError';
    this.payload = { tag, val: message };
  }
}

/** What the component can read. Deny by default: anything not returned does not exist. */
export interface ConfigSource {
  get(key: string): string | undefined;
  /** Sorted by key. */
  getAll(): [string, string][];
}

export const SERVED_CONFIG_VERSIONS: readonly string[] = ['0.2.0-draft', '0.2.0-draft-2024-09-27', '0.2.0-rc.1'];

export function configStoreInterfaces(source: ConfigSource): Record<string, object> {
  return {
    'wasi:config/store': {
      get: (key: string): string | undefined => source.get(key),
      getAll: (): [string, string][] => source.getAll(),
    },
  };
}

/** A source with nothing in it: what a task without config grants sees. */
export const EMPTY_CONFIG: ConfigSource = { get: () => undefined, getAll: () => [] };
