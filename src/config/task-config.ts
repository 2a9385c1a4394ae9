// The job's `task { driver = "wasm" config { ... } }` block: its schema, as
// Nomad needs it for validation, and its decoding into a typed object.
import { DriverError } from '../errors.js';
import { decodeCtyMsgpack, type CtyValue } from '../hclspec/cty-msgpack.js';
import { attr, blockList, object, singleBlock, type Spec } from '../hclspec/spec.js';
import { parseAllowEntry, type AllowEntry } from '../wasi/http-allow-list.js';
import type { HttpInstanceMode } from '../ipc/grants.js';
import { parseServiceGrant, sameService, type ServiceRef } from '../services/service-ref.js';
import { ConfigReader } from './config-reader.js';
import { decodeRegistryAuth, registryAuthFields, type RegistryAuth } from './registry-config.js';
import { decodeSecretConfig, secretConfigFields, type TaskConfigGrants } from './secret-config.js';
import {
  decodeKeyValueStores,
  decodeSpinManifestRef,
  keyValueConfigFields,
  type SpinManifestRef,
} from './key-value-config.js';
import type { KeyValueStoreGrant } from '../spin/granted-stores.js';

export interface MountConfig {
  /** Directory inside the task dir: `local/...`, `secrets/...` or `alloc/data/...`. */
  readonly source: string;
  /** Absolute path the component sees, e.g. `/data`. */
  readonly destination: string;
  readonly readOnly: boolean;
}

export interface WasmTaskConfig {
  /**
   * Where the component comes from: a path relative to the task dir
   * (`local/app.wasm`), `oci://registry/repo:tag` or `...@sha256:…`, or an
   * `https://` URL (which needs `checksum`).
   */
  readonly component: string;
  /** `sha256:<hex>` the component's bytes must have; mandatory for URLs. */
  readonly checksum: string | undefined;
  /** Registry credentials of this task (`auth { ... }`); they override the plugin's. */
  readonly auth: RegistryAuth | undefined;
  /** Arguments after argv[0] for `wasi:cli/run` commands. */
  readonly args: readonly string[];
  /** Literal environment variables granted to the component. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of task environment variables passed through to the component. */
  readonly passEnv: readonly string[];
  /** Port label to serve `wasi:http/incoming-handler` on (`NOMAD_PORT_<label>`). */
  readonly port: string | undefined;
  /** Directories of the task dir the component may see. */
  readonly mounts: readonly MountConfig[];
  /** Authorities outbound HTTP may reach. */
  readonly allowHttp: readonly AllowEntry[];
  /** Services outbound HTTP may reach by name (`payments.service.consul`); absent = none. */
  readonly allowServices?: readonly ServiceRef[];
  readonly httpInstance: HttpInstanceMode;
  /** Vault secrets and wasi:config/store grants (secret-config.ts); undefined when none. */
  readonly configGrants?: TaskConfigGrants;
  /** Key-value stores the component may open (key-value-config.ts); absent or empty: none. */
  readonly keyValueStores?: readonly KeyValueStoreGrant[];
  /** The Spin manifest to check the grants against, if the job names one. */
  readonly spin?: SpinManifestRef;
  /** The job's own telemetry settings (`telemetry { sample_ratio, attributes }`); undefined when none. */
  readonly telemetry?: TaskTelemetryConfig;
}

/** Per-job telemetry: where it makes sense to differ from the node (sampling, extra resource attributes). */
export interface TaskTelemetryConfig {
  readonly sampleRatio: number | undefined;
  readonly attributes: Readonly<Record<string, string>>;
}

export const taskConfigSpec: Spec = object({
  component: attr('component', 'string', true),
  checksum: attr('checksum', 'string'),
  auth: singleBlock('auth', object(registryAuthFields)),
  args: attr('args', 'list(string)'),
  // Nomad hands object-valued config attributes to hcldec as a list of maps
  // (HCL1 heritage; Docker's `labels` is declared the same way).
  env: attr('env', 'list(map(string))'),
  pass_env: attr('pass_env', 'list(string)'),
  port: attr('port', 'string'),
  mount: blockList(
    'mount',
    object({
      source: attr('source', 'string', true),
      destination: attr('destination', 'string', true),
      readonly: attr('readonly', 'bool'),
    }),
  ),
  allow_http: attr('allow_http', 'list(string)'),
  allow_services: attr('allow_services', 'list(string)'),
  http_instance: attr('http_instance', 'string'),
  ...secretConfigFields,
  ...keyValueConfigFields,
  telemetry: singleBlock(
    'telemetry',
    object({ sample_ratio: attr('sample_ratio', 'number'), attributes: attr('attributes', 'map(string)') }),
  ),
});

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INSTANCE_MODES: readonly HttpInstanceMode[] = ['shared', 'per-request'];

export function decodeTaskConfig(msgpack: Uint8Array): WasmTaskConfig {
  if (msgpack.length === 0)
    throw new DriverError(
      'TASK_CONFIG_INVALID',
      'invalid task config: the task has no driver config (is `config { component = ... }` missing?)',
    );
  let value: CtyValue;
  try {
    value = decodeCtyMsgpack(msgpack);
  } catch (err) {
    throw new DriverError('TASK_CONFIG_INVALID', `invalid task config: ${(err as Error).message}`, { cause: err });
  }
  return taskConfigFromValue(value);
}

/**
 * The same decoding from an already decoded value: what Nomad's API shows
 * as a task's `Config` (a job's other versions, for drift and evidence).
 */
export function taskConfigFromValue(value: CtyValue): WasmTaskConfig {
  try {
    const config = ConfigReader.root(value, 'config');
    const component = config.requiredString('component');
    const checksum = config.optionalString('checksum') || undefined;
    if (checksum !== undefined && !SHA256_DIGEST.test(checksum)) {
      throw new Error(
        `config field "checksum": must be "sha256:" followed by 64 lowercase hex digits, got "${checksum}"`,
      );
    }
    const authBlock = config.optionalBlock('auth');
    const auth = authBlock && decodeRegistryAuth(authBlock, 'auth');
    if (authBlock && !auth) throw new Error('config field "auth": set username/password or identity_token');
    const env = config.stringMap('env');
    for (const name of Object.keys(env)) {
      if (!ENV_NAME.test(name))
        throw new Error(`config field "env": "${name}" is not a valid environment variable name`);
    }
    const passEnv = config.stringList('pass_env');
    const port = config.optionalString('port');
    const mounts = config.blockList('mount').map((block) => ({
      source: block.requiredString('source'),
      destination: block.requiredString('destination'),
      // Deny by default: writing needs `readonly = false`.
      readOnly: block.optionalBool('readonly') ?? true,
    }));
    const allowHttp = config.stringList('allow_http').map((text, i) => {
      const entry = parseAllowEntry(text);
      if (typeof entry === 'string') throw new Error(`config field "allow_http[${i}]": ${entry}`);
      return entry;
    });
    const allowServices: ServiceRef[] = [];
    config.stringList('allow_services').forEach((text, i) => {
      const ref = parseServiceGrant(text);
      if (typeof ref === 'string') throw new Error(`config field "allow_services[${i}]": ${ref}`);
      if (!allowServices.some((known) => sameService(known, ref))) allowServices.push(ref);
    });
    const httpInstance = (config.optionalString('http_instance') ?? 'shared') as HttpInstanceMode;
    if (!INSTANCE_MODES.includes(httpInstance)) {
      throw new Error(`config field "http_instance": must be "shared" or "per-request", got "${httpInstance}"`);
    }
    const keyValueStores = decodeKeyValueStores(config);
    const configGrants = decodeSecretConfig(
      config,
      [...Object.keys(env), ...passEnv],
      keyValueStores.flatMap((store) =>
        store.tokenSecret === undefined
          ? []
          : [{ key: store.tokenSecret, field: `key_value_store["${store.label}"].token_secret` }],
      ),
    );
    const spin = decodeSpinManifestRef(config);
    const telemetry = decodeTaskTelemetry(config.optionalBlock('telemetry'));
    return {
      ...(telemetry ? { telemetry } : {}),
      component,
      checksum,
      auth,
      args: config.stringList('args'),
      env,
      passEnv,
      port: port === '' ? undefined : port,
      mounts,
      allowHttp,
      allowServices,
      httpInstance,
      ...(configGrants ? { configGrants } : {}),
      ...(keyValueStores.length > 0 ? { keyValueStores } : {}),
      ...(spin ? { spin } : {}),
    };
  } catch (err) {
    throw new DriverError('TASK_CONFIG_INVALID', `invalid task config: ${(err as Error).message}`, { cause: err });
  }
}

function decodeTaskTelemetry(block: ConfigReader | undefined): TaskTelemetryConfig | undefined {
  if (!block) return undefined;
  const sampleRatio = block.optionalNumber('sample_ratio');
  if (sampleRatio !== undefined && !(sampleRatio >= 0 && sampleRatio <= 1))
    throw new Error(`config field "telemetry.sample_ratio": must be between 0 and 1, got ${sampleRatio}`);
  return { sampleRatio, attributes: block.stringMap('attributes') };
}
