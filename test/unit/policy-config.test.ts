// The plugin's `policy { ... }` block: defaults, fail-closed when a bundle is
// given without a mode, namespace rules that may only tighten, and its place
// in the schema Nomad decodes the agent's config with.
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodePluginConfig, pluginConfigSpec } from '../../src/config/plugin-config.js';
import { DEFAULT_POLICY_QUERY, policyRulesFor } from '../../src/config/policy-config.js';
import { DriverError } from '../../src/errors.js';

const plugin = (policy?: Record<string, unknown>) =>
  decodePluginConfig(encode({ cache_dir: '/c', ...(policy ? { policy: [policy] } : {}) }));

function refused(policy: Record<string, unknown>): string {
  try {
    plugin(policy);
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).code).toBe('PLUGIN_CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('plugin config: policy', () => {
  it('is off without a block, and the schema Nomad decodes with has the block', () => {
    expect(plugin().policy.default).toMatchObject({ mode: 'off', bundle: undefined, requireProvenance: false });
    expect(JSON.stringify(pluginConfigSpec)).toContain('"name":"policy"');
    expect(JSON.stringify(pluginConfigSpec)).toContain('"name":"require_provenance"');
  });

  it('a bundle without a mode enforces (fail closed), at the default query, with job history on', () => {
    const { policy } = plugin({ bundle: '/etc/p.tar.gz' });
    expect(policy.default).toEqual({
      mode: 'enforce',
      bundle: '/etc/p.tar.gz',
      query: DEFAULT_POLICY_QUERY,
      requireProvenance: false,
      requireSbom: false,
    });
    expect(policy.jobHistory).toBe(true);
    expect(policy.decisionLog).toBeUndefined();
  });

  it('namespace rules inherit, tighten and may bring their own bundle', () => {
    const { policy } = plugin({
      bundle: '/etc/node.tar.gz',
      mode: 'warn',
      namespace: { prod: { mode: 'enforce', bundle: '/etc/prod.tar.gz', require_provenance: true } },
    });
    expect(policyRulesFor(policy, 'prod')).toMatchObject({
      mode: 'enforce',
      bundle: '/etc/prod.tar.gz',
      requireProvenance: true,
      requireSbom: false,
    });
    expect(policyRulesFor(policy, 'dev')).toMatchObject({ mode: 'warn', bundle: '/etc/node.tar.gz' });
  });

  it('refuses a namespace that would loosen the node, naming the field', () => {
    expect(refused({ bundle: '/p', mode: 'enforce', namespace: { dev: { mode: 'warn' } } })).toContain(
      'config field "policy.namespace["dev"].mode": "warn" would loosen the node\'s "enforce"',
    );
    expect(refused({ require_sbom: true, mode: 'enforce', namespace: { dev: { require_sbom: false } } })).toContain(
      'policy.namespace["dev"].require_sbom": false would loosen',
    );
  });

  it('refuses an unknown mode, a mode with nothing to evaluate, and a relative decision log', () => {
    expect(refused({ bundle: '/p', mode: 'strict' })).toContain('"policy.mode": must be "off", "warn" or "enforce"');
    expect(refused({ mode: 'enforce' })).toContain('"policy.bundle": mode "enforce" needs a policy bundle');
    expect(refused({ bundle: '/p', decision_log: 'decisions.log' })).toContain(
      '"policy.decision_log": must be an absolute path',
    );
  });

  it('require_provenance alone is a policy without Rego', () => {
    expect(plugin({ mode: 'enforce', require_provenance: true }).policy.default).toMatchObject({
      mode: 'enforce',
      bundle: undefined,
      requireProvenance: true,
    });
  });
});
