// The task config's Vault secrets and wasi:config/store grants:
//
//   secret "db"  { path = "database/creds/app" }                  # keys db.<field>
//   secret "api" { path = "kv/data/app"  field = "api_key" }      # key  api
//   config_keys   = ["db.username", "db.password", "api"]         # what wasi:config/store returns of them
//   config_values = { log_level = "info" }                        # plain values, visible as they are
//   secret_env    = { API_KEY = "api" }                           # env vars filled from secret keys
//
// Deny by default: a secret key reaches the component only when listed in
// `config_keys` (or `secret_env`); a secret neither lists is an error.
import { attr, blockMap, object, type Spec } from '../hclspec/spec.js';
import type { ConfigReader } from './config-reader.js';

/** One `secret "<name>" { path, field, version }` block. */
export interface SecretSpec {
  /** The block's label: the prefix of its config keys. */
  readonly name: string;
  /** A Vault API path, read with GET (`kv/data/app`, `database/creds/app`). */
  readonly path: string;
  /** One field of the secret's data: the secret is then the single key `<name>`. */
  readonly field?: string;
  /** A KV v2 version: the read asks for `?version=N` and the secret is never re-read. */
  readonly version?: number;
}

export interface TaskConfigGrants {
  readonly secrets: readonly SecretSpec[];
  /** Secret keys wasi:config/store may return: `name`, `name.field`, `name.*`. */
  readonly configKeys: readonly string[];
  /** Plain (non-secret) config values. */
  readonly configValues: Readonly<Record<string, string>>;
  /** Environment variable -> secret key, filled when an instance starts. */
  readonly secretEnv: Readonly<Record<string, string>>;
}

export const secretConfigFields: Record<string, Spec> = {
  secret: blockMap(
    'secret',
    'name',
    object({
      path: attr('path', 'string', true),
      field: attr('field', 'string'),
      version: attr('version', 'number'),
    }),
  ),
  config_keys: attr('config_keys', 'list(string)'),
  // Object-valued attributes arrive as a list of maps (see `env`).
  config_values: attr('config_values', 'list(map(string))'),
  secret_env: attr('secret_env', 'list(map(string))'),
};

const SECRET_NAME = /^[A-Za-z0-9_-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Undefined when the task uses none of these fields. `tokenKeys`: secret
 * keys the driver itself uses as credentials (a key-value store's
 * `token_secret`): they count as uses, and may never be granted to the
 * component too.
 */
export function decodeSecretConfig(
  config: ConfigReader,
  envNames: readonly string[],
  tokenKeys: readonly { readonly key: string; readonly field: string }[] = [],
): TaskConfigGrants | undefined {
  const secrets: SecretSpec[] = [];
  for (const [name, block] of config.blockMap('secret')) {
    if (!SECRET_NAME.test(name))
      throw new Error(
        `config field secret["${name}"]: a secret name may hold letters, digits, "_" and "-" (it prefixes config keys: ${name}.<field>)`,
      );
    const path = block.requiredString('path').replace(/^\/+/, '').replace(/^v1\//, '');
    const field = block.optionalString('field');
    const version = block.optionalNumber('version');
    if (version !== undefined && !(Number.isInteger(version) && version > 0))
      throw new Error(
        `config field secret["${name}"].version: must be a positive integer (a KV v2 version), got ${version}`,
      );
    secrets.push({ name, path, ...(field ? { field } : {}), ...(version !== undefined ? { version } : {}) });
  }
  const configKeys = config.stringList('config_keys');
  const configValues = config.stringMap('config_values');
  const secretEnv = config.stringMap('secret_env');
  if (
    secrets.length === 0 &&
    tokenKeys.length === 0 &&
    configKeys.length === 0 &&
    Object.keys(configValues).length === 0 &&
    Object.keys(secretEnv).length === 0
  )
    return undefined;

  const byName = new Map(secrets.map((secret) => [secret.name, secret]));
  const used = new Set<string>();
  configKeys.forEach((key, i) => used.add(checkSecretKey(key, byName, `config_keys[${i}]`, true)));
  for (const [name, key] of Object.entries(secretEnv)) {
    if (!ENV_NAME.test(name))
      throw new Error(`config field "secret_env": "${name}" is not a valid environment variable name`);
    if (envNames.includes(name))
      throw new Error(`config field "secret_env": ${name} is also set by env or pass_env; give it one source`);
    used.add(checkSecretKey(key, byName, `secret_env.${name}`, false));
  }
  for (const { key, field } of tokenKeys) {
    used.add(checkSecretKey(key, byName, field, false));
    const inConfigKeys = configKeys.find(
      (granted) => granted === key || (granted.endsWith('.*') && key.startsWith(granted.slice(0, -1))),
    );
    const inSecretEnv = Object.entries(secretEnv).find(([, granted]) => granted === key)?.[0];
    const shownBy =
      inConfigKeys !== undefined
        ? `config_keys entry "${inConfigKeys}"`
        : inSecretEnv !== undefined
          ? `secret_env ${inSecretEnv}`
          : undefined;
    if (shownBy)
      throw new Error(
        `config field ${field}: "${key}" is a credential the driver uses, and ${shownBy} would hand it to the component too; remove it there`,
      );
  }
  for (const secret of secrets) {
    if (!used.has(secret.name)) {
      throw new Error(
        `config field secret["${secret.name}"]: neither config_keys nor secret_env uses it, so the component could never see it (list "${secret.field ? secret.name : `${secret.name}.<field>`}" in config_keys)`,
      );
    }
  }
  for (const key of Object.keys(configValues)) {
    if (key === '') throw new Error('config field "config_values": a key may not be empty');
    const owner = byName.get(key.split('.')[0] ?? '');
    if (owner)
      throw new Error(`config field "config_values": "${key}" collides with the keys of secret "${owner.name}"`);
  }
  return { secrets, configKeys, configValues, secretEnv };
}

/** Checks one key against the declared secrets; returns the secret's name. */
function checkSecretKey(
  key: string,
  secrets: ReadonlyMap<string, SecretSpec>,
  field: string,
  wildcard: boolean,
): string {
  const dot = key.indexOf('.');
  const name = dot < 0 ? key : key.slice(0, dot);
  const rest = dot < 0 ? undefined : key.slice(dot + 1);
  const secret = secrets.get(name);
  const declared = [...secrets.keys()].join(', ') || 'none';
  if (!secret) throw new Error(`config field ${field}: "${key}" names no declared secret (secret blocks: ${declared})`);
  if (secret.field !== undefined && rest !== undefined) {
    throw new Error(
      `config field ${field}: secret "${name}" has field = "${secret.field}", so its one key is "${name}", not "${key}"`,
    );
  }
  if (secret.field === undefined) {
    if (rest === undefined || rest === '')
      throw new Error(
        `config field ${field}: secret "${name}" has no field, so its keys are "${name}.<field>"${wildcard ? ` (or "${name}.*" for all)` : ''}`,
      );
    if (rest === '*' && !wildcard)
      throw new Error(`config field ${field}: "${key}": an environment variable takes one key, not a wildcard`);
    if (rest.includes('*') && rest !== '*')
      throw new Error(`config field ${field}: "${key}": "*" may only stand for the whole field name ("${name}.*")`);
  }
  return name;
}
