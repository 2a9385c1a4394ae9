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
import { decodeRegistries, registryConfigSpec, type RegistryConfig } from './registry-config.js';
import {
  decodeSignatureConfig,
  signatureConfigSpec,
  SIGNATURES_OFF,
  type SignatureConfig,
} from './signature-config.js';
import {
  decodeServicesConfig,
  DEFAULT_SERVICES_CONFIG,
  servicesConfigSpec,
  type ServicesConfig,
} from './services-config.js';
import { decodeVaultConfig, vaultConfigSpec, type VaultPluginConfig } from './vault-config.js';
import { decodePolicyConfig, policyConfigSpec, POLICY_OFF, type PolicyConfig } from './policy-config.js';
import { decodeTelemetryConfig, telemetryConfigSpec } from './telemetry-config.js';
import type { TelemetrySettings } from '../telemetry/settings.js';

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
  /** Where pulled and transpiled components are cached, shared by all tasks on the node. */
  readonly cacheDir: string;
  /** Size the cache is garbage-collected down to (least recently used first). */
  readonly cacheMaxBytes: number;
  /** Largest component a task may download. */
  readonly maxComponentBytes: number;
  readonly registries: readonly RegistryConfig[];
  readonly signatures: SignatureConfig;
  readonly ceilings: GrantCeilings;
  /** Catalogs `allow_services` names are resolved in (`consul {}`, `nomad {}`). */
  readonly services: ServicesConfig;
  /** Where tasks with `secret` blocks reach Vault; undefined = secrets unavailable on this node. */
  readonly vault?: VaultPluginConfig;
  /** How tasks are isolated from each other (README: "Pooled tier"). */
  readonly isolation: Isolation;
  /** Admission policy, attestation requirements and decision log (README: "Admission policy"). */
  readonly policy: PolicyConfig;
  /** OpenTelemetry export (`telemetry {}` and OTEL_* env); undefined = off. */
  readonly telemetry?: TelemetrySettings;
}

/**
 * `process`: a task host process per task (the default). `pooled`: several
 * tasks share a long-lived pool host process, up to `maxTasks` each; they
 * give up crash and memory containment between them (src/task/pools.ts).
 */
export type Isolation = { readonly mode: 'process' } | { readonly mode: 'pooled'; readonly maxTasks: number };

export const DEFAULT_CACHE_DIR = '/var/lib/nomad-driver-wasm/cache';
const MiB = 1024 * 1024;
const DEFAULT_CACHE_MAX_MB = 4096;
const DEFAULT_MAX_COMPONENT_MB = 256;
export const DEFAULT_POOL_MAX_TASKS = 32;

export const pluginConfigSpec: Spec = object({
  cache_dir: withDefault(attr('cache_dir', 'string'), JSON.stringify(DEFAULT_CACHE_DIR)),
  allow_http: attr('allow_http', 'list(string)'),
  allow_mounts: withDefault(attr('allow_mounts', 'bool'), 'true'),
  allow_read_write_mounts: withDefault(attr('allow_read_write_mounts', 'bool'), 'true'),
  max_memory_mb: attr('max_memory_mb', 'number'),
  cache_max_mb: withDefault(attr('cache_max_mb', 'number'), String(DEFAULT_CACHE_MAX_MB)),
  max_component_mb: withDefault(attr('max_component_mb', 'number'), String(DEFAULT_MAX_COMPONENT_MB)),
  registry: registryConfigSpec,
  signatures: signatureConfigSpec,
  ...servicesConfigSpec,
  vault: vaultConfigSpec,
  isolation: withDefault(attr('isolation', 'string'), '"process"'),
  pool_max_tasks: withDefault(attr('pool_max_tasks', 'number'), String(DEFAULT_POOL_MAX_TASKS)),
  policy: policyConfigSpec,
  telemetry: telemetryConfigSpec,
});

const NO_CEILINGS: GrantCeilings = {
  allowHttp: undefined,
  allowMounts: true,
  allowReadWriteMounts: true,
  maxMemoryMb: undefined,
};
export const defaultPluginConfig: PluginConfig = {
  cacheDir: DEFAULT_CACHE_DIR,
  cacheMaxBytes: DEFAULT_CACHE_MAX_MB * MiB,
  maxComponentBytes: DEFAULT_MAX_COMPONENT_MB * MiB,
  registries: [],
  signatures: SIGNATURES_OFF,
  ceilings: NO_CEILINGS,
  services: DEFAULT_SERVICES_CONFIG,
  isolation: { mode: 'process' },
  policy: POLICY_OFF,
};

/** `env`: the plugin's environment, for the standard OTEL_* variables. */
export function decodePluginConfig(
  msgpack: Uint8Array,
  env: Readonly<Record<string, string | undefined>> = process.env,
): PluginConfig {
  try {
    // Without a config block Nomad may send nothing at all.
    if (msgpack.length === 0) return withTelemetry(defaultPluginConfig, decodeTelemetryConfig(undefined, env));
    const config = ConfigReader.root(decodeCtyMsgpack(msgpack), 'config');
    const cacheDir = config.optionalString('cache_dir') ?? DEFAULT_CACHE_DIR;
    if (!cacheDir.startsWith('/'))
      throw new Error(`config field "cache_dir": must be an absolute path, got "${cacheDir}"`);
    const allowHttp = config.optionalStringList('allow_http')?.map((text, i) => {
      const entry = parseAllowEntry(text);
      if (typeof entry === 'string') throw new Error(`config field "allow_http[${i}]": ${entry}`);
      return entry;
    });
    const maxMemoryMb = config.optionalNumber('max_memory_mb');
    if (maxMemoryMb !== undefined && !(maxMemoryMb > 0))
      throw new Error('config field "max_memory_mb": must be a positive number of MiB');
    const vault = decodeVaultConfig(config.optionalBlock('vault'));
    const telemetry = decodeTelemetryConfig(config.optionalBlock('telemetry'), env);
    return {
      ...(vault ? { vault } : {}),
      ...(telemetry ? { telemetry } : {}),
      cacheDir,
      cacheMaxBytes: positiveMiB(config, 'cache_max_mb', DEFAULT_CACHE_MAX_MB),
      maxComponentBytes: positiveMiB(config, 'max_component_mb', DEFAULT_MAX_COMPONENT_MB),
      registries: decodeRegistries(config.blockList('registry')),
      signatures: decodeSignatureConfig(config.optionalBlock('signatures')),
      ceilings: {
        allowHttp,
        allowMounts: config.optionalBool('allow_mounts') ?? true,
        allowReadWriteMounts: config.optionalBool('allow_read_write_mounts') ?? true,
        maxMemoryMb,
      },
      services: decodeServicesConfig(config.optionalBlock('consul'), config.optionalBlock('nomad')),
      isolation: decodeIsolation(config),
      policy: decodePolicyConfig(config.optionalBlock('policy')),
    };
  } catch (err) {
    throw new DriverError('PLUGIN_CONFIG_INVALID', `invalid plugin config: ${(err as Error).message}`, { cause: err });
  }
}

function withTelemetry(config: PluginConfig, telemetry: TelemetrySettings | undefined): PluginConfig {
  return telemetry ? { ...config, telemetry } : config;
}

function decodeIsolation(config: ConfigReader): Isolation {
  const mode = config.optionalString('isolation') ?? 'process';
  const maxTasks = config.optionalNumber('pool_max_tasks') ?? DEFAULT_POOL_MAX_TASKS;
  if (!Number.isInteger(maxTasks) || maxTasks < 1)
    throw new Error('config field "pool_max_tasks": must be a whole number of tasks, at least 1');
  if (mode === 'process') return { mode };
  if (mode === 'pooled') return { mode, maxTasks };
  throw new Error(`config field "isolation": must be "process" or "pooled", got "${mode}"`);
}

function positiveMiB(config: ConfigReader, field: string, fallback: number): number {
  const value = config.optionalNumber(field) ?? fallback;
  if (!(value > 0)) throw new Error(`config field "${field}": must be a positive number of MiB`);
  return Math.floor(value * MiB);
}
