// The plugin's `consul { }` / `nomad { }` blocks and the task's
// `allow_services` grant, decoded from what Nomad sends (cty msgpack).
import { encode } from '@msgpack/msgpack';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePluginConfig } from '../../src/config/plugin-config.js';
import { decodeTaskConfig } from '../../src/config/task-config.js';
import { grantsFor, describeGrants } from '../../src/task/decide-grants.js';
import { defaultPluginConfig } from '../../src/config/plugin-config.js';
import { DriverError } from '../../src/errors.js';

const plugin = (values: Record<string, unknown>) => decodePluginConfig(encode({ cache_dir: '/c', ...values }));

describe('plugin config: consul and nomad blocks', () => {
  it("defaults to the node's own agents, as Nomad does, with no token", () => {
    expect(plugin({}).services).toEqual({
      consul: {
        url: 'http://127.0.0.1:8500',
        token: undefined,
        caCertPem: undefined,
        namespace: undefined,
        partition: undefined,
      },
      nomad: { url: 'http://127.0.0.1:4646', token: undefined, caCertPem: undefined },
    });
  });

  it("takes host:port like Nomad's own consul block, or a URL; token, namespace and partition", () => {
    const config = plugin({
      consul: [{ address: '10.0.0.5:8500', token: 'c-token', ca_cert: null, namespace: 'team-a', partition: 'edge' }],
      nomad: [{ address: 'http://127.0.0.1:14646', token: 'n-token', ca_cert: null }],
    });
    expect(config.services.consul).toEqual({
      url: 'http://10.0.0.5:8500',
      token: 'c-token',
      caCertPem: undefined,
      namespace: 'team-a',
      partition: 'edge',
    });
    expect(config.services.nomad).toEqual({ url: 'http://127.0.0.1:14646', token: 'n-token', caCertPem: undefined });
  });

  it('reads ca_cert for an https address, and refuses it for plain http', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'services-config-'));
    const pem = join(dir, 'ca.pem');
    await writeFile(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(
      plugin({ consul: [{ address: 'https://consul.internal:8501', ca_cert: pem }] }).services.consul.caCertPem,
    ).toContain('BEGIN CERTIFICATE');
    expect(() => plugin({ consul: [{ address: '127.0.0.1:8500', ca_cert: pem }] })).toThrow(
      /consul\.ca_cert": only used with an https:\/\/ address/,
    );
    expect(() => plugin({ consul: [{ address: 'https://c:8501', ca_cert: join(dir, 'missing.pem') }] })).toThrow(
      /consul\.ca_cert": cannot read/,
    );
  });

  it('refuses an address with a path, credentials or another scheme, naming the field; the token is not in the message', () => {
    for (const address of ['http://c:8500/v1', 'ftp://c:21', 'http://user:pw@c:8500', 'not a host']) {
      let error: unknown;
      try {
        plugin({ consul: [{ address, token: 'secret-token' }] });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(DriverError);
      expect((error as DriverError).code).toBe('PLUGIN_CONFIG_INVALID');
      expect((error as DriverError).message).toMatch(/config field "consul\.address"/);
      expect((error as DriverError).message).not.toContain('secret-token');
    }
  });
});

/** Like go-cty: every attribute of the task config present, absent ones as nil. */
function taskConfig(values: Record<string, unknown>): Uint8Array {
  const full = {
    allow_http: null,
    allow_services: null,
    args: null,
    component: 'c.wasm',
    env: null,
    http_instance: null,
    mount: null,
    pass_env: null,
    port: null,
    ...values,
  };
  return encode(Object.fromEntries(Object.entries(full).sort(([a], [b]) => (a < b ? -1 : 1))));
}

describe('task config: allow_services', () => {
  it('decodes names into services of either catalog, without duplicates', () => {
    expect(
      decodeTaskConfig(taskConfig({ allow_services: ['payments', 'payments.service.consul', 'billing.service.nomad'] }))
        .allowServices,
    ).toEqual([
      { provider: 'consul', name: 'payments' },
      { provider: 'nomad', name: 'billing' },
    ]);
  });

  it('refuses a malformed entry with TASK_CONFIG_INVALID naming it', () => {
    expect(() => decodeTaskConfig(taskConfig({ allow_services: ['ok', '*.service.consul'] }))).toThrow(
      /config field "allow_services\[1\]": "\*\.service\.consul" is not a service name/,
    );
  });

  it('the grants list the services, and the audit line names them', async () => {
    const config = decodeTaskConfig(taskConfig({ allow_services: ['payments', 'billing.service.nomad'] }));
    const grants = await grantsFor(
      config,
      { taskDir: '/nonexistent', allocDir: '/nonexistent', env: {}, memoryMb: 64, memoryMaxMb: 0 },
      defaultPluginConfig.ceilings,
    );
    expect(grants.services).toEqual([
      { provider: 'consul', name: 'payments' },
      { provider: 'nomad', name: 'billing' },
    ]);
    expect(describeGrants(grants)['services']).toBe('payments.service.consul,billing.service.nomad');
  });
});
