// What a component may see, as the plugin decided it (src/task/decide-grants.ts)
// and the task host applies it. Deny by default: anything not listed here
// is not visible to the guest.
import type { ServiceRef } from '../services/service-ref.js';
import type { KeyValueStoreGrant } from '../spin/granted-stores.js';
import type { Mount } from '../wasi/filesystem.js';

export type HttpInstanceMode = 'shared' | 'per-request';

/** What `wasi:config/store` and the secret-filled env may show (src/runtime/config-view.ts). */
export interface ConfigGrants {
  /** Plain values written in the job (`config_values`), visible as they are. */
  readonly values: Readonly<Record<string, string>>;
  /** Secret keys the component may read (`config_keys`): `name`, `name.field` or `name.*`. */
  readonly secretKeys: readonly string[];
  /** Environment variables filled from secret keys when an instance starts (`secret_env`). */
  readonly secretEnv: Readonly<Record<string, string>>;
}

export interface Grants {
  /** argv as the component sees it; argv[0] is the program name. */
  readonly args: readonly string[];
  /** The complete environment of the component. */
  readonly env: Readonly<Record<string, string>>;
  /** Directories of the task dir the component sees, real host paths. */
  readonly mounts: readonly Mount[];
  /** Outbound HTTP allow-list entries (`host`, `host:port`, `*.domain`). */
  readonly outboundHttp: readonly string[];
  /** Services outbound HTTP may reach by name (`allow_services`); absent = none. */
  readonly services?: readonly ServiceRef[];
  /** Ceiling for linear memory in MiB, from the task's resources. */
  readonly memoryMaxMiB: number | undefined;
  /** wasi:http services: one instance for all requests, or one per request. */
  readonly httpInstance: HttpInstanceMode;
  /** wasi:config/store keys; none when absent. */
  readonly config?: ConfigGrants;
  /** Key-value stores (Spin key-value, wasi:keyvalue) the component may open; none when absent. */
  readonly keyValueStores?: readonly KeyValueStoreGrant[];
}
