// Admission: may this component run as this task? One decision in three
// steps, each under the task's namespace rules, each able to refuse:
//   1. signature     a trusted signer vouches for the bytes (signature-check.ts)
//   2. attestations  SLSA provenance and SBOMs attached to it, verified under
//                    the same trust, and the node's requirements (attestation-check.ts)
//   3. policy        the node's Rego policies, evaluated in this process on
//                    an input holding all of the above, the component's
//                    world and the task's grants (src/policy/)
// A refusal is a DriverError (SIGNATURE_*, ATTESTATION_*, PROVENANCE_MISSING,
// SBOM_MISSING, POLICY_DENIED, POLICY_EVALUATION_FAILED); everything else is
// the record the task start reports. Every policy decision is logged.
import type { Logger } from 'pino';
import { policyRulesFor, type PolicyConfig } from '../config/policy-config.js';
import type { SignatureConfig } from '../config/signature-config.js';
import { DriverError } from '../errors.js';
import { digestOfJson } from '../policy/canonical-json.js';
import { describeMessage } from '../policy/decision.js';
import { newDecisionId, type DecisionLine, type DecisionLog } from '../policy/decision-log.js';
import type { AdmissionInput } from '../policy/input-document.js';
import { INPUT_VERSION } from '../policy/input-document.js';
import type { JobHistoryAnswer } from '../policy/job-history.js';
import { PolicySet, type PolicyEvaluation } from '../policy/policy-set.js';
import { policyForNamespace } from '../verify/policy.js';
import type { AdmissionSubject } from './admission-subject.js';
import { buildAdmissionInput, type TaskFacts } from './admission-input.js';
import type { AdmittedVersions, VersionKey } from './admitted-versions.js';
import { checkAttestations, signerFacts, type AttestationOutcome } from './attestation-check.js';
import type { AttestationStore } from './attestation-store.js';
import type { ComponentFactsCache } from './component-facts.js';
import { checkSignature, type SignatureOutcome } from './signature-check.js';
import type { VerifiedStore } from './verified-store.js';

/** The node's state admission reads and keeps, one set per cache dir. */
export interface AdmissionStores {
  readonly verified: VerifiedStore;
  readonly attestations: AttestationStore;
  readonly admittedVersions: AdmittedVersions;
  readonly facts: ComponentFactsCache;
  readonly decisionLog: DecisionLog;
}

export interface AdmissionRequest {
  readonly subject: AdmissionSubject;
  readonly namespace: string;
  readonly signatures: SignatureConfig;
  readonly policy: PolicyConfig;
  readonly stores: AdmissionStores;
  readonly task: TaskFacts;
  /** The job's previous version; asked for by the start before admission, awaited only when a policy runs. */
  readonly history: () => Promise<JobHistoryAnswer>;
  readonly log: Logger;
  /** Wraps the policy's decision, for whoever times it (the plugin's telemetry); none is fine. */
  readonly timePolicy?: <T>(work: () => Promise<T>) => Promise<T>;
}

export interface PolicyOutcome {
  readonly evaluation: PolicyEvaluation;
  readonly decisionId: string;
  readonly inputDigest: string;
  /** `admitted`, or `warned` when a denial or failed evaluation was let through under `warn`. */
  readonly outcome: 'admitted' | 'warned';
}

export interface AdmissionRecord {
  /** The component digest, when any step needed it. */
  readonly digest: string | undefined;
  readonly signature: SignatureOutcome;
  readonly attestations: AttestationOutcome;
  readonly policy: PolicyOutcome | undefined;
}

export async function admit(request: AdmissionRequest): Promise<AdmissionRecord> {
  const { subject, namespace, signatures, stores } = request;
  const signaturePolicy = policyForNamespace(signatures, namespace);
  const rules = policyRulesFor(request.policy, namespace);
  const policies = PolicySet.for(request.policy);
  const evaluates = policies.policiesFor(namespace).length > 0;

  const signature = await checkSignature(subject, signaturePolicy, signatures, stores.verified);
  const attestations = await checkAttestations(
    subject,
    signaturePolicy,
    signatures,
    { provenance: rules.requireProvenance, sbom: rules.requireSbom },
    stores.attestations,
    evaluates,
  );
  const digest =
    signature.status !== 'not-checked' || attestations.checked || evaluates ? await subject.digest() : undefined;
  if (!evaluates || digest === undefined) return { digest, signature, attestations, policy: undefined };

  const history = await request.history();
  const previousVersion = history.previous?.version;
  const input = buildAdmissionInput({
    namespace,
    task: request.task,
    component: {
      reference: subject.origin,
      source: subject.kind,
      digest,
      manifestDigest: subject.manifestDigest,
      facts: await stores.facts.factsOf(digest, () => subject.bytes(), subject.origin),
    },
    signatureMode: signaturePolicy.mode,
    signature,
    attestations,
    history,
    previousSigner:
      previousVersion === undefined
        ? null
        : await stores.admittedVersions.signerOf(versionKey(request, previousVersion)),
  });
  const policy = await (request.timePolicy
    ? request.timePolicy(() => decide(policies, input, request))
    : decide(policies, input, request));
  if (history.version !== null)
    await stores.admittedVersions.record(
      versionKey(request, history.version),
      digest,
      signature.status === 'verified' ? signerFacts(signature.signer) : null,
    );
  return { digest, signature, attestations, policy };
}

/** Evaluates, logs the decision, and refuses under `enforce`. */
async function decide(policies: PolicySet, input: AdmissionInput, request: AdmissionRequest): Promise<PolicyOutcome> {
  const evaluation = policies.evaluate(input.namespace, input);
  const decisionId = newDecisionId();
  const inputDigest = digestOfJson(input);
  const outcome = evaluation.allowed ? 'admitted' : evaluation.mode === 'enforce' ? 'denied' : 'warned';
  const line: DecisionLine = {
    time: new Date().toISOString(),
    decision_id: decisionId,
    input_version: INPUT_VERSION,
    input_digest: inputDigest,
    namespace: input.namespace,
    job: input.job.id,
    group: input.group,
    task: input.task,
    alloc_id: input.alloc_id,
    component_digest: input.component.digest,
    mode: evaluation.mode,
    policies: evaluation.policies,
    allowed: evaluation.allowed,
    outcome,
    deny: evaluation.deny,
    warn: evaluation.warn,
    failure: evaluation.failure ?? null,
    eval_ms: Math.round(evaluation.evalMs * 1000) / 1000,
    ...(request.policy.decisionLogInputs ? { input } : {}),
  };
  request.log.info({ decision: { ...line, input: undefined } }, 'policy decision');
  request.log.debug({ input_digest: inputDigest, input }, 'policy input');
  await request.stores.decisionLog.append(line).catch((err: unknown) => {
    // The decision stands either way; the plugin's own log above has it.
    request.log.warn({ err, path: request.stores.decisionLog.path }, 'could not append to the decision log');
  });
  if (outcome === 'denied') throw refusal(evaluation, decisionId, inputDigest);
  return { evaluation, decisionId, inputDigest, outcome };
}

function refusal(evaluation: PolicyEvaluation, decisionId: string, inputDigest: string): DriverError {
  const which = evaluation.policies.map((p) => p.query).join(' and ');
  const ids = `(decision ${decisionId}, input ${inputDigest})`;
  if (evaluation.failure !== undefined)
    return new DriverError('POLICY_EVALUATION_FAILED', `${evaluation.failure}; denied under enforce ${ids}`);
  return new DriverError(
    'POLICY_DENIED',
    `denied by policy ${which}: ${evaluation.deny.map(describeMessage).join('; ')} ${ids}`,
  );
}

function versionKey(request: AdmissionRequest, version: number): VersionKey {
  return {
    namespace: request.namespace,
    jobId: request.task.job.id,
    group: request.task.group,
    task: request.task.task,
    version,
  };
}
