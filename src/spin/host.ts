// The Spin host interfaces a component built with a Spin SDK imports, beside
// the WASI 0.2 host (src/wasi/host.ts), for one task's grants:
// - variables (fermyon:spin/variables, spin:variables) from the same source
//   as wasi:config/store;
// - key-value stores (fermyon:spin/key-value, wasi:keyvalue/*,
//   spin:key-value) backed by Consul KV, only the stores the job grants;
// - everything else Spin offers (LLM, Redis, MQTT, PostgreSQL, MySQL,
//   SQLite) present but answering "not available".
// Spin 4 apps (spin-sdk 5) import the async spin:*@3.x versions beside the
// Spin 3 ones; they run as WASI 0.3 services (src/wasi-p3/).
// (wasi:otel, which Spin SDKs may import too, is the WASI host's: src/wasi/otel.ts.)
// Deny by default, like the WASI host: nothing reaches the component that
// the job did not grant.
import type { ConfigSource } from '../wasi/config-store.js';
import { keyValueInterfaces } from './key-value.js';
import { keyValueP3Interfaces } from './key-value-p3.js';
import { NO_KEY_VALUE_STORES, type KeyValueStores } from './key-value-store.js';
import { unavailableInterfaces } from './unavailable.js';
import { variablesInterfaces } from './variables.js';

export interface SpinGrants {
  /** What variables answer from: the task's wasi:config/store source. */
  readonly config: ConfigSource;
  readonly keyValue?: KeyValueStores;
}

export function spinHost(grants: SpinGrants): Record<string, object> {
  const stores = grants.keyValue ?? NO_KEY_VALUE_STORES;
  return {
    ...variablesInterfaces(grants.config),
    ...keyValueInterfaces(stores),
    ...keyValueP3Interfaces(stores),
    ...unavailableInterfaces(),
  };
}

/**
 * The versions served of each interface (jco's glue asks without the
 * version, so one implementation answers all listed). The versions with
 * `async` functions (spin:key-value@3.0.0, spin:variables@3.0.0,
 * spin:redis/mqtt/mysql@3.0.0, spin:sqlite@3.1.0, spin:postgres@4.2.0: the
 * Spin 4 world of spin-sdk 5) are called by WASI 0.3 components only.
 */
export const SPIN_INTERFACE_VERSIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ...[
    'fermyon:spin/variables',
    'fermyon:spin/key-value',
    'fermyon:spin/llm',
    'fermyon:spin/redis',
    'fermyon:spin/mqtt',
    'fermyon:spin/postgres',
    'fermyon:spin/mysql',
    'fermyon:spin/sqlite',
    'fermyon:spin/rdbms-types',
  ].map((name): [string, string[]] => [name, ['2.0.0']]),
  ...['wasi:keyvalue/store', 'wasi:keyvalue/atomics', 'wasi:keyvalue/batch'].map((name): [string, string[]] => [
    name,
    ['0.2.0-draft2'],
  ]),
  ['spin:postgres/postgres', ['3.0.0', '4.0.0', '4.1.0', '4.2.0']],
  ['spin:sqlite/sqlite', ['3.0.0', '3.1.0']],
  ...[
    'spin:key-value/key-value',
    'spin:variables/variables',
    'spin:redis/redis',
    'spin:mqtt/mqtt',
    'spin:mysql/mysql',
  ].map((name): [string, string[]] => [name, ['3.0.0']]),
]);

/** Whether a Spin import (`fermyon:spin/variables@2.0.0`, or without a version) is served. */
export function providesSpinImport(name: string): boolean {
  const at = name.lastIndexOf('@');
  const iface = at > name.lastIndexOf('/') ? name.slice(0, at) : name;
  const versions = SPIN_INTERFACE_VERSIONS.get(iface);
  return versions !== undefined && (at < 0 || versions.includes(name.slice(at + 1)));
}
