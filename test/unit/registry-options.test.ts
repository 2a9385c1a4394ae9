import { describe, expect, it } from 'vitest';
import type { RegistryConfig } from '../../src/config/registry-config.js';
import { clientOptionsFor } from '../../src/source/registry-options.js';

const nodeRegistries: RegistryConfig[] = [
  { host: 'registry.internal:5000', auth: { username: 'node', password: 'n' }, insecure: true, caCertPem: undefined },
  {
    host: 'ghcr.io',
    auth: { identityToken: 'tok' },
    insecure: false,
    caCertPem: '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n',
  },
];

describe('clientOptionsFor', () => {
  it("uses the node's registry block for its host", () => {
    expect(clientOptionsFor('registry.internal:5000', nodeRegistries, undefined)).toEqual({
      credentials: { username: 'node', password: 'n' },
      insecureRegistries: ['registry.internal:5000'],
    });
    expect(clientOptionsFor('ghcr.io', nodeRegistries, undefined)).toEqual({
      credentials: { identityToken: 'tok' },
      caCertPem: nodeRegistries[1]?.caCertPem,
    });
  });

  it("lets a task's auth win over the node's, keeping the node's transport settings", () => {
    expect(clientOptionsFor('registry.internal:5000', nodeRegistries, { username: 'job', password: 'j' })).toEqual({
      credentials: { username: 'job', password: 'j' },
      insecureRegistries: ['registry.internal:5000'],
    });
  });

  it('is anonymous over TLS for a registry the node does not know', () => {
    expect(clientOptionsFor('quay.io', nodeRegistries, undefined)).toEqual({});
  });
});
