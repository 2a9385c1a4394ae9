// What the Vault suites configure in a fresh Vault: KV v2 at kv/, the
// database engine at database/ in front of a private PostgreSQL with a role
// whose credentials live `ttl` seconds (at most `maxTtl`), the policy a task
// needs (README "Vault policy"), and, for Nomad 1.6, the server policy and
// token role of Nomad's legacy Vault integration.
import type { Postgres } from './postgres.ts';
import type { VaultServer } from './vault-server.ts';

export interface DatabaseRole {
  readonly name: string;
  readonly ttlSec: number;
  readonly maxTtlSec: number;
}

/** The policy a task with secrets needs: read its paths, renew and revoke its leases. */
export function taskPolicy(paths: readonly string[]): string {
  return [
    ...paths.map((path) => `path "${path}" { capabilities = ["read"] }`),
    // Vault's default policy allows sys/leases/renew, not revoke.
    'path "sys/leases/renew" { capabilities = ["update"] }',
    'path "sys/leases/revoke" { capabilities = ["update"] }',
  ].join('\n');
}

export async function enableKv(vault: VaultServer): Promise<void> {
  await vault.api('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } });
  // The mount upgrades itself to v2 in the background: wait until it answers.
  for (let i = 0; i < 100; i++) {
    const ok = await vault.api('GET', 'kv/config').then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('kv v2 mount did not become ready');
}

export async function writeKv(vault: VaultServer, path: string, data: Record<string, string>): Promise<number> {
  const response = await vault.api('POST', `kv/data/${path}`, { data });
  return Number((response['data'] as { version: number }).version);
}

export async function enableDatabase(
  vault: VaultServer,
  postgres: Postgres,
  roles: readonly DatabaseRole[],
): Promise<void> {
  await vault.api('POST', 'sys/mounts/database', { type: 'database' });
  await vault.api('POST', 'database/config/pg', {
    plugin_name: 'postgresql-database-plugin',
    connection_url: postgres.connectionUrl,
    username: 'vaultadmin',
    password: postgres.password,
    allowed_roles: roles.map((role) => role.name).join(','),
    // Vault would otherwise change the admin password on rotate-root: never called here.
  });
  for (const role of roles) {
    await vault.api('POST', `database/roles/${role.name}`, {
      db_name: 'pg',
      creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
      default_ttl: role.ttlSec,
      max_ttl: role.maxTtlSec,
    });
  }
}

export async function writePolicy(vault: VaultServer, name: string, policy: string): Promise<void> {
  await vault.api('PUT', `sys/policies/acl/${name}`, { policy });
}

/** A token with these policies, as Nomad would derive one for a task. */
export async function createToken(vault: VaultServer, policies: readonly string[], ttl = '1h'): Promise<string> {
  const response = await vault.api('POST', 'auth/token/create', { policies, ttl, no_default_policy: false });
  return String((response['auth'] as { client_token: string }).client_token);
}

/**
 * Nomad 1.6's legacy integration: the servers hold a token with this policy
 * and derive task tokens from the `nomad-cluster` role (Nomad's docs).
 * Returns the servers' token.
 */
export async function setUpNomadServerAccess(vault: VaultServer): Promise<string> {
  await writePolicy(
    vault,
    'nomad-server',
    `
path "auth/token/create/nomad-cluster" { capabilities = ["update"] }
path "auth/token/roles/nomad-cluster" { capabilities = ["read"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/lookup" { capabilities = ["update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
path "auth/token/renew-self" { capabilities = ["update"] }
`,
  );
  await vault.api('POST', 'auth/token/roles/nomad-cluster', {
    disallowed_policies: 'nomad-server',
    token_explicit_max_ttl: 0,
    orphan: true,
    token_period: 259200,
    renewable: true,
  });
  const response = await vault.api('POST', 'auth/token/create-orphan', { policies: ['nomad-server'], period: '72h' });
  return String((response['auth'] as { client_token: string }).client_token);
}

/** Live database leases under a role (sys/leases/lookup needs sudo: the root token). */
export async function liveLeases(vault: VaultServer, role: string): Promise<string[]> {
  const response = await vault
    .api('LIST', `sys/leases/lookup/database/creds/${role}`)
    .catch(() => ({ data: { keys: [] } }));
  return ((response['data'] as { keys?: string[] } | undefined)?.keys ?? []).map(
    (key) => `database/creds/${role}/${key}`,
  );
}

/** The Nomad agent's `vault` block for that integration, with the servers' token set up in Vault. */
export async function nomadAgentVaultBlock(vault: VaultServer): Promise<string> {
  const serverToken = await setUpNomadServerAccess(vault);
  return `
vault {
  enabled          = true
  address          = "${vault.address}"
  token            = "${serverToken}"
  create_from_role = "nomad-cluster"
}`;
}
