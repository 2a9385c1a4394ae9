// The task config's secret blocks and wasi:config/store grants, the
// plugin's vault block, and how grants decide what a component sees.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@msgpack/msgpack';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeTaskConfig } from '../../src/config/task-config.ts';
import { decodePluginConfig } from '../../src/config/plugin-config.ts';
import { parseDuration } from '../../src/config/duration.ts';
import { configSource, environmentWithSecrets, NO_SECRETS } from '../../src/runtime/config-view.ts';
import type { ConfigGrants } from '../../src/ipc/grants.ts';
import { SecretStore } from '../../src/vault/secret-store.ts';
import { secretContent } from '../../src/vault/secret-keys.ts';
import { describeSecrets, vaultSpecFor } from '../../src/task/vault-spec.ts';
import { ConfigStoreError } from '../../src/wasi/config-store.ts';
import { DriverError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'secret-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function task(values: Record<string, unknown>) {
  return decodeTaskConfig(encode({ component: 'local/app.wasm', ...values }));
}

function invalid(values: Record<string, unknown>): string {
  try {
    task(values);
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).code).toBe('TASK_CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('secret blocks and config grants', () => {
  it('decodes secrets, keys, plain values and secret env as Nomad sends them', () => {
    const config = task({
      secret: {
        db: { path: 'database/creds/app', field: null, version: null },
        api: { path: '/v1/kv/data/app', field: 'api_key', version: 3 },
      },
      config_keys: ['db.username', 'db.password', 'api'],
      config_values: [{ log_level: 'info' }],
      secret_env: [{ API_KEY: 'api' }],
    });
    expect(config.configGrants).toEqual({
      secrets: [
        { name: 'db', path: 'database/creds/app' },
        // A leading "/v1/" is the API prefix, not part of the path.
        { name: 'api', path: 'kv/data/app', field: 'api_key', version: 3 },
      ],
      configKeys: ['db.username', 'db.password', 'api'],
      configValues: { log_level: 'info' },
      secretEnv: { API_KEY: 'api' },
    });
  });

  it('is absent for a task that uses none of it', () => {
    expect(task({}).configGrants).toBeUndefined();
  });

  it('plain values need no secret', () => {
    expect(task({ config_values: [{ a: '1' }] }).configGrants).toEqual({
      secrets: [],
      configKeys: [],
      configValues: { a: '1' },
      secretEnv: {},
    });
  });

  it('refuses keys that name no secret, or do not fit its field setting, naming the field', () => {
    const secret = { db: { path: 'database/creds/app' }, api: { path: 'kv/data/app', field: 'api_key' } };
    expect(invalid({ secret, config_keys: ['dbx.username', 'api'] })).toContain(
      'config_keys[0]: "dbx.username" names no declared secret (secret blocks: db, api)',
    );
    expect(invalid({ secret, config_keys: ['db', 'api'] })).toContain(
      'secret "db" has no field, so its keys are "db.<field>" (or "db.*" for all)',
    );
    expect(invalid({ secret, config_keys: ['db.*', 'api.x'] })).toContain(
      'secret "api" has field = "api_key", so its one key is "api"',
    );
    expect(invalid({ secret, config_keys: ['db.user*', 'api'] })).toContain(
      '"*" may only stand for the whole field name',
    );
    expect(invalid({ secret, config_keys: ['api'], secret_env: [{ DB: 'db.*' }] })).toContain(
      'an environment variable takes one key',
    );
  });

  it('refuses a secret nothing uses, a bad name, a bad version, env collisions and value/secret collisions', () => {
    expect(invalid({ secret: { db: { path: 'database/creds/app' } } })).toContain(
      'neither config_keys nor secret_env uses it',
    );
    expect(invalid({ secret: { 'd.b': { path: 'x' } }, config_keys: ['d.b'] })).toContain(
      'a secret name may hold letters, digits',
    );
    expect(invalid({ secret: { kv: { path: 'kv/data/x', version: 0 } }, config_keys: ['kv.*'] })).toContain(
      'must be a positive integer',
    );
    expect(
      invalid({ secret: { kv: { path: 'kv/data/x', field: 'k' } }, env: [{ K: 'v' }], secret_env: [{ K: 'kv' }] }),
    ).toContain('K is also set by env or pass_env');
    expect(
      invalid({
        secret: { kv: { path: 'kv/data/x', field: 'k' } },
        config_keys: ['kv'],
        config_values: [{ 'kv.extra': 'v' }],
      }),
    ).toContain('collides with the keys of secret "kv"');
    expect(invalid({ secret: { kv: { path: '' } }, config_keys: ['kv.*'] })).toContain('path": is required');
  });
});

describe('the plugin vault block', () => {
  it('decodes address, CA, namespace and durations, with defaults', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = decodePluginConfig(
      encode({
        vault: [
          {
            address: 'https://vault.example.com:8200/',
            ca_cert: ca,
            namespace: 'team-a',
            static_secret_refresh: '90s',
            request_timeout: null,
            tls_skip_verify: null,
          },
        ],
      }),
    );
    expect(config.vault).toEqual({
      address: 'https://vault.example.com:8200',
      caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      namespace: 'team-a',
      tlsSkipVerify: false,
      staticRefreshMs: 90_000,
      requestTimeoutMs: 10_000,
    });
    expect(decodePluginConfig(encode({})).vault).toBeUndefined();
  });

  it('refuses a bad address, a missing CA file and a bad duration, naming the field', () => {
    const refuse = (vault: Record<string, unknown>): string => {
      try {
        decodePluginConfig(encode({ vault: [vault] }));
      } catch (err) {
        expect((err as DriverError).code).toBe('PLUGIN_CONFIG_INVALID');
        return (err as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refuse({ address: 'vault:8200' })).toContain('"vault.address": must be');
    expect(refuse({ address: 'ftp://vault' })).toContain('must be http:// or https://');
    expect(refuse({ address: 'http://vault:8200', ca_cert: join(dir, 'missing.pem') })).toContain(
      '"vault.ca_cert": cannot read',
    );
    expect(refuse({ address: 'http://vault:8200', static_secret_refresh: 'soon' })).toContain(
      '"vault.static_secret_refresh": must be a duration',
    );
  });

  it('parses Go durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('5')).toBeUndefined();
  });
});

describe('the task host spec for Vault', () => {
  const grants = task({ secret: { api: { path: 'kv/data/app', field: 'k' } }, config_keys: ['api'] }).configGrants;
  const vault = decodePluginConfig(encode({ vault: [{ address: 'http://127.0.0.1:8200' }] })).vault;

  it('uses the token file Nomad writes, else VAULT_TOKEN; the job namespace wins', async () => {
    const taskDir = mkdtempSync(join(dir, 'task-'));
    const fromEnv = await vaultSpecFor(grants, taskDir, { VAULT_TOKEN: 'hvs.env', VAULT_NAMESPACE: 'ns1' }, vault);
    expect(fromEnv?.token).toEqual({ env: 'hvs.env' });
    expect(fromEnv?.connection.namespace).toBe('ns1');
    (await import('node:fs')).mkdirSync(join(taskDir, 'secrets'));
    writeFileSync(join(taskDir, 'secrets', 'vault_token'), 'hvs.file');
    const fromFile = await vaultSpecFor(grants, taskDir, { VAULT_TOKEN: 'hvs.env' }, vault);
    // The file is read by the task host for every request; the value is not in the spec.
    expect(fromFile?.token).toEqual({ file: join(taskDir, 'secrets', 'vault_token') });
    expect(JSON.stringify(fromFile)).not.toContain('hvs.');
    expect(describeSecrets(fromFile ?? fail())).toBe(
      'Vault secrets: api <- kv/data/app#k; Vault http://127.0.0.1:8200; token from secrets/vault_token',
    );
  });

  it('refuses secrets on a node without a vault block, and a task without a token', async () => {
    const taskDir = mkdtempSync(join(dir, 'task-'));
    await expect(vaultSpecFor(grants, taskDir, {}, undefined)).rejects.toMatchObject({ code: 'VAULT_NOT_CONFIGURED' });
    await expect(vaultSpecFor(grants, taskDir, {}, vault)).rejects.toMatchObject({ code: 'VAULT_TOKEN_MISSING' });
    expect(await vaultSpecFor(undefined, taskDir, {}, undefined)).toBeUndefined();
  });
});

function fail(): never {
  throw new Error('unexpected undefined');
}

describe('what the component sees', () => {
  const store = new SecretStore();
  store.set(
    'db',
    secretContent({ name: 'db', path: 'database/creds/app' }, { username: 'u1', password: 'p1', ttl: 60 }).keys,
  );
  store.set(
    'api',
    secretContent(
      { name: 'api', path: 'kv/data/app', field: 'k' },
      { data: { k: 'v1', other: 'x' }, metadata: { version: 4 } },
    ).keys,
  );
  const grants: ConfigGrants = {
    values: { level: 'info' },
    secretKeys: ['db.username', 'api'],
    secretEnv: { DB_PASSWORD: 'db.password' },
  };

  it('only granted keys and plain values, sorted', () => {
    const source = configSource(grants, store);
    expect(source.get('db.username')).toBe('u1');
    expect(source.get('db.password')).toBeUndefined(); // fetched, but not granted to wasi:config/store
    expect(source.get('api')).toBe('v1');
    expect(source.get('level')).toBe('info');
    expect(source.getAll()).toEqual([
      ['api', 'v1'],
      ['db.username', 'u1'],
      ['level', 'info'],
    ]);
    expect(configSource({ ...grants, secretKeys: ['db.*'] }, store).getAll()).toEqual([
      ['db.password', 'p1'],
      ['db.ttl', '60'],
      ['db.username', 'u1'],
      ['level', 'info'],
    ]);
    expect(configSource(undefined, NO_SECRETS).getAll()).toEqual([]);
  });

  it('secret env is read when an instance starts: the next one sees a rotated value', () => {
    const env = environmentWithSecrets({ PLAIN: 'x' }, grants, store);
    expect(env()).toEqual({ PLAIN: 'x', DB_PASSWORD: 'p1' });
    store.set(
      'db',
      new Map([
        ['db.username', 'u2'],
        ['db.password', 'p2'],
      ]),
    );
    expect(env()).toEqual({ PLAIN: 'x', DB_PASSWORD: 'p2' });
  });

  it('an expired secret answers upstream errors for its keys only', () => {
    store.markUnavailable('db', 'secret "db" expired');
    const source = configSource(grants, store);
    expect(() => source.get('db.username')).toThrow(ConfigStoreError);
    expect(source.get('api')).toBe('v1');
    try {
      source.getAll();
      throw new Error('expected an error');
    } catch (err) {
      expect((err as ConfigStoreError).payload).toEqual({ tag: 'upstream', val: 'secret "db" expired' });
    }
  });
});
