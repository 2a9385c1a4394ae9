// A task's Vault secrets inside its task host: fetched before the component
// is ready, held in this process's memory (src/vault/secret-store.ts), kept
// fresh by the lease manager, revoked when the task stops. Loaded only by
// tasks with `secret` blocks.
import { DriverError } from '../errors.js';
import type { ConfigGrants } from '../ipc/grants.js';
import { LeaseManager, type EventSink } from '../vault/lease-manager.js';
import type { SecretContent } from '../vault/secret-keys.js';
import type { SecretSpec, VaultTaskSpec } from '../vault/secret-spec.js';
import { SecretStore } from '../vault/secret-store.js';
import { tokenSource } from '../vault/token-source.js';
import { createVaultClient } from '../vault/vault-client.js';
import { observedVaultClient, type VaultHooks } from './vault-telemetry.js';

/** How long revocation at stop may take: within Nomad's default kill_timeout (5 s) with room for draining. */
export const REVOKE_TIMEOUT_MS = 2000;

export interface TaskSecrets {
  readonly store: SecretStore;
  /** Stops renewing and revokes every live lease (bounded by REVOKE_TIMEOUT_MS). */
  revokeAll(): Promise<void>;
}

export async function startSecrets(
  vault: VaultTaskSpec,
  grants: ConfigGrants | undefined,
  onEvent: EventSink,
  hooks?: VaultHooks,
): Promise<TaskSecrets> {
  const store = new SecretStore();
  const vaultClient = createVaultClient(vault.connection, tokenSource(vault.token));
  const client = hooks ? observedVaultClient(vaultClient, hooks) : vaultClient;
  const manager = await LeaseManager.start({
    client,
    store,
    secrets: vault.secrets,
    staticRefreshMs: vault.staticRefreshMs,
    onEvent,
    validate: (spec, content) => checkGrantedKeys(spec, content, grants),
  });
  onEvent(`Vault secrets ready: ${vault.secrets.map((secret) => `${secret.name} (${secret.path})`).join(', ')}`, {
    vault_event: 'fetched',
  });
  let revoking: Promise<void> | undefined;
  return {
    store,
    revokeAll: () => {
      revoking ??= manager.revokeAll(REVOKE_TIMEOUT_MS).then(() => undefined);
      return revoking;
    },
  };
}

/** Every key the job names exactly (config_keys, secret_env) must be in the secret. */
function checkGrantedKeys(spec: SecretSpec, content: SecretContent, grants: ConfigGrants | undefined): void {
  const named = [...(grants?.secretKeys ?? []), ...Object.values(grants?.secretEnv ?? {})].filter(
    (key) => !key.endsWith('.*') && (key === spec.name || key.startsWith(`${spec.name}.`)),
  );
  const missing = named.filter((key) => !content.keys.has(key));
  if (missing.length > 0) {
    throw new DriverError(
      'VAULT_SECRET_INVALID',
      `secret "${spec.name}" (${spec.path}) has no ${missing.map((key) => `"${key}"`).join(', ')}; its keys are: ${[...content.keys.keys()].sort().join(', ') || 'none'}`,
    );
  }
}
