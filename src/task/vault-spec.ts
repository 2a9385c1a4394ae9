// What the plugin tells a task host about the task's Vault secrets: the
// node's Vault address and TLS settings, where Nomad put the task's token,
// and what to read. Nothing here is persisted (the driver state holds no
// secret and no token): the spec goes to the task host over a pipe.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskConfigGrants } from '../config/secret-config.js';
import type { VaultPluginConfig } from '../config/vault-config.js';
import { DriverError } from '../errors.js';
import type { VaultTaskSpec } from '../vault/secret-spec.js';

/** Undefined when the task declares no secrets. */
export async function vaultSpecFor(
  grants: TaskConfigGrants | undefined,
  taskDir: string,
  env: Readonly<Record<string, string>>,
  vault: VaultPluginConfig | undefined,
): Promise<VaultTaskSpec | undefined> {
  if (!grants || grants.secrets.length === 0) return undefined;
  if (!vault) {
    throw new DriverError(
      'VAULT_NOT_CONFIGURED',
      `the task declares secrets (${grants.secrets.map((s) => s.name).join(', ')}), but this client's plugin "wasm" config has no vault { address = "..." } block`,
    );
  }
  // Nomad writes the token file unless the job says vault { disable_file = true }.
  const tokenFile = join(taskDir, 'secrets', 'vault_token');
  const hasFile = await stat(tokenFile).then(
    (info) => info.isFile(),
    () => false,
  );
  const envToken = env['VAULT_TOKEN'];
  if (!hasFile && !envToken) {
    throw new DriverError(
      'VAULT_TOKEN_MISSING',
      `the task declares secrets but Nomad gave it no Vault token (no ${tokenFile}, no VAULT_TOKEN): add vault { policies = ["..."] } to the task`,
    );
  }
  const namespace = env['VAULT_NAMESPACE'] || vault.namespace;
  return {
    connection: {
      address: vault.address,
      ...(vault.caCertPem ? { caCertPem: vault.caCertPem } : {}),
      ...(namespace ? { namespace } : {}),
      ...(vault.tlsSkipVerify ? { tlsSkipVerify: true } : {}),
      timeoutMs: vault.requestTimeoutMs,
    },
    // The file when there is one: Nomad rewrites it when it replaces the token.
    token: hasFile ? { file: tokenFile } : { env: envToken },
    secrets: grants.secrets,
    staticRefreshMs: vault.staticRefreshMs,
  };
}

/** Audit line for the task's events: names and paths, never values. */
export function describeSecrets(spec: VaultTaskSpec): string {
  const secrets = spec.secrets
    .map(
      (s) => `${s.name} <- ${s.path}${s.field ? `#${s.field}` : ''}${s.version !== undefined ? `@v${s.version}` : ''}`,
    )
    .join(', ');
  const token = spec.token.file ? 'secrets/vault_token' : 'VAULT_TOKEN (task env)';
  return `Vault secrets: ${secrets}; Vault ${spec.connection.address}${spec.connection.namespace ? ` namespace ${spec.connection.namespace}` : ''}; token from ${token}`;
}
