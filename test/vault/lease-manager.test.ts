// The lease manager against a real Vault v1.13.0 and a real PostgreSQL
// behind Vault's database engine, with short TTLs: credentials that work,
// renewals, rotation after the max TTL, a lease revoked upstream, a token
// replaced in its file, revocation proven by the role being gone from
// pg_roles, and every start error with its code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverError } from '../../src/errors.ts';
import { LeaseManager } from '../../src/vault/lease-manager.ts';
import type { SecretSpec } from '../../src/vault/secret-spec.ts';
import { SecretStore } from '../../src/vault/secret-store.ts';
import { tokenSource } from '../../src/vault/token-source.ts';
import { createVaultClient } from '../../src/vault/vault-client.ts';
import { startSecrets } from '../../src/task-host/secrets.ts';
import { ConfigStoreError } from '../../src/wasi/config-store.ts';
import { freePort } from '../support/ports.ts';
import { Postgres } from './support/postgres.ts';
import { createToken, enableDatabase, enableKv, taskPolicy, writeKv, writePolicy } from './support/vault-setup.ts';
import { VaultServer } from './support/vault-server.ts';

let vault: VaultServer;
let postgres: Postgres;
let dir: string;
const managers: LeaseManager[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lease-manager-'));
  [vault, postgres] = await Promise.all([VaultServer.start(), Postgres.start()]);
  await enableKv(vault);
  await enableDatabase(vault, postgres, [
    { name: 'short', ttlSec: 5, maxTtlSec: 16 },
    { name: 'long', ttlSec: 600, maxTtlSec: 3600 },
  ]);
  await writePolicy(
    vault,
    'app',
    taskPolicy(['database/creds/short', 'database/creds/long', 'kv/data/app', 'kv/data/nothing-here']),
  );
  await writePolicy(vault, 'kv-only', taskPolicy(['kv/data/app']));
  await writeKv(vault, 'app', { api_key: 'k-one', region: 'eu' });
}, 240_000);

afterAll(async () => {
  for (const manager of managers) await manager.revokeAll(2000, { quiet: true }).catch(() => undefined);
  await vault?.destroy();
  postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly manager: LeaseManager;
  readonly store: SecretStore;
  readonly events: Array<{ message: string; annotations: Record<string, string> }>;
}

async function tokenFile(policies: string[]): Promise<string> {
  const file = join(dir, `token-${process.hrtime.bigint()}`);
  writeFileSync(file, await createToken(vault, policies));
  return file;
}

async function start(
  secrets: SecretSpec[],
  options: { file?: string; address?: string; staticRefreshMs?: number } = {},
): Promise<Run> {
  const store = new SecretStore();
  const events: Run['events'] = [];
  const file = options.file ?? (await tokenFile(['app']));
  const manager = await LeaseManager.start({
    client: createVaultClient({ address: options.address ?? vault.address, timeoutMs: 3000 }, tokenSource({ file })),
    store,
    secrets,
    staticRefreshMs: options.staticRefreshMs ?? 0,
    onEvent: (message, annotations) => events.push({ message, annotations }),
    retry: { initialMs: 200, maxMs: 1000 },
  });
  managers.push(manager);
  return { manager, store, events };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const kinds = (run: Run, kind: string) => run.events.filter((event) => event.annotations['vault_event'] === kind);

function startError(promise: Promise<unknown>): Promise<DriverError> {
  return promise.then(
    () => {
      throw new Error('expected the start to fail');
    },
    (err: unknown) => {
      if (!(err instanceof DriverError)) throw err;
      return err;
    },
  );
}

describe('dynamic database credentials', () => {
  it('works, is renewed while its lease allows, is rotated after its max TTL, and both leases are revoked at stop', async () => {
    const run = await start([{ name: 'db', path: 'database/creds/short' }]);
    const first = { user: run.store.get('db.username') ?? '', password: run.store.get('db.password') ?? '' };
    expect(first.user).toMatch(/^v-/);
    expect(postgres.canLogin(first.user, first.password)).toBe(true);

    await until('two renewals', () => (kinds(run, 'renewed').length >= 2 ? true : undefined), 30_000);
    // Renewal kept the same credential alive past its first TTL (5 s).
    expect(run.store.get('db.username')).toBe(first.user);

    const rotated = await until('a rotation after the max TTL', () => kinds(run, 'rotated')[0], 40_000);
    expect(rotated.annotations['reason']).toBe('max-ttl');
    const second = { user: run.store.get('db.username') ?? '', password: run.store.get('db.password') ?? '' };
    expect(second.user).not.toBe(first.user);
    expect(postgres.canLogin(second.user, second.password)).toBe(true);
    // The last renewal before the rotation said the max TTL was reached.
    expect(kinds(run, 'renewed').some((event) => event.annotations['final'] === 'true')).toBe(true);
    expect(kinds(run, 'renewal-failed')).toEqual([]);

    const { revoked, failed } = await run.manager.revokeAll(5000);
    expect(failed).toBe(0);
    expect(revoked).toBeGreaterThanOrEqual(1);
    expect(postgres.roleExists(second.user)).toBe(false);
    // The first credential is gone too: revoked with it, or expired and dropped by Vault.
    await until('the first role to be dropped', () => (postgres.roleExists(first.user) ? undefined : true), 20_000);
    expect(kinds(run, 'revoked')[0]?.message).toMatch(/^Revoked \d Vault leases? at stop \(secrets: db\)$/);
  }, 120_000);

  it('replaces a lease revoked in Vault at the next renewal', async () => {
    const run = await start([{ name: 'db', path: 'database/creds/short' }]);
    const user = run.store.get('db.username') ?? '';
    await vault.api('PUT', 'sys/leases/revoke-prefix/database/creds/short');
    expect(postgres.roleExists(user)).toBe(false);
    const lost = await until('the lost lease to be noticed', () => kinds(run, 'lease-lost')[0], 20_000);
    expect(lost.message).toContain('can no longer be renewed');
    const rotated = await until('a rotation', () => kinds(run, 'rotated')[0], 20_000);
    expect(rotated.annotations['reason']).toBe('lease-lost');
    const fresh = run.store.get('db.username') ?? '';
    expect(fresh).not.toBe(user);
    expect(postgres.canLogin(fresh, run.store.get('db.password') ?? '')).toBe(true);
    await run.manager.revokeAll(5000);
    expect(postgres.roleExists(fresh)).toBe(false);
  }, 60_000);

  it('reads the token from its file for every request: a token Nomad replaced is used from then on', async () => {
    const file = await tokenFile(['app']);
    const run = await start([{ name: 'db', path: 'database/creds/short' }], { file });
    const user = run.store.get('db.username') ?? '';
    // What Nomad does when it must replace a task's token: a new one in the file.
    // Revoking the old token takes its leases with it.
    const old = (await import('node:fs')).readFileSync(file, 'utf8');
    writeFileSync(file, await createToken(vault, ['app']));
    await vault.api('POST', 'auth/token/revoke', { token: old });
    await until('a rotation with the new token', () => kinds(run, 'rotated')[0], 30_000);
    const fresh = run.store.get('db.username') ?? '';
    expect(fresh).not.toBe(user);
    expect(postgres.canLogin(fresh, run.store.get('db.password') ?? '')).toBe(true);
    await run.manager.revokeAll(5000);
    expect(postgres.roleExists(fresh)).toBe(false);
  }, 60_000);
});

describe('KV v2', () => {
  it('serves a field, a pinned version, and a changed value after the next refresh', async () => {
    const before = await writeKv(vault, 'app', { api_key: 'k-two', region: 'eu' });
    const run = await start(
      [
        { name: 'api', path: 'kv/data/app', field: 'api_key' },
        { name: 'pinned', path: 'kv/data/app', field: 'api_key', version: before - 1 },
        { name: 'all', path: 'kv/data/app' },
      ],
      { staticRefreshMs: 500 },
    );
    expect(run.store.get('api')).toBe('k-two');
    expect(run.store.get('pinned')).toBe('k-one');
    expect(run.store.entries((key) => key.startsWith('all.'))).toEqual([
      ['all.api_key', 'k-two'],
      ['all.region', 'eu'],
    ]);
    await writeKv(vault, 'app', { api_key: 'k-three', region: 'eu' });
    const changed = await until(
      'the change to be seen',
      () => kinds(run, 'rotated').find((e) => e.annotations['secret'] === 'api'),
      20_000,
    );
    expect(changed.message).toContain(`KV version ${before} -> ${before + 1}`);
    expect(run.store.get('api')).toBe('k-three');
    // A pinned version is never re-read.
    expect(run.store.get('pinned')).toBe('k-one');
    expect(kinds(run, 'rotated').some((e) => e.annotations['secret'] === 'pinned')).toBe(false);
    await run.manager.revokeAll(2000);
    expect(kinds(run, 'revoked')).toEqual([]); // KV has no lease to revoke
  }, 60_000);

  it('another secret being unavailable does not make an unchanged KV secret count as rotated ("KV version 3 -> 3")', async () => {
    const version = await writeKv(vault, 'app', { api_key: 'k-steady', region: 'eu' });
    const run = await start([{ name: 'api', path: 'kv/data/app', field: 'api_key' }], { staticRefreshMs: 300 });
    // Another secret of the task whose lease ran out: the store then answers errors for its keys.
    run.store.set('db', new Map([['db.password', 'old']]));
    run.store.markUnavailable('db', 'secret "db" expired');
    let rereads = 0;
    run.store.onChange(() => rereads++);
    await until('three re-reads of the unchanged secret', () => (rereads >= 3 ? true : undefined), 20_000);
    expect(kinds(run, 'rotated')).toEqual([]);
    await writeKv(vault, 'app', { api_key: 'k-moved', region: 'eu' });
    const changed = await until('the real change', () => kinds(run, 'rotated')[0], 20_000);
    expect(changed.message).toContain(`(KV version ${version} -> ${version + 1})`);
    expect(kinds(run, 'rotated')).toHaveLength(1);
  }, 60_000);
});

describe('a Vault token from the task env (vault { disable_file = true })', () => {
  it('is dropped right after start when nothing more needs Vault (pinned KV versions only); a later request fails', async () => {
    const version = await writeKv(vault, 'app', { api_key: 'k-pinned', region: 'eu' });
    const token = tokenSource({ env: await createToken(vault, ['app']) });
    const events: string[] = [];
    const secrets = await startSecrets(
      {
        connection: { address: vault.address, timeoutMs: 3000 },
        token: {},
        secrets: [{ name: 'api', path: 'kv/data/app', field: 'api_key', version }],
        staticRefreshMs: 300,
      },
      token,
      { values: {}, secretKeys: ['api'], secretEnv: {} },
      (message) => events.push(message),
    );
    expect(secrets.store.get('api')).toBe('k-pinned');
    expect(token.holding).toBe(false);
    await expect(token()).rejects.toThrow(
      expect.objectContaining({
        code: 'VAULT_TOKEN_MISSING',
        message: "the task's Vault token (from its env) was dropped once its secrets needed no more Vault requests",
      }) as Error,
    );
  });

  it('is kept while a lease is renewed, and dropped once the leases are revoked at stop', async () => {
    const token = tokenSource({ env: await createToken(vault, ['app']) });
    const secrets = await startSecrets(
      {
        connection: { address: vault.address, timeoutMs: 3000 },
        token: {},
        secrets: [{ name: 'db', path: 'database/creds/long' }],
        staticRefreshMs: 0,
      },
      token,
      { values: {}, secretKeys: ['db.*'], secretEnv: {} },
      () => undefined,
    );
    expect(token.holding).toBe(true);
    const user = secrets.store.get('db.username') ?? '';
    await secrets.revokeAll();
    expect(token.holding).toBe(false);
    expect(postgres.query(`SELECT rolname FROM pg_roles WHERE rolname = '${user}'`)).toEqual([]);
  });
});

describe('start errors', () => {
  it('Vault unreachable: retryable, naming the address', async () => {
    const address = `http://127.0.0.1:${await freePort()}`;
    const err = await startError(start([{ name: 'db', path: 'database/creds/long' }], { address }));
    expect(err.code).toBe('VAULT_UNREACHABLE');
    expect(err.recoverable).toBe(true);
    expect(err.message).toContain(address);
    expect(err.message).toContain('secret "db"');
  });

  it('permission denied: not retryable, naming the path', async () => {
    const err = await startError(
      start([{ name: 'db', path: 'database/creds/long' }], { file: await tokenFile(['kv-only']) }),
    );
    expect(err.code).toBe('VAULT_PERMISSION_DENIED');
    expect(err.recoverable).toBe(false);
    expect(err.message).toContain('database/creds/long');
  });

  it('a path with nothing there, a missing field and a version on a non-KV path', async () => {
    const missing = await startError(start([{ name: 'x', path: 'kv/data/nothing-here' }]));
    expect(missing.code).toBe('VAULT_SECRET_NOT_FOUND');
    expect(missing.message).toContain('kv/data/nothing-here');
    const field = await startError(start([{ name: 'api', path: 'kv/data/app', field: 'nope' }]));
    expect(field.code).toBe('VAULT_SECRET_INVALID');
    expect(field.message).toContain('its fields: api_key, region');
    const version = await startError(start([{ name: 'db', path: 'database/creds/long', version: 2 }]));
    expect(version.code).toBe('VAULT_SECRET_INVALID');
  });

  it('gives back what it obtained when another secret of the task fails', async () => {
    const before = new Set(postgres.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%'"));
    const err = await startError(
      start([
        { name: 'db', path: 'database/creds/long' },
        { name: 'x', path: 'kv/data/nothing-here' },
      ]),
    );
    expect(err.code).toBe('VAULT_SECRET_NOT_FOUND');
    const created = postgres
      .query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%long%'")
      .filter((role) => !before.has(role));
    expect(created).toEqual([]);
  });
});

describe('Vault going away mid-run', () => {
  it('serves the last values until the lease ends, then an error, then fresh values once Vault is back; revocation that cannot reach Vault is reported', async () => {
    const persistent = await VaultServer.start({ persistent: true });
    try {
      await enableDatabase(persistent, postgres, [{ name: 'outage', ttlSec: 6, maxTtlSec: 600 }]);
      await writePolicy(persistent, 'app', taskPolicy(['database/creds/outage']));
      const file = join(dir, `token-${process.hrtime.bigint()}`);
      writeFileSync(file, await createToken(persistent, ['app']));
      const run = await start([{ name: 'db', path: 'database/creds/outage' }], { file, address: persistent.address });
      const user = run.store.get('db.username') ?? '';

      await persistent.stop();
      const failure = await until('a failed renewal', () => kinds(run, 'renewal-failed')[0], 20_000);
      expect(failure.message).toContain(persistent.address);
      expect(failure.message).toMatch(/the current value stays valid until/);
      expect(run.store.get('db.username')).toBe(user); // still served

      await until('the expiry', () => kinds(run, 'expired')[0], 20_000);
      // Both keys of the expired secret answer wasi:config/store's `upstream` error, saying why.
      for (const key of ['db.username', 'db.password']) {
        expect(() => run.store.get(key)).toThrow(
          expect.objectContaining({
            payload: { tag: 'upstream', val: expect.stringContaining('expired') as unknown },
          }) as ConfigStoreError,
        );
      }

      await persistent.restart();
      const back = await until('a fresh secret after Vault is back', () => kinds(run, 'rotated')[0], 30_000);
      expect(back.annotations['reason']).toBe('expired');
      const fresh = run.store.get('db.username') ?? '';
      expect(fresh).not.toBe(user);
      expect(postgres.canLogin(fresh, run.store.get('db.password') ?? '')).toBe(true);

      await persistent.stop();
      const started = Date.now();
      const { failed } = await run.manager.revokeAll(1500);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(failed).toBe(1);
      expect(kinds(run, 'revoke-failed')[0]?.message).toMatch(/expires by its TTL at/);
    } finally {
      await persistent.destroy();
    }
  }, 150_000);
});
