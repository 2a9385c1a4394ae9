// The key-value stores one task may open: exactly the `key_value_store`
// blocks of its job, each a Consul KV prefix. Deny by default: any other
// label is `access-denied`, and the task's log says how to grant it.
import { ConsulKvBucket, type ConsulKvEndpoint } from './consul-kv.js';
import { NO_KEY_VALUE_STORES, type KeyValueBucket, type KeyValueStores } from './key-value-store.js';

/** One `key_value_store "<label>" { ... }` block, as the task host receives it. */
export interface KeyValueStoreGrant {
  readonly label: string;
  /** Consul KV prefix of the store, without leading or trailing `/`. */
  readonly consulPrefix: string;
  /** The secret key (of a Vault `secret` block) holding the store's Consul token; absent: the node's token. */
  readonly tokenSecret?: string;
}

/** Where Consul is and the node's token, from the plugin's `consul` block (never shown to the component). */
export interface KeyValueBackend {
  readonly consul: ConsulKvEndpoint;
  readonly nodeToken?: string;
}

export interface GrantedStoresOptions {
  readonly grants: readonly KeyValueStoreGrant[];
  readonly backend: KeyValueBackend | undefined;
  /** The current value of a secret key (throws while the secret is unavailable). */
  readonly secret: (key: string) => string | undefined;
  /** A line for the task's log. */
  readonly notice: (message: string) => void;
}

export function grantedStores(options: GrantedStoresOptions): KeyValueStores {
  const { grants, backend } = options;
  if (grants.length === 0 || !backend) return denyingStores(options.notice);
  const buckets = new Map<string, KeyValueBucket>(
    grants.map((grant) => [
      grant.label,
      new ConsulKvBucket({
        label: grant.label,
        prefix: grant.consulPrefix,
        endpoint: backend.consul,
        token: grant.tokenSecret === undefined ? () => backend.nodeToken : tokenFrom(grant.tokenSecret, options.secret),
        onFailure: options.notice,
      }),
    ]),
  );
  const denying = denyingStores(options.notice, [...buckets.keys()]);
  return { open: (label) => buckets.get(label) ?? denying.open(label) };
}

function tokenFrom(key: string, secret: (key: string) => string | undefined): () => string {
  return () => {
    const token = secret(key);
    if (token === undefined) throw new Error(`secret key "${key}" has no value`);
    return token;
  };
}

/** Refuses every label, with a notice per label at most every 30 s. */
function denyingStores(notice: (message: string) => void, granted: readonly string[] = []): KeyValueStores {
  const lastNotice = new Map<string, number>();
  return {
    open(label) {
      const now = Date.now();
      if ((lastNotice.get(label) ?? -Infinity) < now - 30_000) {
        lastNotice.set(label, now);
        notice(
          `key-value store ${JSON.stringify(label)} denied: not granted to this task (granted: ${granted.join(', ') || 'none'}); grant it with key_value_store ${JSON.stringify(label)} { consul_prefix = "..." } in the task config`,
        );
      }
      return NO_KEY_VALUE_STORES.open(label);
    },
  };
}
