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

/** How often the same notice may reach the task's log: a request loop must not flood it. */
const NOTICE_EVERY_MS = 30_000;

export function grantedStores(options: GrantedStoresOptions): KeyValueStores {
  const { grants, backend } = options;
  const notice = rateLimited(options.notice);
  if (grants.length === 0 || !backend) return denyingStores(notice);
  const buckets = new Map<string, KeyValueBucket>(
    grants.map((grant) => [
      grant.label,
      new ConsulKvBucket({
        label: grant.label,
        prefix: grant.consulPrefix,
        endpoint: backend.consul,
        token: grant.tokenSecret === undefined ? () => backend.nodeToken : tokenFrom(grant.tokenSecret, options.secret),
        onFailure: notice,
      }),
    ]),
  );
  const denying = denyingStores(notice, [...buckets.keys()]);
  return { open: (label) => buckets.get(label) ?? denying.open(label) };
}

function tokenFrom(key: string, secret: (key: string) => string | undefined): () => string {
  return () => {
    const token = secret(key);
    if (token === undefined) throw new Error(`secret key "${key}" has no value`);
    return token;
  };
}

/** Refuses every label, saying so in the task's log. */
function denyingStores(notice: (message: string) => void, granted: readonly string[] = []): KeyValueStores {
  return {
    open(label) {
      notice(
        `key-value store ${JSON.stringify(label)} denied: not granted to this task (granted: ${granted.join(', ') || 'none'}); grant it with key_value_store ${JSON.stringify(label)} { consul_prefix = "..." } in the task config`,
      );
      return NO_KEY_VALUE_STORES.open(label);
    },
  };
}

/** `notice`, passing each distinct message at most every NOTICE_EVERY_MS. */
function rateLimited(notice: (message: string) => void): (message: string) => void {
  const last = new Map<string, number>();
  return (message) => {
    const now = Date.now();
    if ((last.get(message) ?? -Infinity) > now - NOTICE_EVERY_MS) return;
    if (last.size > 1000) last.clear(); // distinct messages (keys in them) must not grow without end
    last.set(message, now);
    notice(message);
  };
}
