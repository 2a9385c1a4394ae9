// Secrets inside real components, through the real task host: what a
// wasi:http component and a wasi:cli command read through
// wasi:config/store (deny by default), a secret as env at start, rotated
// values reaching per-request instances and a running command, revocation
// when the task ends or is stopped (the role gone from pg_roles), SIGKILL
// leaving leases to their TTL, and start failures with their codes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Grants } from '../../src/ipc/grants.ts';
import type { SecretSpec, VaultTaskSpec } from '../../src/vault/secret-spec.ts';
import { freePort } from '../support/ports.ts';
import { Postgres } from './support/postgres.ts';
import { httpGet, launchHost, type RunningHost } from './support/task-host.ts';
import { createToken, enableDatabase, enableKv, taskPolicy, writeKv, writePolicy } from './support/vault-setup.ts';
import { VaultServer } from './support/vault-server.ts';

let vault: VaultServer;
let postgres: Postgres;
let dir: string;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vault-task-host-'));
  [vault, postgres] = await Promise.all([VaultServer.start(), Postgres.start()]);
  await enableKv(vault);
  await enableDatabase(vault, postgres, [
    { name: 'app', ttlSec: 600, maxTtlSec: 3600 },
    { name: 'short', ttlSec: 3, maxTtlSec: 7 },
  ]);
  await writePolicy(vault, 'app', taskPolicy(['database/creds/app', 'database/creds/short', 'kv/data/app']));
  await writePolicy(vault, 'kv-only', taskPolicy(['kv/data/app']));
  await writeKv(vault, 'app', { api_key: 'key-123', region: 'eu-west' });
}, 240_000);

afterAll(async () => {
  for (const host of hosts)
    if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGKILL');
  await vault?.destroy();
  postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function vaultSpec(secrets: SecretSpec[], policies = ['app']): Promise<VaultTaskSpec> {
  const file = join(dir, `vault_token-${process.hrtime.bigint()}`);
  writeFileSync(file, await createToken(vault, policies));
  return { connection: { address: vault.address, timeoutMs: 3000 }, token: { file }, secrets, staticRefreshMs: 0 };
}

function configGrants(
  secretKeys: string[],
  values: Record<string, string> = {},
  secretEnv: Record<string, string> = {},
): Partial<Grants> {
  return { config: { values, secretKeys, secretEnv } };
}

async function serve(
  secrets: SecretSpec[],
  grants: Partial<Grants>,
  component = 'config-http',
): Promise<{ host: RunningHost; port: number }> {
  const port = await freePort();
  const host = launchHost({
    component,
    dir,
    grants,
    vault: await vaultSpec(secrets),
    http: { host: '127.0.0.1', port },
  });
  hosts.push(host);
  await host.ready();
  return { host, port };
}

const DB: SecretSpec = { name: 'db', path: 'database/creds/app' };
const API: SecretSpec = { name: 'api', path: 'kv/data/app', field: 'api_key' };

describe('a wasi:http component', () => {
  it('reads granted secret keys and plain values, and nothing else; its leases are revoked when it is stopped', async () => {
    const { host, port } = await serve(
      [DB, API, { name: 'kv', path: 'kv/data/app' }],
      configGrants(['db.username', 'db.password', 'api', 'kv.region'], { log_level: 'info' }),
    );
    const user = await httpGet(port, '/get/db.username');
    const password = await httpGet(port, '/get/db.password');
    expect(user.status).toBe(200);
    expect(postgres.canLogin(user.body, password.body)).toBe(true);
    expect(await httpGet(port, '/get/api')).toEqual({ status: 200, body: 'key-123' });
    expect(await httpGet(port, '/get/log_level')).toEqual({ status: 200, body: 'info' });
    // Deny by default: a field of a fetched secret that the job did not grant is not there.
    expect(await httpGet(port, '/get/kv.api_key')).toEqual({ status: 404, body: 'none' });
    expect(await httpGet(port, '/get/kv.region')).toEqual({ status: 200, body: 'eu-west' });
    const all = await httpGet(port, '/all');
    expect(
      all.body
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('=')[0]),
    ).toEqual(['api', 'db.password', 'db.username', 'kv.region', 'log_level']);

    host.child.kill('SIGTERM');
    const exit = await host.exited;
    expect(exit.code).toBe(0);
    expect(postgres.roleExists(user.body)).toBe(false);
    expect(host.eventsWith('revoked')[0]?.message).toBe('Revoked 1 Vault lease at stop (secrets: db)');
  });

  it('with per-request instances, sees rotated credentials on the next request', async () => {
    const { host, port } = await serve([{ name: 'db', path: 'database/creds/short' }], {
      ...configGrants(['db.*']),
      httpInstance: 'per-request',
    });
    const first = (await httpGet(port, '/get/db.username')).body;
    expect(first).toMatch(/^v-/);
    const rotated = await host.waitForEvent((event) => event.annotations?.['vault_event'] === 'rotated', 30_000);
    expect(rotated.message).toContain('max TTL');
    const second = await httpGet(port, '/get/db.username');
    expect(second.body).not.toBe(first);
    expect(postgres.canLogin(second.body, (await httpGet(port, '/get/db.password')).body)).toBe(true);
    expect(host.eventsWith('renewed').length).toBeGreaterThanOrEqual(1);
    host.child.kill('SIGINT');
    await host.exited;
    expect(postgres.roleExists(second.body)).toBe(false);
  }, 60_000);

  it('killed with SIGKILL, leaves its lease to expire by its TTL', async () => {
    const { host, port } = await serve([{ name: 'db', path: 'database/creds/short' }], configGrants(['db.username']));
    const user = (await httpGet(port, '/get/db.username')).body;
    host.child.kill('SIGKILL');
    await host.exited;
    expect(postgres.roleExists(user)).toBe(true);
    // Vault revokes it when its lease ends (TTL 3 s, nobody renews it).
    const deadline = Date.now() + 30_000;
    while (postgres.roleExists(user) && Date.now() < deadline) await sleep(250);
    expect(postgres.roleExists(user)).toBe(false);
  }, 60_000);
});

describe('a WASI 0.3 wasi:http component (componentize-py)', () => {
  it('reads granted secret keys through the same wasi:config/store, on fresh per-request instances; leases revoked at stop', async () => {
    const { host, port } = await serve(
      [DB, API],
      { ...configGrants(['db.username', 'db.password', 'api'], { log_level: 'info' }), httpInstance: 'per-request' },
      'http-p3',
    );
    const user = await httpGet(port, '/config?key=db.username');
    const password = await httpGet(port, '/config?key=db.password');
    expect(user.status).toBe(200);
    expect(postgres.canLogin(user.body, password.body)).toBe(true);
    expect(await httpGet(port, '/config?key=api')).toEqual({ status: 200, body: 'key-123' });
    expect(await httpGet(port, '/config?key=log_level')).toEqual({ status: 200, body: 'info' });
    // Deny by default: the whole secret is not a key the job granted.
    expect(await httpGet(port, '/config?key=db')).toEqual({ status: 404, body: 'none\n' });

    host.child.kill('SIGTERM');
    expect((await host.exited).code).toBe(0);
    expect(postgres.roleExists(user.body)).toBe(false);
    expect(host.eventsWith('revoked')[0]?.message).toBe('Revoked 1 Vault lease at stop (secrets: db)');
  });
});

describe('a wasi:cli command', () => {
  it('sees rotated values while it runs (in a worker thread), and its leases are revoked when it ends', async () => {
    const host = launchHost({
      component: 'config-command',
      dir,
      grants: configGrants(['db.username'], { iterations: '12', interval_ms: '1000' }),
      vault: await vaultSpec([{ name: 'db', path: 'database/creds/short' }]),
    });
    hosts.push(host);
    await host.ready();
    const exit = await host.exited;
    expect(exit.code).toBe(0);
    const users = [...new Set([...host.stdout.matchAll(/^db\.username=(.*)$/gm)].map((m) => m[1] ?? ''))];
    // 12 s with a max TTL of 7 s: at least one rotation seen from inside one instance.
    expect(users.length).toBeGreaterThanOrEqual(2);
    expect(host.stdout).toContain('iterations=12');
    const last = users[users.length - 1] ?? '';
    expect(postgres.roleExists(last)).toBe(false);
  }, 60_000);

  it('stopped with SIGINT, revokes its leases and then dies of the signal', async () => {
    const host = launchHost({
      component: 'config-command',
      dir,
      grants: configGrants(['db.username'], { iterations: '600', interval_ms: '100' }),
      vault: await vaultSpec([DB]),
    });
    hosts.push(host);
    await host.ready();
    const deadline = Date.now() + 20_000;
    while (!/db\.username=(.*)/.test(host.stdout) && Date.now() < deadline) await sleep(100);
    const user = /db\.username=(.*)/.exec(host.stdout)?.[1] ?? '';
    expect(postgres.roleExists(user)).toBe(true);
    host.child.kill('SIGINT');
    const exit = await host.exited;
    expect(exit.signal).toBe('SIGINT');
    expect(postgres.roleExists(user)).toBe(false);
  }, 60_000);

  it('gets a secret as an environment variable at start (secret_env)', async () => {
    const host = launchHost({
      component: 'env-probe',
      dir,
      grants: { ...configGrants([], {}, { API_KEY: 'api' }), env: { PLAIN: 'yes' } },
      vault: await vaultSpec([API]),
    });
    hosts.push(host);
    await host.ready();
    const exit = await host.exited;
    expect(exit.code).toBe(0);
    expect(host.stdout).toContain('API_KEY=key-123');
    expect(host.stdout).toContain('PLAIN=yes');
  }, 60_000);

  it('a WASI 0.3 command (componentize-py) gets it too, run in the worker thread beside the lease keeper', async () => {
    const host = launchHost({
      component: 'command-p3',
      dir,
      args: ['env', 'API_KEY'],
      grants: configGrants([], {}, { API_KEY: 'api' }),
      vault: await vaultSpec([API]),
    });
    hosts.push(host);
    await host.ready();
    const exit = await host.exited;
    expect(exit.code).toBe(0);
    expect(host.stdout).toBe('key-123\n');
  }, 120_000);
});

describe('start failures', () => {
  it("a secret whose value is the task's own Vault token (stored in KV) fails the start as GRANT_EXPOSES_TOKEN; the component never sees it", async () => {
    const spec = await vaultSpec([{ name: 'leak', path: 'kv/data/leak' }], ['leak']);
    const token = readFileSync(spec.token.file ?? '', 'utf8');
    await writePolicy(vault, 'leak', taskPolicy(['kv/data/leak']));
    await writeKv(vault, 'leak', { note: 'ops', copy: `token=${token}` });
    const host = launchHost({
      component: 'config-http',
      dir,
      grants: configGrants(['leak.note']),
      vault: spec,
      http: { host: '127.0.0.1', port: await freePort() },
    });
    hosts.push(host);
    const outcome = await host.outcome;
    expect(outcome).toMatchObject({ type: 'failed', code: 'GRANT_EXPOSES_TOKEN' });
    const message = outcome.type === 'failed' ? outcome.message : '';
    expect(message).toBe(
      'Vault\'s answer for kv/data/leak holds the task\'s own Vault token (field "data.copy"); a component is never given a token: read a secret that is not a token',
    );
    expect(message).not.toContain(token);
    expect((await host.exited).code).toBe(1);
  });

  it('permission denied fails the start with a code that names the path', async () => {
    const host = launchHost({
      component: 'config-http',
      dir,
      grants: configGrants(['db.username']),
      vault: await vaultSpec([DB], ['kv-only']),
      http: { host: '127.0.0.1', port: await freePort() },
    });
    hosts.push(host);
    const outcome = await host.outcome;
    expect(outcome).toMatchObject({ type: 'failed', code: 'VAULT_PERMISSION_DENIED' });
    expect(outcome.type === 'failed' ? outcome.message : '').toContain('database/creds/app');
    expect((await host.exited).code).toBe(1);
  });

  it('a granted key the secret lacks fails the start, and the lease it obtained is revoked', async () => {
    const before = new Set(postgres.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%'"));
    const host = launchHost({
      component: 'config-http',
      dir,
      grants: configGrants(['db.nope']),
      vault: await vaultSpec([DB]),
      http: { host: '127.0.0.1', port: await freePort() },
    });
    hosts.push(host);
    const outcome = await host.outcome;
    expect(outcome).toMatchObject({ type: 'failed', code: 'VAULT_SECRET_INVALID' });
    expect(outcome.type === 'failed' ? outcome.message : '').toContain('its keys are: db.password, db.username');
    await host.exited;
    expect(
      postgres.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%'").filter((role) => !before.has(role)),
    ).toEqual([]);
  });

  it('Vault unreachable fails the start with a retryable code naming the address', async () => {
    const spec = await vaultSpec([DB]);
    const address = `http://127.0.0.1:${await freePort()}`;
    const host = launchHost({
      component: 'config-http',
      dir,
      grants: configGrants(['db.username']),
      vault: { ...spec, connection: { address, timeoutMs: 2000 } },
      http: { host: '127.0.0.1', port: await freePort() },
    });
    hosts.push(host);
    const outcome = await host.outcome;
    expect(outcome).toMatchObject({ type: 'failed', code: 'VAULT_UNREACHABLE' });
    expect(outcome.type === 'failed' ? outcome.message : '').toContain(address);
  });
});
