// Namespace policies may only tighten the default; loosening is rejected at
// config load, naming the namespace and the field.
import { describe, expect, it } from 'vitest';
import { DriverError, isDriverError } from '../../src/errors.js';
import {
  policyForNamespace,
  validateNamespacePolicies,
  type NamespacePolicyConfig,
  type SignaturePolicy,
} from '../../src/verify/policy.js';
import { makeKey } from './support/key-signer.js';

const k1 = makeKey();
const k2 = makeKey();
const k3 = makeKey();
const GH = 'https://token.actions.githubusercontent.com';

const base = (over: Partial<SignaturePolicy> = {}): SignaturePolicy => ({
  mode: 'warn',
  keys: [],
  identities: [],
  ...over,
});

function thrown(fn: () => void): DriverError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DriverError) return err;
    throw err;
  }
  throw new Error('expected a DriverError');
}

describe('validateNamespacePolicies / policyForNamespace', () => {
  const tighten: [string, SignaturePolicy, Partial<SignaturePolicy>, Partial<SignaturePolicy>][] = [
    ['mode warn → enforce', base(), { mode: 'enforce' }, { mode: 'enforce' }],
    ['mode off → warn', base({ mode: 'off' }), { mode: 'warn' }, { mode: 'warn' }],
    ['same mode', base(), { mode: 'warn' }, { mode: 'warn' }],
    ['keys set when the default lists none', base(), { keys: [k1.publicPem] }, { keys: [k1.publicPem] }],
    [
      'an empty key list (accepts no key) under a default with keys',
      base({ keys: [k1.publicPem] }),
      { keys: [] },
      { keys: [] },
    ],
    [
      'keys narrowed to a subset',
      base({ keys: [k1.publicPem, k2.publicPem] }),
      { keys: [k2.publicPem] },
      { keys: [k2.publicPem] },
    ],
    [
      'keys compared by key, not PEM text',
      base({ keys: [k1.publicPem] }),
      { keys: [k1.publicPem.replaceAll('\n', '\r\n')] },
      { keys: [k1.publicPem.replaceAll('\n', '\r\n')] },
    ],
    [
      'identities set when the default lists none',
      base(),
      { identities: [{ issuer: GH, subject: 'https://github.com/acme/*' }] },
      {},
    ],
    [
      'identity narrowed inside a default glob',
      base({ identities: [{ issuer: GH, subject: 'https://github.com/acme/*' }] }),
      { identities: [{ issuer: GH, subject: 'https://github.com/acme/app/*' }] },
      {},
    ],
  ];

  it.each(tighten)('accepts tightening: %s', (_name, dflt, rule, expected) => {
    const config: NamespacePolicyConfig = { default: dflt, namespaces: { prod: rule } };
    expect(() => validateNamespacePolicies(config)).not.toThrow();
    const effective = policyForNamespace(config, 'prod');
    expect(effective).toEqual({ ...dflt, ...rule, ...expected });
  });

  const loosen: [string, SignaturePolicy, Partial<SignaturePolicy>, string][] = [
    ['mode enforce → warn', base({ mode: 'enforce' }), { mode: 'warn' }, 'namespaces.dev.mode'],
    ['mode warn → off', base(), { mode: 'off' }, 'namespaces.dev.mode'],
    [
      'a key the default does not list',
      base({ keys: [k1.publicPem] }),
      { keys: [k1.publicPem, k3.publicPem] },
      'namespaces.dev.keys',
    ],
    [
      'a key added under an enforcing default that lists none',
      base({ mode: 'enforce' }),
      { keys: [k1.publicPem] },
      'namespaces.dev.keys',
    ],
    [
      'a broader identity glob',
      base({ identities: [{ issuer: GH, subject: 'https://github.com/acme/app/*' }] }),
      { identities: [{ issuer: GH, subject: 'https://github.com/acme/*' }] },
      'namespaces.dev.identities',
    ],
    [
      'another issuer',
      base({ identities: [{ issuer: GH, subject: '*' }] }),
      { identities: [{ issuer: 'https://accounts.google.com', subject: '*' }] },
      'namespaces.dev.identities',
    ],
    [
      'an identity added under an enforcing default that lists none',
      base({ mode: 'enforce' }),
      { identities: [{ issuer: GH, subject: '*' }] },
      'namespaces.dev.identities',
    ],
  ];

  it.each(loosen)('rejects loosening: %s', (_name, dflt, rule, field) => {
    const config: NamespacePolicyConfig = { default: dflt, namespaces: { prod: {}, dev: rule } };
    const err = thrown(() => validateNamespacePolicies(config));
    expect(isDriverError(err, 'PLUGIN_CONFIG_INVALID')).toBe(true);
    expect(err.message).toContain(field);
    // Even without validation, the effective policy never loosens.
    expect(
      isDriverError(
        thrown(() => policyForNamespace(config, 'dev')),
        'PLUGIN_CONFIG_INVALID',
      ),
    ).toBe(true);
  });

  it('gives the default to namespaces without a rule, and to inherited object keys', () => {
    const config: NamespacePolicyConfig = {
      default: base({ mode: 'enforce' }),
      namespaces: { prod: { keys: [k1.publicPem] } },
    };
    expect(policyForNamespace(config, 'default')).toBe(config.default);
    expect(policyForNamespace(config, 'toString')).toBe(config.default);
  });

  it('rejects malformed entries by field', () => {
    const badMode = { default: base({ mode: 'strict' as SignaturePolicy['mode'] }), namespaces: {} };
    expect(thrown(() => validateNamespacePolicies(badMode)).message).toContain('default.mode');
    const badKey = { default: base(), namespaces: { ops: { keys: ['not a key'] } } };
    expect(thrown(() => validateNamespacePolicies(badKey)).message).toContain('namespaces.ops.keys[0]');
    const emptyIdentity = { default: base({ identities: [{ issuer: '', subject: '*' }] }), namespaces: {} };
    expect(thrown(() => validateNamespacePolicies(emptyIdentity)).message).toContain('default.identities[0]');
  });
});
