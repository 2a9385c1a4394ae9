// Spin apps (Python: spin-sdk 3.4.1, and spin-sdk 5.0.0 for Spin 4, a WASI
// 0.3 service) on a real Nomad 1.6.3 agent, as a user runs them:
// jobs/spin-py-app.nomad.hcl and jobs/spin4-py-app.nomad.hcl submitted with
// `nomad job run`, each spin.toml fetched beside its app and checked, a
// variable read from a real Vault 1.13.0 and a key from a real Consul 1.16.3
// (ACLs on) with a Consul token Vault issued for the job, everything seen
// through curl and the consul CLI; at `nomad job stop` the token goes back
// to Vault. `nomad-wasm inspect` describes the Spin 4 app first.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableKv, nomadAgentVaultBlock, taskPolicy, writeKv, writePolicy } from '../vault/support/vault-setup.ts';
import { VaultServer } from '../vault/support/vault-server.ts';
import { ConsulAgent, consulBinary } from '../support/consul-agent.ts';
import { isDead, isRunning, taskState } from './support/alloc-state.ts';
import type { Allocation } from './support/nomad-api.ts';
import { nomadCli } from './support/nomad-cli.ts';
import { REPO_ROOT } from './support/nomad-agent.ts';
import { useE2e } from './support/suite.ts';

let vault: VaultServer;
let consul: ConsulAgent;
const API_TOKEN = `spin-api-token-${process.hrtime.bigint()}`;
const SPIN4_API_TOKEN = `spin4-api-token-${process.hrtime.bigint()}`;

beforeAll(async () => {
  [vault, consul] = await Promise.all([VaultServer.start(), ConsulAgent.start({ acl: true })]);
  await enableKv(vault);
  await writeKv(vault, 'spin-py-app', { api_token: API_TOKEN });
  await consul.tokenWithRules('spin-py-app-kv', 'key_prefix "apps/spin-py-app/" { policy = "write" }');
  await vault.api('POST', 'sys/mounts/consul', { type: 'consul' });
  await vault.api('POST', 'consul/config/access', { address: consul.address, token: consul.managementToken });
  await vault.api('POST', 'consul/roles/spin-py-app', { consul_policies: ['spin-py-app-kv'], ttl: '5m' });
  await writePolicy(vault, 'spin-py-app', taskPolicy(['kv/data/spin-py-app', 'consul/creds/spin-py-app']));
  consulCli('kv', 'put', 'apps/spin-py-app/default/greeting', 'hello from Consul KV');
  // The Spin 4 app's own secret, Consul role and policy.
  await writeKv(vault, 'spin4-py-app', { api_token: SPIN4_API_TOKEN });
  await consul.tokenWithRules('spin4-py-app-kv', 'key_prefix "apps/spin4-py-app/" { policy = "write" }');
  await vault.api('POST', 'consul/roles/spin4-py-app', { consul_policies: ['spin4-py-app-kv'], ttl: '5m' });
  await writePolicy(vault, 'spin4-py-app', taskPolicy(['kv/data/spin4-py-app', 'consul/creds/spin4-py-app']));
  consulCli('kv', 'put', 'apps/spin4-py-app/default/greeting', 'hello from Consul KV to Spin 4');
}, 300_000);

const context = useE2e(async () => {
  return {
    extraConfig: await nomadAgentVaultBlock(vault),
    wasmPluginConfig: `
    vault {
      address = "${vault.address}"
    }
    consul {
      address = "${consul.address}"
    }`,
  };
});

afterAll(async () => {
  await Promise.all([vault?.destroy(), consul?.destroy()]);
});

/** The consul CLI, as an operator types it. */
function consulCli(...args: string[]): string {
  return execFileSync(consulBinary(), args, {
    env: { ...process.env, CONSUL_HTTP_ADDR: consul.address, CONSUL_HTTP_TOKEN: consul.managementToken ?? '' },
    encoding: 'utf8',
  });
}

function curl(url: string, ...args: string[]): string {
  return execFileSync('curl', ['-s', ...args, url], { encoding: 'utf8' });
}

async function vaultIssuedTokens(): Promise<string[]> {
  const tokens = await consul.api<{ AccessorID: string; Description: string }[]>('GET', '/v1/acl/tokens');
  return tokens.filter((token) => token.Description.startsWith('Vault ')).map((token) => token.AccessorID);
}

describe('jobs/spin-py-app.nomad.hcl', () => {
  it('runs the Spin app unchanged: a variable from Vault, a key from Consul KV, writes seen by consul kv get', async () => {
    const { agent, components } = context();
    const run = await nomadCli(agent, [
      'job',
      'run',
      '-detach',
      '-var',
      `artifact_base_url=${components.baseUrl}`,
      join(REPO_ROOT, 'jobs/spin-py-app.nomad.hcl'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const alloc: Allocation = await agent.api.waitForAllocation(
      'spin-py-app',
      isRunning('app'),
      'the Spin app to run',
      300_000,
    );
    const port = alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
    const base = `http://127.0.0.1:${port?.Value}`;

    expect(curl(`${base}/`)).toBe('hello from a Spin app in Python');
    expect(curl(`${base}/variables/api_token`)).toBe(API_TOKEN);
    expect(curl(`${base}/variables/greeting`)).toBe('hello');
    expect(curl(`${base}/kv/default/greeting`)).toBe('hello from Consul KV');
    expect(curl(`${base}/kv/default/last-visitor`, '-X', 'PUT', '--data-binary', 'curl')).toBe('stored');
    expect(consulCli('kv', 'get', 'apps/spin-py-app/default/last-visitor')).toBe('curl\n');
    // Not granted by the job, so not there for the app.
    expect(curl(`${base}/kv/sessions/x`)).toBe('Error_AccessDenied: ');
    expect(curl(`${base}/outbound?url=http://127.0.0.1:1/`)).toBe('ErrorCode_HttpRequestDenied: ');

    const events = taskState(await agent.api.allocation(alloc.ID), 'app')?.Events.map((e) => e.DisplayMessage) ?? [];
    expect(events).toContainEqual(
      expect.stringMatching(/^Grants: .* key_value=default=apps\/spin-py-app\/default\/\(token:consul\)/),
    );
    expect(events).toContain(
      'Spin manifest local/spin.toml: component "spin-py-app", route /...; its key-value stores, variables and outbound hosts are granted',
    );
    expect(events).toContainEqual(
      expect.stringMatching(
        /^Key-value stores: default <- apps\/spin-py-app\/default\/ \(token from secret key consul\); Consul http:\/\/127\.0\.0\.1:\d+$/,
      ),
    );
    const issued = await vaultIssuedTokens();
    expect(issued).toHaveLength(1);

    expect((await nomadCli(agent, ['job', 'stop', '-detach', 'spin-py-app'])).code).toBe(0);
    const stopped = await agent.api.waitForAllocation('spin-py-app', isDead('app'), 'the Spin app to stop', 60_000);
    expect(taskState(stopped, 'app')?.Events.map((e) => e.DisplayMessage)).toContain(
      'Revoked 1 Vault lease at stop (secrets: consul)',
    );
    expect(await vaultIssuedTokens()).toEqual([]);
  }, 420_000);

  it('runs a Spin 4 app (spin-sdk 5, WASI 0.3) unchanged: inspect describes it, curl reads a Vault variable and a Consul KV key', async () => {
    const { agent, components } = context();
    const inspect = execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, 'dist/cli/main.js'),
        'inspect',
        join(process.env['WASM_TEST_COMPONENTS'] ?? join(REPO_ROOT, '.cache/components'), 'spin4-py-app.wasm'),
      ],
      { encoding: 'utf8' },
    );
    expect(inspect).toMatch(/^world\s+wasi:http service \(WASI 0\.3\)$/m);
    expect(inspect).toContain('key-value stores: only the labels granted with `key_value_store` blocks (Consul KV)');
    expect(inspect).toContain(
      'outbound Redis: not available on this driver (the component starts; those calls answer an error)',
    );

    const run = await nomadCli(agent, [
      'job',
      'run',
      '-detach',
      '-var',
      `artifact_base_url=${components.baseUrl}`,
      join(REPO_ROOT, 'jobs/spin4-py-app.nomad.hcl'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const alloc: Allocation = await agent.api.waitForAllocation(
      'spin4-py-app',
      isRunning('app'),
      'the Spin 4 app to run',
      300_000,
    );
    const port = alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
    const base = `http://127.0.0.1:${port?.Value}`;

    expect(curl(`${base}/`)).toBe('hello from a Spin 4 app in Python');
    expect(curl(`${base}/variables/api_token`)).toBe(SPIN4_API_TOKEN);
    expect(curl(`${base}/variables/greeting`)).toBe('hello');
    expect(curl(`${base}/kv/default/greeting`)).toBe('hello from Consul KV to Spin 4');
    expect(curl(`${base}/kv/default/last-visitor`, '-X', 'PUT', '--data-binary', 'curl')).toBe('stored');
    expect(consulCli('kv', 'get', 'apps/spin4-py-app/default/last-visitor')).toBe('curl\n');
    expect(curl(`${base}/kv-keys/default`)).toBe('greeting\nlast-visitor');
    expect(curl(`${base}/kv/sessions/x`)).toBe('Error_AccessDenied: ');
    expect(curl(`${base}/unavailable/redis`)).toBe(
      'Error_Other: Outbound Redis (spin:redis/redis) is not available on the Nomad wasm driver (nomad-driver-wasm); see its README, "Spin apps"',
    );

    const events = taskState(await agent.api.allocation(alloc.ID), 'app')?.Events.map((e) => e.DisplayMessage) ?? [];
    expect(events).toContainEqual(
      expect.stringMatching(
        /^Grants: .* http_instance=per-request .*key_value=default=apps\/spin4-py-app\/default\/\(token:consul\)/,
      ),
    );
    expect(events).toContain(
      'Spin manifest local/spin.toml: component "spin4-py-app", route /...; its key-value stores, variables and outbound hosts are granted',
    );
    expect(await vaultIssuedTokens()).toHaveLength(1);

    expect((await nomadCli(agent, ['job', 'stop', '-detach', 'spin4-py-app'])).code).toBe(0);
    const stopped = await agent.api.waitForAllocation('spin4-py-app', isDead('app'), 'the Spin 4 app to stop', 60_000);
    expect(taskState(stopped, 'app')?.Events.map((e) => e.DisplayMessage)).toContain(
      'Revoked 1 Vault lease at stop (secrets: consul)',
    );
    expect(await vaultIssuedTokens()).toEqual([]);
  }, 420_000);
});
