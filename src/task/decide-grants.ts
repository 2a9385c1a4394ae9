// Turns a task config into what the component may see, within the
// operator's ceilings. Deny by default: the component gets only the env the
// job lists, never Nomad's task env (which carries NOMAD_TOKEN,
// VAULT_TOKEN, CONSUL_TOKEN, ...), no directory unless mounted, no
// outbound authority unless allow-listed; and no grant may carry one of the
// task's tokens (src/tokens/token-guard.ts).
import { basename } from 'node:path';
import { DriverError } from '../errors.js';
import type { WasmTaskConfig } from '../config/task-config.js';
import type { GrantCeilings } from '../config/plugin-config.js';
import type { Grants } from '../ipc/grants.js';
import { coveredBy, entryToString } from '../wasi/http-allow-list.js';
import { serviceHost } from '../services/service-ref.js';
import { refuseTokenGrants, refuseTokenVariables } from '../tokens/token-guard.js';
import { resolveMounts } from './mounts.js';

export interface TaskContext {
  readonly taskDir: string;
  readonly allocDir: string;
  readonly env: Readonly<Record<string, string>>;
  /** From the task's `resources { memory / memory_max }`, in MiB (0 if unknown). */
  readonly memoryMb: number;
  readonly memoryMaxMb: number;
  /** A task event about the grants (e.g. a mount too large to check fully for tokens). */
  readonly report?: (message: string) => void;
}

function exceeds(grant: string, ceiling: string): DriverError {
  return new DriverError(
    'GRANT_EXCEEDS_CEILING',
    `the task asks for ${grant}, but the node's plugin config allows ${ceiling}`,
  );
}

export async function grantsFor(
  config: WasmTaskConfig,
  context: TaskContext,
  ceilings: GrantCeilings,
): Promise<Grants> {
  refuseTokenVariables(config.passEnv);
  const env: Record<string, string> = {};
  for (const name of config.passEnv) {
    const value = context.env[name];
    if (value === undefined) {
      throw new DriverError(
        'TASK_CONFIG_INVALID',
        `invalid task config: config field "pass_env" names ${name}, which is not in the task environment`,
      );
    }
    env[name] = value;
  }
  // Literal values win over passed-through ones: the job author wrote them here.
  Object.assign(env, config.env);

  if (config.mounts.length > 0 && !ceilings.allowMounts)
    throw exceeds(`mount "${config.mounts[0]?.destination}"`, 'no mounts (allow_mounts = false)');
  const writable = config.mounts.find((mount) => !mount.readOnly);
  if (writable && !ceilings.allowReadWriteMounts) {
    throw exceeds(
      `a read-write mount of "${writable.source}"`,
      'read-only mounts only (allow_read_write_mounts = false)',
    );
  }
  if (ceilings.allowHttp !== undefined) {
    const limit = ceilings.allowHttp;
    for (const entry of config.allowHttp) {
      if (!coveredBy(entry, limit)) {
        const allowed =
          limit.length === 0 ? 'no outbound HTTP' : `outbound HTTP to ${limit.map(entryToString).join(', ')} only`;
        throw exceeds(`outbound HTTP to "${entryToString(entry)}"`, allowed);
      }
    }
  }
  const memory = context.memoryMaxMb > 0 ? context.memoryMaxMb : context.memoryMb;
  if (ceilings.maxMemoryMb !== undefined && memory > ceilings.maxMemoryMb) {
    throw exceeds(
      `${memory} MiB of memory (resources { memory${context.memoryMaxMb > 0 ? '_max' : ''} })`,
      `at most ${ceilings.maxMemoryMb} MiB (max_memory_mb)`,
    );
  }
  const mounts = await resolveMounts(config.mounts, context.taskDir, context.allocDir);
  const configGrants = config.configGrants;
  const grants: Grants = {
    // argv[0] is the program name, as every WASI toolchain expects.
    args: [basename(config.component), ...config.args],
    env,
    mounts,
    outboundHttp: config.allowHttp.map(entryToString),
    services: config.allowServices ?? [],
    memoryMaxMiB: memory > 0 ? memory : ceilings.maxMemoryMb,
    httpInstance: config.httpInstance,
    ...(config.keyValueStores?.length ? { keyValueStores: config.keyValueStores } : {}),
    ...(configGrants
      ? {
          config: {
            values: configGrants.configValues,
            secretKeys: configGrants.configKeys,
            secretEnv: configGrants.secretEnv,
          },
        }
      : {}),
  };
  await refuseTokenGrants(config, grants, { ...context, ...(context.report ? { warn: context.report } : {}) });
  return grants;
}

/** The grants as audit evidence: names and paths, never env values. */
export function describeGrants(grants: Grants): Record<string, string> {
  return {
    env: Object.keys(grants.env).sort().join(',') || 'none',
    mounts: grants.mounts.map((m) => `${m.guestPath}=${m.hostPath}(${m.readOnly ? 'ro' : 'rw'})`).join(',') || 'none',
    outbound_http: grants.outboundHttp.join(',') || 'none',
    sockets: 'none',
    memory_max_mib: grants.memoryMaxMiB === undefined ? 'unlimited' : String(grants.memoryMaxMiB),
    http_instance: grants.httpInstance,
    services: (grants.services ?? []).map(serviceHost).join(',') || 'none',
    ...(grants.config
      ? { config_keys: [...Object.keys(grants.config.values), ...grants.config.secretKeys].sort().join(',') || 'none' }
      : {}),
    ...(grants.keyValueStores?.length
      ? {
          key_value: grants.keyValueStores
            .map(
              (store) =>
                `${store.label}=${store.consulPrefix}/${store.tokenSecret ? `(token:${store.tokenSecret})` : ''}`,
            )
            .join(','),
        }
      : {}),
    ...(grants.config && Object.keys(grants.config.secretEnv).length > 0
      ? { secret_env: Object.keys(grants.config.secretEnv).sort().join(',') }
      : {}),
  };
}
