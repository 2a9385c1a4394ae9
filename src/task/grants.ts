// Turns a task config into what the component may see. Deny by default:
// the component gets only the env the job lists, never Nomad's task env
// (which carries NOMAD_TOKEN, VAULT_TOKEN, CONSUL_TOKEN, ...).
import { basename } from 'node:path';
import { DriverError } from '../errors.js';
import type { WasmTaskConfig } from '../config/task-config.js';

export interface ComponentGrants {
  readonly args: string[];
  readonly env: Record<string, string>;
}

export function grantsFor(config: WasmTaskConfig, taskEnv: Readonly<Record<string, string>>): ComponentGrants {
  const env: Record<string, string> = {};
  for (const name of config.passEnv) {
    const value = taskEnv[name];
    if (value === undefined) {
      throw new DriverError('TASK_CONFIG_INVALID', `invalid task config: config field "pass_env" names ${name}, which is not in the task environment`);
    }
    env[name] = value;
  }
  // Literal values win over passed-through ones: the job author wrote them here.
  Object.assign(env, config.env);
  // argv[0] is the program name, as every WASI toolchain expects.
  return { args: [basename(config.component), ...config.args], env };
}
