// Spin application variables (`fermyon:spin/variables@2.0.0`, and
// `spin:variables/variables@3.0.0` of Spin 4 apps, the same with an async
// `get`), answered from
// the very source wasi:config/store reads: the job's `config_values` and the
// Vault secret keys it grants (`config_keys`). A variable the job does not
// grant does not exist (`undefined`), as in Spin for an undeclared one.
//
// Spin variable names are lower-case letters, digits and single underscores
// (`db_password`); config keys may hold dots (`db.password`, a field of a
// Vault secret). A variable names the key it equals, or else the one key
// whose lower-cased name, with "." and "-" as "_", equals it.
import { ConfigStoreError, type ConfigSource } from '../wasi/config-store.js';
import { guestError } from './guest-error.js';

type VariablesError = { tag: 'invalid-name' | 'undefined' | 'provider' | 'other'; val: string };

/** Spin's own rule for variable names (spin-expressions `Key::validate`). */
export function variableNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (/[^a-z0-9_]/.test(name)) return 'variable names may contain only lower-case letters, numbers, and underscores';
  if (!/^[a-z]/.test(name)) return 'must start with a lowercase ASCII letter';
  if (!/[a-z0-9]$/.test(name)) return 'must end with a lowercase ASCII letter or digit';
  if (name.includes('__')) return 'must not contain multiple consecutive underscores';
  return undefined;
}

/** The Spin variable name a config key answers to. */
export function variableNameOf(key: string): string {
  return key.toLowerCase().replace(/[.-]/g, '_');
}

/** The value of a Spin variable, or an error in the interface's terms. */
export function resolveVariable(source: ConfigSource, name: string): string | VariablesError {
  const problem = variableNameProblem(name);
  if (problem) return { tag: 'invalid-name', val: `${JSON.stringify(name)}: ${problem}` };
  try {
    const exact = source.get(name);
    if (exact !== undefined) return exact;
    const matches = source.getAll().filter(([key]) => variableNameOf(key) === name);
    if (matches.length > 1)
      return {
        tag: 'provider',
        val: `variable ${JSON.stringify(name)} matches several granted config keys (${matches.map(([key]) => key).join(', ')})`,
      };
    const [match] = matches;
    if (match) return match[1];
  } catch (err) {
    if (err instanceof ConfigStoreError) return { tag: 'provider', val: err.message };
    throw err;
  }
  return {
    tag: 'undefined',
    val: `no variable ${JSON.stringify(name)}: the job grants no config value or secret key by that name (config_values, config_keys)`,
  };
}

export function variablesInterfaces(source: ConfigSource): Record<string, object> {
  const get = (name: string): string => {
    const value = resolveVariable(source, name);
    if (typeof value === 'string') return value;
    throw guestError(value);
  };
  return {
    'fermyon:spin/variables': { get },
    // Async in the WIT: jco's glue awaits the promise (the config source answers at once).
    'spin:variables/variables': { get: (name: string): Promise<string> => Promise.resolve().then(() => get(name)) },
  };
}
