// The client agent's `plugin "wasm" { config { ... } }` block.
//
// Nomad starts the plugin several times per agent start and calls SetConfig
// in throw-away instances, and a SetConfig error aborts the agent start: so
// decoding here is pure (no directories created, nothing bound or started).
import { DriverError } from '../errors.js';
import { decodeCtyMsgpack } from '../hclspec/cty-msgpack.js';
import { attr, object, withDefault, type Spec } from '../hclspec/spec.js';
import { ConfigReader } from './config-reader.js';

export interface PluginConfig {
  /** Where transpiled components are cached, shared by all tasks on the node. */
  readonly cacheDir: string;
}

export const DEFAULT_CACHE_DIR = '/var/lib/nomad-driver-wasm/cache';

export const pluginConfigSpec: Spec = object({
  cache_dir: withDefault(attr('cache_dir', 'string'), JSON.stringify(DEFAULT_CACHE_DIR)),
});

export const defaultPluginConfig: PluginConfig = { cacheDir: DEFAULT_CACHE_DIR };

export function decodePluginConfig(msgpack: Uint8Array): PluginConfig {
  // Without a config block Nomad may send nothing at all.
  if (msgpack.length === 0) return defaultPluginConfig;
  try {
    const config = ConfigReader.root(decodeCtyMsgpack(msgpack), 'config');
    const cacheDir = config.optionalString('cache_dir') ?? DEFAULT_CACHE_DIR;
    if (!cacheDir.startsWith('/')) throw new Error(`config field "cache_dir": must be an absolute path, got "${cacheDir}"`);
    return { cacheDir };
  } catch (err) {
    throw new DriverError('PLUGIN_CONFIG_INVALID', `invalid plugin config: ${(err as Error).message}`, { cause: err });
  }
}
