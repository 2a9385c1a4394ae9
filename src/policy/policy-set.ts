// The node's admission policies, loaded from the plugin config's `policy`
// block once per configuration (the same decoded config always yields the
// same loaded set), and their evaluation for one task: the node's policy
// and its namespace's own, each at its query, their verdicts joined.
// Evaluation never throws: a policy that aborts, traps or answers something
// unreadable is a failed evaluation, which the caller treats by mode (fail
// closed under `enforce`).
import { performance } from 'node:perf_hooks';
import { policyRulesFor, type PolicyConfig, type PolicyMode } from '../config/policy-config.js';
import { describeError } from '../errors.js';
import type { PolicyMessage } from './decision.js';
import { loadPolicyFile, type LoadedPolicy } from './policy-bundle.js';

export interface PolicyIdentity {
  readonly source: string;
  readonly digest: string;
  readonly revision: string | null;
  readonly query: string;
}

export interface PolicyEvaluation {
  readonly mode: PolicyMode;
  readonly policies: readonly PolicyIdentity[];
  /** The policies' own answer, before the mode applies. */
  readonly allowed: boolean;
  readonly deny: readonly PolicyMessage[];
  readonly warn: readonly PolicyMessage[];
  /** Why evaluation failed (then `allowed` is false); undefined when it ran. */
  readonly failure: string | undefined;
  readonly evalMs: number;
}

const loaded = new WeakMap<PolicyConfig, PolicySet>();

export class PolicySet {
  private constructor(
    private readonly config: PolicyConfig,
    private readonly nodePolicy: LoadedPolicy | undefined,
    private readonly namespacePolicies: ReadonlyMap<string, LoadedPolicy>,
  ) {}

  /** Loads every bundle the config names (POLICY_INVALID names the first that cannot be used). */
  static for(config: PolicyConfig): PolicySet {
    const known = loaded.get(config);
    if (known) return known;
    const nodePolicy =
      config.default.bundle === undefined ? undefined : loadPolicyFile(config.default.bundle, config.default.query);
    const namespacePolicies = new Map<string, LoadedPolicy>();
    for (const [namespace, rules] of Object.entries(config.namespaces))
      if (rules.bundle !== undefined) namespacePolicies.set(namespace, loadPolicyFile(rules.bundle, rules.query));
    const set = new PolicySet(config, nodePolicy, namespacePolicies);
    loaded.set(config, set);
    return set;
  }

  /** The policies that judge a task of this namespace, under its mode; none when the mode is off. */
  policiesFor(namespace: string): LoadedPolicy[] {
    if (policyRulesFor(this.config, namespace).mode === 'off') return [];
    return [this.nodePolicy, this.namespacePolicies.get(namespace)].filter((p): p is LoadedPolicy => p !== undefined);
  }

  evaluate(namespace: string, input: unknown): PolicyEvaluation {
    const mode = policyRulesFor(this.config, namespace).mode;
    const policies = this.policiesFor(namespace);
    const started = performance.now();
    const deny: PolicyMessage[] = [];
    const warn: PolicyMessage[] = [];
    let failure: string | undefined;
    for (const policy of policies) {
      try {
        const verdict = policy.evaluate(input);
        deny.push(...verdict.deny);
        warn.push(...verdict.warn);
      } catch (err) {
        failure = `policy ${policy.source} (${policy.query}) could not be evaluated: ${describeError(err)}`;
        break;
      }
    }
    return {
      mode,
      policies: policies.map(({ source, digest, revision, query }) => ({ source, digest, revision, query })),
      allowed: failure === undefined && deny.length === 0,
      deny,
      warn,
      failure,
      evalMs: performance.now() - started,
    };
  }
}
