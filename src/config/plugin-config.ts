// The client agent's `plugin "wasm" { config { ... } }` block.
//
// Nomad starts the plugin several times per agent start and calls SetConfig
// in throw-away instances, and a SetConfig error aborts the agent start: so
// decoding here is pure (no directories created, nothing bound or started).
import { DriverError } from '../errors.js';
import { decodeCtyMsgpack } from '../hclspec/cty-msgpack.js';
import { attr, object, withDefault, type Spec } from '../hclspec/spec.js';
import { parseAllowEntry, type AllowEntry } from '../wasi/http-allow-list.js';
import { ConfigReader } from './config-reader.js';

/** What the operator lets any job on this node ask for. */
export interface GrantCeilings {
  /** Hosts jobs may put in `allow_http`; undefined = any, [] = no outbound HTTP at all. */
  readonly allowHttp: readonly AllowEntry[] | undefined;
  readonly allowMounts: boolean;
  readonly allowReadWriteMounts: boolean;
  /** Largest memory ceiling (MiB) a task may have; undefined = what Nomad allocates. */
  readonly maxMemoryMb: number | undefined;
}

export interface PluginConfig {
  /** Where transpiled components are cached, shared by all tasks on the node. */
  readonly cacheDir: string;
  readonly ceilings: GrantCeilings;
}

export const DEFAULT_CACHE_DIR = '/var/lib/nomad-driver-wasm/cache';

export const pluginConfigSpec: Spec = object({
  cache_dir: withDefault(attr('cache_dir', 'string'), JSON.stringify(DEFAULT_CACHE_DIR)),
  allow_http: attr('allow_http', 'list(string)'),
  allow_mounts: withDefault(attr('allow_mounts', 'bool'), 'true'),
  allow_read_write_mounts: withDefault(attr('allow_read_write_mounts', 'bool'), 'true'),
  max_memory_mb: attr('max_memory_mb', 'number'),
});

const NO_CEILINGS: GrantCeilings = { allowHttp: undefined, allowMounts: true, allowReadWriteMounts: true, maxMemoryMb: undefined };
export const defaultPluginConfig: PluginConfig = { cacheDir: DEFAULT_CACHE_DIR, ceilings: NO_CEILINGS };

export function decodePluginConfig(msgpack: Uint8Array): PluginConfig {
  // Without a config block Nomad may send nothing at all.
  if (msgpack.length === 0) return defaultPluginConfig;
  try {
    const config = ConfigReader.root(decodeCtyMsgpack(msgpack), 'config');
    const cacheDir = config.optionalString('cache_dir') ?? DEFAULT_CACHE_DIR;
    if (!cacheDir.startsWith('/')) throw new Error(`config field "cache_dir": must be an absolute path, got "${cacheDir}"`);
    const allowHttp = config.optionalStringList('allow_http')?.map((text, i) => {
      const entry = parseAllowEntry(text);
      if (typeof entry === 'string') throw new Error(`config field "allow_http[${i}]": ${entry}`);
      return entry;
    });
    const maxMemoryMb = config.optionalNumber('max_memory_mb');
    if (maxMemoryMb !== undefined && !(maxMemoryMb > 0)) throw new Error('config field "max_memory_mb": must be a positive number of MiB');
    return {
      cacheDir,
      ceilings: {
        allowHttp,
        allowMounts: config.optionalBool('allow_mounts') ?? true,
        allowReadWriteMounts: config.optionalBool('allow_read_write_mounts') ?? true,
        maxMemoryMb,
      },
    };
  } catch (err) {
    throw new DriverError('PLUGIN_CONFIG_INVALID', `invalid plugin config: ${(err as Error).message}`, { cause: err });
  }
}
