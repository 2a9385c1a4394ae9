// The node's connections to Vault, Consul and Nomad as the plugin config
// declares them: credentials in an address are refused without being
// echoed, and connections that do not protect a token are named (warned
// once at plugin start, base-service.ts, and per task, task-manager.ts).
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodePluginConfig } from '../../src/config/plugin-config.ts';
import { insecureConnections } from '../../src/config/insecure-connections.ts';
import { DriverError } from '../../src/errors.ts';

const plugin = (values: Record<string, unknown>) => decodePluginConfig(encode({ cache_dir: '/c', ...values }));

function refusal(values: Record<string, unknown>): DriverError {
  try {
    plugin(values);
  } catch (err) {
    if (err instanceof DriverError) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('addresses with credentials', () => {
  it.each(['https://admin:s3cr3t@vault:8200', 'https://admin@vault:8200', 'https://:s3cr3t@vault:8200'])(
    'refuses a Vault address %s without echoing it',
    (address) => {
      const err = refusal({ vault: [{ address }] });
      expect(err.code).toBe('PLUGIN_CONFIG_INVALID');
      expect(err.message).toBe(
        'invalid plugin config: config field "vault.address": must not carry a user or password ("https://***@vault:8200"); the task authenticates with its own Vault token',
      );
    },
  );

  it('never echoes credentials, even in an address that does not parse', () => {
    const err = refusal({ vault: [{ address: 'https://admin:s3 cr3t@vault:8200' }] });
    expect(err.message).toContain('"https://***@vault:8200"');
    expect(err.message).not.toContain('s3');
  });

  it.each(['consul', 'nomad'])('refuses a password-only %s address too', (block) => {
    const err = refusal({ [block]: [{ address: 'http://:s3cr3t@10.0.0.5:8500', token: null, ca_cert: null }] });
    expect(err.message).toContain(`"${block}.address": "http://***@10.0.0.5:8500" must be host:port`);
    expect(err.message).not.toContain('s3cr3t');
  });
});

describe('connections that do not protect a token', () => {
  it('names Vault over plain HTTP and with tls_skip_verify', () => {
    const config = plugin({ vault: [{ address: 'http://10.0.0.9:8200', tls_skip_verify: true }] });
    expect(insecureConnections(config)).toEqual([
      {
        endpoint: 'vault',
        message:
          'Vault at http://10.0.0.9:8200 is plain HTTP: the task\'s Vault token and its secrets cross the network unencrypted; use https:// (plugin "wasm" config vault.address)',
      },
      {
        endpoint: 'vault',
        message:
          "Vault at http://10.0.0.9:8200 is used with tls_skip_verify = true: the task's Vault token goes to whichever server answers; give vault.ca_cert instead",
      },
    ]);
  });

  it('names a Consul or Nomad catalog over plain HTTP, saying whether a token crosses it', () => {
    const config = plugin({
      consul: [{ address: '10.0.0.5:8500', token: 'c-token', ca_cert: null, namespace: null, partition: null }],
      nomad: [{ address: 'http://nomad.internal:4646', token: null, ca_cert: null }],
    });
    expect(insecureConnections(config).map((c) => [c.endpoint, c.message])).toEqual([
      [
        'consul',
        'Consul at http://10.0.0.5:8500 is plain HTTP: the plugin\'s Consul token and the service addresses components are routed to cross the network unprotected; use https:// (plugin "wasm" config consul.address)',
      ],
      [
        'nomad',
        'Nomad at http://nomad.internal:4646 is plain HTTP: the service addresses components are routed to cross the network unprotected; use https:// (plugin "wasm" config nomad.address)',
      ],
    ]);
  });

  it('says nothing of https://, nor of this node itself (the defaults: the traffic never leaves it)', () => {
    expect(insecureConnections(plugin({}))).toEqual([]);
    for (const address of ['http://127.0.0.1:8200', 'http://localhost:8200', 'http://[::1]:8200', 'https://vault:8200'])
      expect(insecureConnections(plugin({ vault: [{ address }] }))).toEqual([]);
  });
});
