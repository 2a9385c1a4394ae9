// What the plugin tells a task host about the task's key-value stores:
// where the node's Consul is (the plugin's `consul { ... }` block) and, for
// stores without a `token_secret`, the node's Consul token. Nothing here is
// persisted: it goes to the task host over the launch-spec pipe.
import type { WasmTaskConfig } from '../config/task-config.js';
import type { ConsulEndpoint } from '../config/services-config.js';
import type { KeyValueBackend } from '../spin/granted-stores.js';

/** Undefined when the task has no key_value_store blocks. */
export function keyValueBackendFor(config: WasmTaskConfig, consul: ConsulEndpoint): KeyValueBackend | undefined {
  const stores = config.keyValueStores ?? [];
  if (stores.length === 0) return undefined;
  // The node's token goes only to a task with a store that uses it.
  const nodeToken = stores.some((store) => store.tokenSecret === undefined) ? consul.token : undefined;
  return {
    consul: {
      url: consul.url,
      ...(consul.caCertPem ? { caCertPem: consul.caCertPem } : {}),
      ...(consul.namespace ? { namespace: consul.namespace } : {}),
      ...(consul.partition ? { partition: consul.partition } : {}),
    },
    ...(nodeToken ? { nodeToken } : {}),
  };
}

/** Audit line for the task's events: labels, prefixes and where tokens come from, never a token. */
export function describeKeyValueStores(config: WasmTaskConfig, backend: KeyValueBackend): string {
  const stores = (config.keyValueStores ?? [])
    .map(
      (store) =>
        `${store.label} <- ${store.consulPrefix}/ (${store.tokenSecret ? `token from secret key ${store.tokenSecret}` : backend.nodeToken ? "the node's Consul token" : 'no token'})`,
    )
    .join(', ');
  return `Key-value stores: ${stores}; Consul ${backend.consul.url}`;
}
