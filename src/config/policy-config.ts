// The `policy { ... }` block of the plugin config: the node's admission
// policy (Rego compiled by `opa build -t wasm`), how strictly it applies,
// what the node requires of a component's attestations, and per-namespace
// rules that may only tighten it (a namespace may add a policy of its own,
// evaluated as well). Decoding only checks shapes; src/policy/policy-set.ts
// loads the bundles, once, when the plugin is configured.
import { attr, blockMap, object, singleBlock, withDefault, type Spec } from '../hclspec/spec.js';
import type { ConfigReader } from './config-reader.js';

export type PolicyMode = 'off' | 'warn' | 'enforce';
const MODES: readonly PolicyMode[] = ['off', 'warn', 'enforce'];
const RANK: Record<PolicyMode, number> = { off: 0, warn: 1, enforce: 2 };

export const DEFAULT_POLICY_QUERY = 'wasm/admission/decision';

export interface PolicyRules {
  readonly mode: PolicyMode;
  /** A bundle (`opa build -t wasm` output) or a policy.wasm; undefined = no Rego policy at this level. */
  readonly bundle: string | undefined;
  /** The entrypoint evaluated: `pkg/rule`, or a package, yielding `{deny, warn}`. */
  readonly query: string;
  readonly requireProvenance: boolean;
  readonly requireSbom: boolean;
}

export interface PolicyConfig {
  readonly default: PolicyRules;
  /** A namespace's own rules: mode, requirements and an extra bundle, tightening the default. */
  readonly namespaces: Readonly<Record<string, PolicyRules>>;
  /** Where decisions are appended, one JSON line each; undefined = `<cache_dir>/policy/decisions.log`. */
  readonly decisionLog: string | undefined;
  /** Also write each decision's whole input into its line (for replaying a decision; off by default). */
  readonly decisionLogInputs: boolean;
  /** Ask the Nomad API (the plugin's `nomad {}` block) for the job's previous version, for drift. */
  readonly jobHistory: boolean;
}

export const POLICY_OFF: PolicyConfig = {
  default: {
    mode: 'off',
    bundle: undefined,
    query: DEFAULT_POLICY_QUERY,
    requireProvenance: false,
    requireSbom: false,
  },
  namespaces: {},
  decisionLog: undefined,
  decisionLogInputs: false,
  jobHistory: true,
};

const ruleFields = {
  mode: attr('mode', 'string'),
  bundle: attr('bundle', 'string'),
  query: attr('query', 'string'),
  require_provenance: attr('require_provenance', 'bool'),
  require_sbom: attr('require_sbom', 'bool'),
};

export const policyConfigSpec: Spec = singleBlock(
  'policy',
  object({
    ...ruleFields,
    decision_log: attr('decision_log', 'string'),
    decision_log_inputs: withDefault(attr('decision_log_inputs', 'bool'), 'false'),
    job_history: withDefault(attr('job_history', 'bool'), 'true'),
    namespace: blockMap('namespace', 'name', object(ruleFields)),
  }),
);

export function decodePolicyConfig(block: ConfigReader | undefined): PolicyConfig {
  if (!block) return POLICY_OFF;
  const bundle = block.optionalString('bundle') || undefined;
  const defaults: PolicyRules = {
    // A bundle given without a mode is meant to apply: fail closed.
    mode: decodeMode(block.optionalString('mode') ?? (bundle ? 'enforce' : 'off'), 'policy.mode'),
    bundle,
    query: block.optionalString('query') || DEFAULT_POLICY_QUERY,
    requireProvenance: block.optionalBool('require_provenance') ?? false,
    requireSbom: block.optionalBool('require_sbom') ?? false,
  };
  if (defaults.mode !== 'off' && defaults.bundle === undefined && !defaults.requireProvenance && !defaults.requireSbom)
    throw new Error(`config field "policy.bundle": mode "${defaults.mode}" needs a policy bundle to evaluate`);
  const namespaces: Record<string, PolicyRules> = {};
  for (const [name, rules] of block.blockMap('namespace'))
    namespaces[name] = decodeNamespace(rules, defaults, `policy.namespace["${name}"]`);
  const decisionLog = block.optionalString('decision_log') || undefined;
  if (decisionLog !== undefined && !decisionLog.startsWith('/'))
    throw new Error(`config field "policy.decision_log": must be an absolute path, got "${decisionLog}"`);
  return {
    default: defaults,
    namespaces,
    decisionLog,
    decisionLogInputs: block.optionalBool('decision_log_inputs') ?? false,
    jobHistory: block.optionalBool('job_history') ?? true,
  };
}

/** A namespace inherits what it leaves out, and may only tighten: a higher mode, more requirements, one more policy. */
function decodeNamespace(block: ConfigReader, base: PolicyRules, field: string): PolicyRules {
  const mode = decodeMode(block.optionalString('mode') ?? base.mode, `${field}.mode`);
  if (RANK[mode] < RANK[base.mode])
    throw new Error(
      `config field "${field}.mode": "${mode}" would loosen the node's "${base.mode}" (a namespace may only go off → warn → enforce)`,
    );
  const requirement = (name: 'require_provenance' | 'require_sbom', inherited: boolean): boolean => {
    const value = block.optionalBool(name);
    if (value === false && inherited)
      throw new Error(`config field "${field}.${name}": false would loosen the node's require; leave it out`);
    return value ?? inherited;
  };
  const rules: PolicyRules = {
    mode,
    bundle: block.optionalString('bundle') || undefined,
    query: block.optionalString('query') || base.query,
    requireProvenance: requirement('require_provenance', base.requireProvenance),
    requireSbom: requirement('require_sbom', base.requireSbom),
  };
  if (
    mode !== 'off' &&
    rules.bundle === undefined &&
    base.bundle === undefined &&
    !rules.requireProvenance &&
    !rules.requireSbom
  )
    throw new Error(`config field "${field}.mode": "${mode}" needs a policy bundle (here or the node's) to evaluate`);
  return rules;
}

function decodeMode(text: string, field: string): PolicyMode {
  if (!(MODES as readonly string[]).includes(text))
    throw new Error(`config field "${field}": must be "off", "warn" or "enforce", got "${text}"`);
  return text as PolicyMode;
}

/** The rules that apply to a task of `namespace`. */
export function policyRulesFor(config: PolicyConfig, namespace: string): PolicyRules {
  return Object.hasOwn(config.namespaces, namespace)
    ? (config.namespaces[namespace] ?? config.default)
    : config.default;
}
