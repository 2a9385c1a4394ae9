// Which signers a Nomad namespace accepts. Pure policy: no cryptography here
// (verify-artifact.ts does the checks, this file only says what must hold).
import { createPublicKey } from 'node:crypto';
import { DriverError } from '../errors.js';
import { globNarrows } from './identity-pattern.js';

export type VerifyMode = 'off' | 'warn' | 'enforce';

export interface IdentityRule {
  issuer: string;
  /** exact or glob with * (e.g. "*@example.com", "https://github.com/acme/*") matched against the cert SAN (email/URI) */
  subject: string;
}

export interface SignaturePolicy {
  mode: VerifyMode;
  /** PEM public keys; empty accepts no key signature. */
  keys: readonly string[];
  /** Certificate identities; empty accepts no certificate signature, whatever the trusted root. */
  identities: readonly IdentityRule[];
}

export interface NamespacePolicyConfig {
  default: SignaturePolicy;
  namespaces: Readonly<Record<string, Partial<SignaturePolicy>>>;
}

const MODE_RANK: Record<VerifyMode, number> = { off: 0, warn: 1, enforce: 2 };

/**
 * Effective policy for a Nomad namespace: a namespace rule may only TIGHTEN
 * the default (see validateNamespacePolicies). Namespaces without a rule get
 * the default.
 */
export function policyForNamespace(config: NamespacePolicyConfig, namespace: string): SignaturePolicy {
  const rule = Object.hasOwn(config.namespaces, namespace) ? config.namespaces[namespace] : undefined;
  if (rule === undefined) return config.default;
  // Re-checked here so a config that skipped validation still cannot loosen.
  checkPolicyShape(rule, `namespaces.${namespace}`);
  checkTightens(config.default, rule, namespace);
  return {
    mode: rule.mode ?? config.default.mode,
    keys: rule.keys ?? config.default.keys,
    identities: rule.identities ?? config.default.identities,
  };
}

/** Rejects, at config load, every namespace rule that would loosen the default. */
export function validateNamespacePolicies(config: NamespacePolicyConfig): void {
  checkPolicyShape(config.default, 'default');
  for (const [namespace, rule] of Object.entries(config.namespaces)) {
    checkPolicyShape(rule, `namespaces.${namespace}`);
    checkTightens(config.default, rule, namespace);
  }
}

function checkPolicyShape(policy: Partial<SignaturePolicy>, where: string): void {
  if (policy.mode !== undefined && !Object.hasOwn(MODE_RANK, policy.mode)) {
    throw invalid(`${where}.mode`, `must be one of off, warn, enforce (got ${JSON.stringify(policy.mode)})`);
  }
  policy.keys?.forEach((pem, i) => {
    try {
      createPublicKey(pem);
    } catch (err) {
      throw invalid(`${where}.keys[${i}]`, 'is not a PEM public key', err);
    }
  });
  policy.identities?.forEach((rule, i) => {
    if (rule.issuer === '' || rule.subject === '') {
      throw invalid(`${where}.identities[${i}]`, 'needs a non-empty issuer and subject');
    }
  });
}

function checkTightens(base: SignaturePolicy, rule: Partial<SignaturePolicy>, namespace: string): void {
  if (rule.mode !== undefined && MODE_RANK[rule.mode] < MODE_RANK[base.mode]) {
    throw invalid(
      `namespaces.${namespace}.mode`,
      `"${rule.mode}" would loosen the default "${base.mode}" (a namespace may only go off → warn → enforce)`,
    );
  }
  // An empty key or identity list accepts no one, so emptying one only
  // tightens. A namespace may name only signers the default accepts; where
  // the default names none, it may add its own only when the default does
  // not enforce (off/warn run everything anyway).
  if (rule.keys !== undefined && (base.keys.length > 0 || base.mode === 'enforce')) {
    // Compare keys by their SPKI bytes, not their PEM text (line breaks differ).
    const allowed = new Set(base.keys.map(spkiHex));
    const extra = rule.keys.filter((pem) => !allowed.has(spkiHex(pem)));
    if (extra.length > 0) {
      throw invalid(
        `namespaces.${namespace}.keys`,
        `lists ${extra.length} key(s) that the default does not accept; a namespace may only narrow the default keys`,
      );
    }
  }
  if (rule.identities !== undefined && (base.identities.length > 0 || base.mode === 'enforce')) {
    const extra = rule.identities.filter(
      (r) => !base.identities.some((b) => b.issuer === r.issuer && globNarrows(r.subject, b.subject)),
    );
    if (extra.length > 0) {
      throw invalid(
        `namespaces.${namespace}.identities`,
        `adds ${extra.map((r) => `${r.issuer} ${r.subject}`).join(', ')}, not in the default; a namespace may only narrow the default identities (same issuer, subject within a default pattern)`,
      );
    }
  }
}

function spkiHex(pem: string): string {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('hex');
}

function invalid(field: string, why: string, cause?: unknown): DriverError {
  return new DriverError('PLUGIN_CONFIG_INVALID', `signature policy ${field} ${why}`, { cause });
}
