// The job's `task { driver = "wasm" config { ... } }` block: its schema, as
// Nomad needs it for validation, and its decoding into a typed object.
import { DriverError } from '../errors.js';
import { decodeCtyMsgpack } from '../hclspec/cty-msgpack.js';
import { attr, object, type Spec } from '../hclspec/spec.js';
import { ConfigReader } from './config-reader.js';

export interface WasmTaskConfig {
  /** Path of the component, relative to the task dir (e.g. `local/app.wasm`). */
  readonly component: string;
  /** Arguments after argv[0] for `wasi:cli/run` commands. */
  readonly args: readonly string[];
  /** Literal environment variables granted to the component. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of task environment variables passed through to the component. */
  readonly passEnv: readonly string[];
  /** Port label to serve `wasi:http/incoming-handler` on (`NOMAD_PORT_<label>`). */
  readonly port: string | undefined;
}

export const taskConfigSpec: Spec = object({
  component: attr('component', 'string', true),
  args: attr('args', 'list(string)'),
  // Nomad hands object-valued config attributes to hcldec as a list of maps
  // (HCL1 heritage; Docker's `labels` is declared the same way).
  env: attr('env', 'list(map(string))'),
  pass_env: attr('pass_env', 'list(string)'),
  port: attr('port', 'string'),
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function decodeTaskConfig(msgpack: Uint8Array): WasmTaskConfig {
  try {
    if (msgpack.length === 0) throw new Error('the task has no driver config (is `config { component = ... }` missing?)');
    const config = ConfigReader.root(decodeCtyMsgpack(msgpack), 'config');
    const component = config.requiredString('component');
    const env = config.stringMap('env');
    for (const name of Object.keys(env)) {
      if (!ENV_NAME.test(name)) throw new Error(`config field "env": "${name}" is not a valid environment variable name`);
    }
    const passEnv = config.stringList('pass_env');
    const port = config.optionalString('port');
    return { component, args: config.stringList('args'), env, passEnv, port: port === '' ? undefined : port };
  } catch (err) {
    throw new DriverError('TASK_CONFIG_INVALID', `invalid task config: ${(err as Error).message}`, { cause: err });
  }
}
