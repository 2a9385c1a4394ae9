// The task config's key_value_store blocks and spin { manifest }, as Nomad
// sends them, and the rule that a store's Consul token is never also a
// grant of the component.
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodeTaskConfig } from '../../src/config/task-config.ts';
import { DriverError } from '../../src/errors.ts';
import { describeGrants } from '../../src/task/decide-grants.ts';
import type { Grants } from '../../src/ipc/grants.ts';

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

const consulSecret = { secret: { consul: { path: 'consul/creds/cart', field: 'token' } } };

describe('key_value_store blocks', () => {
  it('decodes stores by label, prefixes without their slashes, an optional token secret', () => {
    const config = task({
      ...consulSecret,
      key_value_store: {
        default: { consul_prefix: '/apps/cart/default/' },
        sessions: { consul_prefix: 'apps/cart/sessions', token_secret: 'consul' },
      },
    });
    expect(config.keyValueStores).toEqual([
      { label: 'default', consulPrefix: 'apps/cart/default' },
      { label: 'sessions', consulPrefix: 'apps/cart/sessions', tokenSecret: 'consul' },
    ]);
    // The secret is used by the store alone: no config_keys needed, and none given.
    expect(config.configGrants?.configKeys).toEqual([]);
  });

  it('leaves a task without stores without the field (deny by default)', () => {
    expect(task({}).keyValueStores).toBeUndefined();
  });

  it('refuses prefixes Consul would rewrite, and stores that share keys', () => {
    expect(invalid({ key_value_store: { default: { consul_prefix: 'apps/../other' } } })).toContain(
      'key_value_store["default"].consul_prefix',
    );
    expect(invalid({ key_value_store: { default: { consul_prefix: '/' } } })).toContain('it is empty');
    expect(
      invalid({
        key_value_store: { a: { consul_prefix: 'apps/cart' }, b: { consul_prefix: 'apps/cart/b' } },
      }),
    ).toContain('overlaps the prefix of store');
  });

  it('refuses a token secret that names no secret block', () => {
    expect(invalid({ key_value_store: { default: { consul_prefix: 'a', token_secret: 'nope' } } })).toContain(
      'key_value_store["default"].token_secret: "nope" names no declared secret',
    );
  });

  it('never lets the component see the store token too, through config_keys or secret_env', () => {
    const store = { key_value_store: { default: { consul_prefix: 'a', token_secret: 'consul' } } };
    expect(invalid({ ...consulSecret, ...store, config_keys: ['consul'] })).toContain(
      'config_keys entry "consul" would hand it to the component too',
    );
    expect(invalid({ ...consulSecret, ...store, secret_env: { CONSUL_HTTP_TOKEN: 'consul' } })).toContain(
      'secret_env CONSUL_HTTP_TOKEN would hand it to the component too',
    );
    const wildcard = {
      secret: { consul: { path: 'consul/creds/cart' } },
      key_value_store: { default: { consul_prefix: 'a', token_secret: 'consul.token' } },
    };
    expect(invalid({ ...wildcard, config_keys: ['consul.*'] })).toContain('config_keys entry "consul.*"');
  });

  it('decodes spin { manifest, component }', () => {
    expect(task({ spin: [{ manifest: 'local/spin.toml', component: 'cart' }] }).spin).toEqual({
      manifest: 'local/spin.toml',
      component: 'cart',
    });
    expect(task({ spin: [{ manifest: 'local/spin.toml' }] }).spin).toEqual({ manifest: 'local/spin.toml' });
  });

  it('shows stores in the audit line with where the token comes from, never a token', () => {
    const grants: Grants = {
      args: [],
      env: {},
      mounts: [],
      outboundHttp: [],
      memoryMaxMiB: 64,
      httpInstance: 'shared',
      keyValueStores: [
        { label: 'default', consulPrefix: 'apps/cart' },
        { label: 'sessions', consulPrefix: 'apps/s', tokenSecret: 'consul' },
      ],
    };
    expect(describeGrants(grants)['key_value']).toBe('default=apps/cart/,sessions=apps/s/(token:consul)');
  });
});
