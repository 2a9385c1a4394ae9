// The `signatures { ... }` block of the plugin config: which signers the node
// trusts, how strictly (off | warn | enforce), and per-namespace rules that
// may only tighten the default. Trust material is read here, once, so a typo
// in a path stops the agent with a message instead of failing every task.
import { readFileSync } from 'node:fs';
import { attr, blockList, blockMap, object, singleBlock, withDefault, type Spec } from '../hclspec/spec.js';
import type { ConfigReader } from './config-reader.js';
import { DriverError } from '../errors.js';
import { validateNamespacePolicies } from '../verify/policy.js';
import { readPem } from './registry-config.js';

export type VerifyMode = 'off' | 'warn' | 'enforce';
export const VERIFY_MODES: readonly VerifyMode[] = ['off', 'warn', 'enforce'];

/** A certificate identity: the OIDC issuer and a subject (email or URI SAN), `*` as wildcard. */
export interface IdentityRule {
  readonly issuer: string;
  readonly subject: string;
}

export interface SignatureRules {
  readonly mode: VerifyMode;
  /** PEM public keys whose signatures are accepted. */
  readonly keys: readonly string[];
  readonly identities: readonly IdentityRule[];
}

export interface SignatureConfig {
  readonly default: SignatureRules;
  /** Rules for a Nomad namespace; fields left out inherit the default. */
  readonly namespaces: Readonly<Record<string, Partial<SignatureRules>>>;
  /** Parsed Sigstore TrustedRoot JSON (CAs and timestamp authorities). */
  readonly trustedRoot: unknown;
}

export const SIGNATURES_OFF: SignatureConfig = {
  default: { mode: 'off', keys: [], identities: [] },
  namespaces: {},
  trustedRoot: undefined,
};

const identitySpec = blockList(
  'identity',
  object({ issuer: attr('issuer', 'string', true), subject: attr('subject', 'string', true) }),
);
const rulesFields = {
  public_keys: attr('public_keys', 'list(string)'),
  identity: identitySpec,
};

export const signatureConfigSpec: Spec = singleBlock(
  'signatures',
  object({
    mode: withDefault(attr('mode', 'string'), '"off"'),
    trusted_root: attr('trusted_root', 'string'),
    ...rulesFields,
    namespace: blockMap('namespace', 'name', object({ mode: attr('mode', 'string'), ...rulesFields })),
  }),
);

export function decodeSignatureConfig(block: ConfigReader | undefined): SignatureConfig {
  if (!block) return SIGNATURES_OFF;
  const mode = decodeMode(block.optionalString('mode') ?? 'off', 'signatures.mode');
  const defaults: SignatureRules = { mode, keys: decodeKeys(block, 'signatures'), identities: decodeIdentities(block) };
  const namespaces: Record<string, Partial<SignatureRules>> = {};
  for (const [name, rules] of block.blockMap('namespace')) {
    const field = `signatures.namespace["${name}"]`;
    const nsMode = rules.optionalString('mode');
    const keys = rules.optionalStringList('public_keys');
    const identities = decodeIdentities(rules);
    namespaces[name] = {
      ...(nsMode ? { mode: decodeMode(nsMode, `${field}.mode`) } : {}),
      ...(keys ? { keys: keys.map((k, i) => keyPem(k, `${field}.public_keys[${i}]`)) } : {}),
      ...(identities.length > 0 ? { identities } : {}),
    };
  }
  const rootPath = block.optionalString('trusted_root') || undefined;
  const config: SignatureConfig = {
    default: defaults,
    namespaces,
    trustedRoot: rootPath === undefined ? undefined : readTrustedRoot(rootPath),
  };
  checkUsable(config);
  try {
    validateNamespacePolicies(config);
  } catch (err) {
    // Names the namespace and field; the plugin-config wrapper adds the code.
    throw new Error(`config field "signatures": ${(err as Error).message}`, { cause: err });
  }
  return config;
}

function decodeMode(text: string, field: string): VerifyMode {
  if (!(VERIFY_MODES as readonly string[]).includes(text))
    throw new Error(`config field "${field}": must be "off", "warn" or "enforce", got "${text}"`);
  return text as VerifyMode;
}

function decodeKeys(block: ConfigReader, field: string): string[] {
  return block.stringList('public_keys').map((k, i) => keyPem(k, `${field}.public_keys[${i}]`));
}

/** A key is given inline as PEM or as the path of a PEM file (cosign.pub). */
function keyPem(value: string, field: string): string {
  return value.includes('-----BEGIN ') ? value : readPem(value, field);
}

function decodeIdentities(block: ConfigReader): IdentityRule[] {
  return block
    .blockList('identity')
    .map((identity) => ({ issuer: identity.requiredString('issuer'), subject: identity.requiredString('subject') }));
}

function readTrustedRoot(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`config field "signatures.trusted_root": cannot read ${path} as JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** A policy that could never admit anything, or certificate rules without a root, are operator mistakes. */
function checkUsable(config: SignatureConfig): void {
  const all: [string, Partial<SignatureRules>][] = [
    ['signatures', config.default],
    ...Object.entries(config.namespaces).map(([n, r]): [string, Partial<SignatureRules>] => [
      `signatures.namespace["${n}"]`,
      r,
    ]),
  ];
  for (const [field, rules] of all) {
    const mode = rules.mode ?? config.default.mode;
    const keys = rules.keys ?? config.default.keys;
    const identities = rules.identities ?? config.default.identities;
    if (mode !== 'off' && keys.length === 0 && identities.length === 0) {
      throw new Error(`config field "${field}": mode "${mode}" needs public_keys or an identity block to trust`);
    }
    if (identities.length > 0 && config.trustedRoot === undefined) {
      throw new Error(
        `config field "${field}.identity": certificate identities need "signatures.trusted_root" (a Sigstore trusted_root.json)`,
      );
    }
  }
}

/**
 * Parses the trusted root the way verification will, so a malformed one
 * stops the agent at start with the field named, instead of failing every
 * task later. The sigstore libraries load only when a root is configured.
 */
export async function checkTrustMaterial(config: SignatureConfig): Promise<void> {
  if (config.trustedRoot === undefined) return;
  const { loadTrust } = await import('../verify/trust.js');
  try {
    await loadTrust({ publicKeysPem: [], trustedRootJson: config.trustedRoot });
  } catch (err) {
    throw new DriverError(
      'PLUGIN_CONFIG_INVALID',
      `invalid plugin config: config field "signatures.trusted_root": ${(err as Error).message}`,
      { cause: err },
    );
  }
}
