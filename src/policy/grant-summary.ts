// A task's grants as its job declares them, in the input document's shape:
// from the task config the plugin decoded at start, and the same from a job
// version read back from the Nomad API (the previous version, for drift; and
// `nomad-wasm evidence`). Declared, not resolved: mount sources stay task-dir
// relative and no environment value is read, so two versions compare as
// their job files do.
import type { WasmTaskConfig } from '../config/task-config.js';
import { entryToString } from '../wasi/http-allow-list.js';
import { serviceHost } from '../services/service-ref.js';
import type { GrantSummary } from './input-document.js';

export interface DeclaredResources {
  /** `resources { memory }` and `memory_max` in MiB; 0 when unset. */
  readonly memoryMb: number;
  readonly memoryMaxMb: number;
}

export function summarizeGrants(
  config: WasmTaskConfig,
  resources: DeclaredResources,
  isolation: 'process' | 'pooled',
): GrantSummary {
  const grants = config.configGrants;
  const memory = resources.memoryMaxMb > 0 ? resources.memoryMaxMb : resources.memoryMb;
  return {
    env: [...new Set([...Object.keys(config.env), ...config.passEnv])].sort(),
    mounts: config.mounts.map((m) => ({ source: m.source, destination: m.destination, readonly: m.readOnly })),
    allow_http: config.allowHttp.map(entryToString),
    allow_services: (config.allowServices ?? []).map(serviceHost),
    key_value_stores: (config.keyValueStores ?? []).map((s) => ({ label: s.label, consul_prefix: s.consulPrefix })),
    secrets: (grants?.secrets ?? []).map((s) => ({ name: s.name, path: s.path, field: s.field ?? null })),
    config_keys: [...(grants?.configKeys ?? [])].sort(),
    config_values: Object.keys(grants?.configValues ?? {}).sort(),
    secret_env: Object.keys(grants?.secretEnv ?? {}).sort(),
    sockets: false,
    isolation,
    memory_max_mb: memory > 0 ? memory : null,
    http_instance: config.httpInstance,
    port: config.port ?? null,
    args: [...config.args],
  };
}
