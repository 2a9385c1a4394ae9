// What one task's component sees through wasi:config/store, and which
// environment variables secrets fill: the job's grants applied to the
// values the task host holds. Deny by default: a key the job did not grant
// does not exist for the component (`get` answers none, `get-all` leaves
// it out), whatever the secret holds.
import { ConfigStoreError, type ConfigSource } from '../wasi/config-store.js';
import type { ConfigGrants } from '../ipc/grants.js';

/**
 * Secret values by config key (`db.password`, `api`), held in memory by the
 * task host (src/vault/secret-store.ts). `get` and `entries` throw a
 * ConfigStoreError for a key whose secret is not available (expired while
 * Vault was unreachable).
 */
export interface SecretKeys {
  get(key: string): string | undefined;
  /** Every key with a value, of available secrets only; throws for the first unavailable one that `granted` accepts. */
  entries(granted: (key: string) => boolean): [string, string][];
}

export const NO_SECRETS: SecretKeys = { get: () => undefined, entries: () => [] };

/** Whether `key` is one of the secret keys the job granted. */
export function secretKeyGranted(grants: ConfigGrants, key: string): boolean {
  for (const granted of grants.secretKeys) {
    if (granted === key) return true;
    if (granted.endsWith('.*') && key.startsWith(granted.slice(0, -1)) && key.length > granted.length - 1) return true;
  }
  return false;
}

export function configSource(grants: ConfigGrants | undefined, secrets: SecretKeys): ConfigSource {
  if (!grants) return { get: () => undefined, getAll: () => [] };
  const values = new Map(Object.entries(grants.values));
  const granted = (key: string): boolean => secretKeyGranted(grants, key);
  return {
    get: (key) => values.get(key) ?? (granted(key) ? secrets.get(key) : undefined),
    getAll: () => [...values, ...secrets.entries(granted)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

/**
 * The environment an instance starts with: the granted env, plus the
 * secret-filled variables with their current values. A variable whose
 * secret is unavailable is left out (and said so by the task's events).
 */
export function environmentWithSecrets(
  env: Readonly<Record<string, string>>,
  grants: ConfigGrants | undefined,
  secrets: SecretKeys,
): () => Record<string, string> {
  const secretEnv = Object.entries(grants?.secretEnv ?? {});
  return () => {
    const out: Record<string, string> = { ...env };
    for (const [name, key] of secretEnv) {
      try {
        const value = secrets.get(key);
        if (value !== undefined) out[name] = value;
      } catch (err) {
        if (!(err instanceof ConfigStoreError)) throw err;
      }
    }
    return out;
  };
}
