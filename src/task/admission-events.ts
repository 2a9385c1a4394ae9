// What admission found, as task events (`nomad alloc status`) and plugin log
// lines. The last one, `Admitted: …`, carries the whole record in its
// details (Nomad keeps a task's last 10 events; `nomad-wasm evidence` reads
// this one back from the API), so it comes after the warnings.
import type { Logger } from 'pino';
import { describeMessage } from '../policy/decision.js';
import type { ProvenanceFacts, SbomFacts, SignerFacts } from '../policy/input-document.js';
import type { AdmissionRecord } from '../trust/admission.js';
import { ADMISSION_DETAILS, ADMITTED_PREFIX } from '../trust/admitted-event.js';
import { signerFacts } from '../trust/attestation-check.js';
import { describeSigner } from '../trust/signature-check.js';

type Report = (message: string, annotations?: Record<string, string>) => void;

export function reportAdmission(record: AdmissionRecord, report: Report, log: Logger): void {
  reportSignature(record, report, log);
  const { attestations, policy } = record;
  for (const rejected of attestations.rejected)
    report(
      `WARNING: attestation not accepted (${rejected.predicate_type || 'unknown type'}): [${rejected.code}] ${rejected.message}`,
    );
  for (const warning of policy?.evaluation.warn ?? []) report(`Policy warning: ${describeMessage(warning)}`);
  if (policy?.outcome === 'warned')
    report(
      `WARNING: the policy would deny this task (mode "warn"): ${policy.evaluation.failure ?? policy.evaluation.deny.map(describeMessage).join('; ')}`,
      { [ADMISSION_DETAILS.decisionId]: policy.decisionId },
    );
  if (!attestations.checked && policy === undefined) return;
  const parts = [
    ...attestations.provenance.map(describeProvenance),
    ...attestations.sbom.map(describeSbom),
    ...(attestations.checked && attestations.provenance.length === 0 && attestations.sbom.length === 0
      ? ['no provenance or SBOM attested']
      : []),
    ...(policy
      ? [
          `policy ${policy.evaluation.policies.map((p) => p.query).join(' and ')} ${policy.outcome === 'admitted' ? 'allowed it' : 'let it run under warn'}${policy.evaluation.warn.length > 0 ? ` with ${policy.evaluation.warn.length} warning(s)` : ''} (decision ${policy.decisionId})`,
        ]
      : []),
  ];
  const signer =
    record.signature.status === 'verified' ? JSON.stringify(signerFacts(record.signature.signer)) : undefined;
  report(`${ADMITTED_PREFIX}${parts.join('; ')}`, {
    ...(record.digest ? { [ADMISSION_DETAILS.digest]: record.digest } : {}),
    ...(signer ? { [ADMISSION_DETAILS.signer]: signer } : {}),
    [ADMISSION_DETAILS.provenance]: JSON.stringify(attestations.provenance),
    [ADMISSION_DETAILS.sbom]: JSON.stringify(
      attestations.sbom.map(({ components, ...rest }) => ({ ...rest, component_count: components.length })),
    ),
    ...(policy
      ? {
          [ADMISSION_DETAILS.outcome]: policy.outcome,
          [ADMISSION_DETAILS.decisionId]: policy.decisionId,
          [ADMISSION_DETAILS.inputDigest]: policy.inputDigest,
          [ADMISSION_DETAILS.deny]: JSON.stringify(policy.evaluation.deny),
          [ADMISSION_DETAILS.warn]: JSON.stringify(policy.evaluation.warn),
          [ADMISSION_DETAILS.policies]: JSON.stringify(policy.evaluation.policies),
        }
      : {}),
  });
}

function reportSignature(record: AdmissionRecord, report: Report, log: Logger): void {
  const { signature, digest = '' } = record;
  switch (signature.status) {
    case 'not-checked':
      return;
    case 'verified': {
      const signer = describeSigner(signature.signer);
      const how = signature.fromCache ? 'Signature verified earlier on this node' : 'Signature verified';
      report(`${how}: ${digest} signed by ${signer}`, { digest, signer });
      log.info({ digest, signer: signature.signer, cached: signature.fromCache }, 'component signature verified');
      return;
    }
    case 'unverified':
      report(`WARNING: running unverified component ${digest} (signature policy "warn"): ${signature.reason.message}`, {
        digest,
        code: signature.reason.code,
      });
      log.warn(
        { digest, code: signature.reason.code, err: signature.reason.message },
        'component signature not verified; running it under policy warn',
      );
  }
}

function describeSignerFacts(signer: SignerFacts): string {
  return signer.kind === 'key' ? `key ${signer.key_fingerprint}` : `${signer.subject} (${signer.issuer})`;
}

function describeProvenance(p: ProvenanceFacts): string {
  const source = p.source.repository
    ? ` from ${p.source.repository}${p.source.ref ? `@${p.source.ref}` : ''}${p.source.commit ? ` (${p.source.commit.slice(0, 12)})` : ''}`
    : '';
  return `provenance: built by ${p.builder_id ?? 'an unnamed builder'}${source}, signed by ${describeSignerFacts(p.signer)}`;
}

function describeSbom(s: SbomFacts): string {
  const licences = s.licenses.length > 6 ? `${s.licenses.slice(0, 6).join(', ')}, …` : s.licenses.join(', ');
  return `SBOM (${s.format}): ${s.components.length}${s.truncated ? '+' : ''} components${licences ? `, licences ${licences}` : ''}, signed by ${describeSignerFacts(s.signer)}`;
}
