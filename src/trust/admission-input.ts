// Assembles the policy input (src/policy/input-document.ts) from what the
// task start knows (job, task, node, declared grants) and what admission
// found out (the component's world, its signer, its attestations, the job's
// previous version).
import type { VerifyMode } from '../verify/policy.js';
import {
  INPUT_VERSION,
  compareGrants,
  type AdmissionInput,
  type GrantSummary,
  type SignerFacts,
} from '../policy/input-document.js';
import type { JobHistoryAnswer } from '../policy/job-history.js';
import type { AttestationOutcome } from './attestation-check.js';
import { signerFacts } from './attestation-check.js';
import type { ComponentFacts } from './component-facts.js';
import type { SignatureOutcome } from './signature-check.js';

/** The task's side of the input, built by the task start. */
export interface TaskFacts {
  readonly job: { readonly id: string; readonly name: string; readonly parentId: string | null };
  readonly group: string;
  readonly task: string;
  readonly allocId: string;
  readonly node: {
    readonly id: string;
    readonly name: string;
    readonly datacenter: string | null;
    readonly region: string | null;
  };
  readonly grants: GrantSummary;
}

export interface InputParts {
  readonly namespace: string;
  readonly task: TaskFacts;
  readonly component: {
    readonly reference: string;
    readonly source: 'file' | 'https' | 'oci';
    readonly digest: string;
    readonly manifestDigest: string | undefined;
    readonly facts: ComponentFacts;
  };
  readonly signatureMode: VerifyMode;
  readonly signature: SignatureOutcome;
  readonly attestations: AttestationOutcome;
  readonly history: JobHistoryAnswer;
  readonly previousSigner: SignerFacts | null;
}

export function buildAdmissionInput(parts: InputParts): AdmissionInput {
  const { task, component, signature, attestations, history } = parts;
  const previous = history.previous;
  return {
    version: INPUT_VERSION,
    namespace: parts.namespace,
    job: { id: task.job.id, name: task.job.name, parent_id: task.job.parentId, version: history.version },
    group: task.group,
    task: task.task,
    alloc_id: task.allocId,
    node: task.node,
    component: {
      reference: component.reference,
      source: component.source,
      digest: component.digest,
      manifest_digest: component.manifestDigest ?? null,
      ...component.facts,
    },
    grants: task.grants,
    signature: {
      mode: parts.signatureMode,
      status: signature.status,
      signer: signature.status === 'verified' ? signerFacts(signature.signer) : null,
      error:
        signature.status === 'unverified' ? { code: signature.reason.code, message: signature.reason.message } : null,
    },
    provenance: attestations.provenance,
    sbom: attestations.sbom,
    attestations: { rejected: attestations.rejected, other_types: attestations.otherTypes },
    previous:
      previous === null
        ? null
        : {
            version: previous.version,
            component: previous.component,
            grants: previous.grants,
            signer: parts.previousSigner,
          },
    drift: {
      status: history.status,
      reason: history.reason,
      ...(previous === null ? { added: {}, removed: {} } : compareGrants(previous.grants, task.grants)),
    },
  };
}
