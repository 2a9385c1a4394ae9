// The task config's key-value stores (Spin key-value, wasi:keyvalue), each
// a Consul KV prefix, and the optional Spin manifest the job checks its
// grants against:
//
//   key_value_store "default" {
//     consul_prefix = "apps/cart/default"   # the store's keys live under apps/cart/default/
//     token_secret  = "consul"             # optional: a secret key holding the store's Consul token
//   }
//   spin {
//     manifest  = "local/spin.toml"        # the app's spin.toml, inside the task dir
//     component = "cart"                   # its [component.<id>], if it has several
//   }
//
// Deny by default: a label without a block cannot be opened. The token is
// the node's Consul token unless `token_secret` names a key of one of the
// task's Vault `secret` blocks (e.g. Vault's Consul secrets engine), which
// is then never shown to the component (secret-config.ts refuses it in
// config_keys and secret_env).
import { attr, blockMap, object, singleBlock, type Spec } from '../hclspec/spec.js';
import { prefixProblem } from '../spin/consul-kv.js';
import type { KeyValueStoreGrant } from '../spin/granted-stores.js';
import type { ConfigReader } from './config-reader.js';

export interface SpinManifestRef {
  /** Path of the spin.toml inside the task dir. */
  readonly manifest: string;
  /** Which `[component.<id>]` the task runs; optional when the manifest has one. */
  readonly component?: string;
}

export const keyValueConfigFields: Record<string, Spec> = {
  key_value_store: blockMap(
    'key_value_store',
    'label',
    object({
      consul_prefix: attr('consul_prefix', 'string', true),
      token_secret: attr('token_secret', 'string'),
    }),
  ),
  spin: singleBlock(
    'spin',
    object({
      manifest: attr('manifest', 'string', true),
      component: attr('component', 'string'),
    }),
  ),
};

const LABEL = /^[A-Za-z0-9_.-]+$/;

export function decodeKeyValueStores(config: ConfigReader): KeyValueStoreGrant[] {
  const stores: KeyValueStoreGrant[] = [];
  for (const [label, block] of config.blockMap('key_value_store')) {
    const field = `key_value_store["${label}"]`;
    if (!LABEL.test(label))
      throw new Error(`config field ${field}: a store label may hold letters, digits, ".", "_" and "-"`);
    const prefix = block.requiredString('consul_prefix').replace(/^\/+|\/+$/g, '');
    const problem = prefixProblem(prefix);
    if (problem) throw new Error(`config field ${field}.consul_prefix: ${problem}`);
    const tokenSecret = block.optionalString('token_secret') || undefined;
    stores.push({ label, consulPrefix: prefix, ...(tokenSecret ? { tokenSecret } : {}) });
  }
  for (const [i, store] of stores.entries()) {
    const overlapping = stores.find(
      (other, j) =>
        j !== i &&
        (`${other.consulPrefix}/`.startsWith(`${store.consulPrefix}/`) ||
          `${store.consulPrefix}/`.startsWith(`${other.consulPrefix}/`)),
    );
    if (overlapping)
      throw new Error(
        `config field key_value_store["${store.label}"].consul_prefix: "${store.consulPrefix}" overlaps the prefix of store "${overlapping.label}" ("${overlapping.consulPrefix}"); give each store its own`,
      );
  }
  return stores;
}

export function decodeSpinManifestRef(config: ConfigReader): SpinManifestRef | undefined {
  const block = config.optionalBlock('spin');
  if (!block) return undefined;
  const component = block.optionalString('component') || undefined;
  return { manifest: block.requiredString('manifest'), ...(component ? { component } : {}) };
}
