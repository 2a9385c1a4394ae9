// A Spin app (spin-sdk 3.4.1, and a Spin 4 one: spin-sdk 5.0.0) with its secrets in Vault and its key-value
// store in Consul, through the real task host: a Spin variable read from a
// Vault KV secret, and a key-value store whose Consul token comes from
// Vault's Consul secrets engine (a token the job scopes: its Vault role's
// Consul policy), used for every KV call, never shown to the component,
// and revoked with its lease when the task stops.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareComponent } from '../../src/runtime/component-cache.ts';
import type { SecretSpec, VaultTaskSpec } from '../../src/vault/secret-spec.ts';
import { ConsulAgent } from '../support/consul-agent.ts';
import { freePort } from '../support/ports.ts';
import { COMPONENTS } from '../runtime/support/task-host.ts';
import { httpGet, launchHost, type RunningHost } from './support/task-host.ts';
import { createToken, enableKv, taskPolicy, writeKv, writePolicy } from './support/vault-setup.ts';
import { VaultServer } from './support/vault-server.ts';

let vault: VaultServer;
let consul: ConsulAgent;
let dir: string;
const hosts: RunningHost[] = [];

/** Tokens in Consul that Vault's Consul engine made for the `cart` role. */
async function vaultIssuedTokens(): Promise<string[]> {
  const tokens = await consul.api<{ AccessorID: string; Description: string }[]>('GET', '/v1/acl/tokens');
  return tokens.filter((token) => token.Description.startsWith('Vault ')).map((token) => token.AccessorID);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vault-spin-'));
  [vault, consul] = await Promise.all([VaultServer.start(), ConsulAgent.start({ acl: true })]);
  await enableKv(vault);
  await writeKv(vault, 'app', { api_key: 'key-from-vault' });
  await consul.tokenWithRules('cart-kv', 'key_prefix "apps/cart/" { policy = "write" }');
  await fetch(`${consul.url}/v1/kv/apps/cart/default/greeting`, {
    method: 'PUT',
    body: 'hello from Consul KV',
    headers: { 'x-consul-token': consul.managementToken ?? '' },
  });
  // Vault's Consul secrets engine: a short-lived Consul token per read, with the role's policy.
  await vault.api('POST', 'sys/mounts/consul', { type: 'consul' });
  await vault.api('POST', 'consul/config/access', { address: consul.address, token: consul.managementToken });
  await vault.api('POST', 'consul/roles/cart', { consul_policies: ['cart-kv'], ttl: '60s', max_ttl: '10m' });
  await writePolicy(vault, 'cart', taskPolicy(['kv/data/app', 'consul/creds/cart']));
  await prepareComponent(join(COMPONENTS, 'spin-py-app.wasm'), join(dir, 'cache'));
  await prepareComponent(join(COMPONENTS, 'spin4-py-app.wasm'), join(dir, 'cache'));
}, 300_000);

afterAll(async () => {
  for (const host of hosts)
    if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGKILL');
  await Promise.all([vault?.destroy(), consul?.destroy()]);
  rmSync(dir, { recursive: true, force: true });
});

const API_TOKEN: SecretSpec = { name: 'api_token', path: 'kv/data/app', field: 'api_key' };
const CONSUL: SecretSpec = { name: 'consul', path: 'consul/creds/cart', field: 'token' };

async function vaultSpec(secrets: SecretSpec[]): Promise<VaultTaskSpec> {
  const file = join(dir, `vault_token-${process.hrtime.bigint()}`);
  writeFileSync(file, await createToken(vault, ['cart']));
  return { connection: { address: vault.address, timeoutMs: 3000 }, token: { file }, secrets, staticRefreshMs: 0 };
}

describe('a Spin app with Vault secrets and a Consul KV store', () => {
  // spin-py-app: spin-sdk 3.4.1 (WASI 0.2, fermyon:spin@2.0.0); spin4-py-app: spin-sdk 5.0.0 (WASI 0.3, async spin:*@3.0.0).
  it.each(['spin-py-app', 'spin4-py-app'])(
    '%s reads a variable from Vault and a key from Consul KV with a Vault-issued token it never sees',
    async (component) => {
      const before = await vaultIssuedTokens();
      const port = await freePort();
      const host = launchHost({
        component,
        dir,
        grants: {
          memoryMaxMiB: 256,
          config: { values: { greeting: 'hello' }, secretKeys: ['api_token'], secretEnv: {} },
          keyValueStores: [{ label: 'default', consulPrefix: 'apps/cart/default', tokenSecret: 'consul' }],
        },
        vault: await vaultSpec([API_TOKEN, CONSUL]),
        keyValue: { consul: { url: consul.url } }, // no node token: the store's token comes from Vault
        http: { host: '127.0.0.1', port },
      });
      hosts.push(host);
      await host.ready();
      expect(await httpGet(port, '/variables/api_token')).toEqual({ status: 200, body: 'key-from-vault' });
      expect(await httpGet(port, '/kv/default/greeting')).toEqual({ status: 200, body: 'hello from Consul KV' });
      const issued = (await vaultIssuedTokens()).filter((token) => !before.includes(token));
      expect(issued).toHaveLength(1);
      // The token is a credential of the driver: no variable, no config key, no env.
      expect((await httpGet(port, '/variables/consul')).body).toMatch(/^Error_Undefined: no variable "consul"/);
      // (wasi:config/store: a route of the Spin 3 app only.)
      if (component === 'spin-py-app')
        expect(await httpGet(port, '/config/consul')).toEqual({ status: 404, body: 'none' });
      // Stopped: the lease goes back to Vault, which deletes the token in Consul.
      host.child.kill('SIGTERM');
      await host.exited;
      expect(host.eventsWith('revoked')[0]?.message).toBe('Revoked 1 Vault lease at stop (secrets: consul)');
      expect(await vaultIssuedTokens()).toEqual(before);
    },
    120_000,
  );

  it('fails the start, before the component runs, when the token secret lacks the field', async () => {
    const host = launchHost({
      component: 'spin-py-app',
      dir,
      grants: {
        memoryMaxMiB: 256,
        keyValueStores: [{ label: 'default', consulPrefix: 'apps/cart/default', tokenSecret: 'consul.nope' }],
      },
      vault: await vaultSpec([{ name: 'consul', path: 'consul/creds/cart' }]),
      keyValue: { consul: { url: consul.url } },
      http: { host: '127.0.0.1', port: await freePort() },
    });
    hosts.push(host);
    const outcome = await host.outcome;
    expect(outcome).toMatchObject({ type: 'failed', code: 'VAULT_SECRET_INVALID' });
    expect(outcome.type === 'failed' ? outcome.message : '').toContain(
      'secret "consul" (consul/creds/cart) has no "consul.nope"',
    );
  }, 120_000);
});
