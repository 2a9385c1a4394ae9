// The attestation part of admission: SLSA provenance and SBOMs that
// `cosign attest` attached to the component as OCI referrers, verified under
// the namespace's signature trust (its keys and identities, the trusted
// root), read into facts for the policy input, and held to the node's
// `require_provenance` / `require_sbom`.
//
// What refuses a start:
//   - a required kind with no verified attestation (the rejection of one of
//     that kind if there was one, else PROVENANCE_MISSING / SBOM_MISSING);
//   - under a `signatures` mode of `enforce`, a provenance or SBOM attestation
//     that is not what it claims (ATTESTATION_INVALID: altered, another
//     artifact's subject, malformed). One signed by a key the node does not
//     trust is only listed: a third party may attest too.
// Everything else is listed in the input (`attestations.rejected`) and, under
// `warn`, reported.
import type { SignatureConfig } from '../config/signature-config.js';
import { DriverError, isDriverError } from '../errors.js';
import type { ProvenanceFacts, SbomFacts, SignerFacts } from '../policy/input-document.js';
import { predicateKind, type PredicateKind } from '../sbom/predicate-types.js';
import { summarizeProvenance } from '../sbom/provenance-summary.js';
import { summarizeCycloneDx, summarizeSpdx } from '../sbom/sbom-summary.js';
import type { SignaturePolicy } from '../verify/policy.js';
import type { VerifiedSigner } from '../verify/verify-artifact.js';
import type { AdmissionSubject } from './admission-subject.js';
import type { AttestationStore } from './attestation-store.js';
import { policyFingerprint } from './verified-store.js';

/** Components listed per SBOM in the input; a policy rarely needs more, and evaluation time grows with it. */
export const MAX_SBOM_COMPONENTS = 2000;

export interface RejectedAttestation {
  readonly predicate_type: string;
  readonly code: string;
  readonly message: string;
}

/** What the attestations of one artifact say, as kept in the attestation store. */
export interface AttestationFacts {
  readonly provenance: readonly ProvenanceFacts[];
  readonly sbom: readonly SbomFacts[];
  readonly rejected: readonly RejectedAttestation[];
  readonly otherTypes: readonly string[];
}

export interface AttestationOutcome extends AttestationFacts {
  /** False when nothing asked for attestations (no policy, nothing required): none were looked up. */
  readonly checked: boolean;
  readonly fromCache: boolean;
}

export interface AttestationRequirements {
  readonly provenance: boolean;
  readonly sbom: boolean;
}

const NONE: AttestationFacts = { provenance: [], sbom: [], rejected: [], otherTypes: [] };

export async function checkAttestations(
  subject: AdmissionSubject,
  policy: SignaturePolicy,
  signatures: SignatureConfig,
  required: AttestationRequirements,
  store: AttestationStore,
  wanted: boolean,
): Promise<AttestationOutcome> {
  if (!wanted && !required.provenance && !required.sbom) return { ...NONE, checked: false, fromCache: false };
  // Only registries keep attestations (OCI referrers): a file or URL has none to look up or record.
  if (subject.kind !== 'oci') {
    enforce(NONE, policy, required, subject.origin);
    return { ...NONE, checked: true, fromCache: false };
  }
  const digest = await subject.digest();
  const attested = subject.manifestDigest ?? digest;
  const fingerprint = policyFingerprint(policy, signatures.trustedRoot);
  const cached = await store.lookup(digest, attested, fingerprint);
  const facts = cached ?? (await readAttestations(subject, digest, policy, signatures));
  if (!cached) await store.record(digest, attested, fingerprint, facts);
  enforce(facts, policy, required, subject.origin);
  return { ...facts, checked: true, fromCache: cached !== undefined };
}

async function readAttestations(
  subject: AdmissionSubject,
  digest: string,
  policy: SignaturePolicy,
  signatures: SignatureConfig,
): Promise<AttestationFacts> {
  const inputs = await subject.attestations();
  if (inputs.length === 0) return NONE;
  // sigstore libraries only load when there is something to verify.
  const { verifyAttestation } = await import('../verify/verify-attestation.js');
  const artifact = {
    digest,
    ...(subject.manifestDigest === undefined ? {} : { manifestDigest: subject.manifestDigest }),
  };
  const trust = { publicKeysPem: policy.keys, trustedRootJson: signatures.trustedRoot };
  const provenance: ProvenanceFacts[] = [];
  const sbom: SbomFacts[] = [];
  const rejected: RejectedAttestation[] = [];
  const otherTypes = new Set<string>();
  for (const input of inputs) {
    try {
      const verified = await verifyAttestation(artifact, input, policy, trust);
      const signer = signerFacts(verified.signer);
      const kind = predicateKind(verified.predicateType);
      if (kind === 'provenance') provenance.push(provenanceFacts(verified.predicateType, verified.predicate, signer));
      else if (kind === 'spdx' || kind === 'cyclonedx')
        sbom.push(sbomFacts(kind, verified.predicateType, verified.predicate, signer));
      else otherTypes.add(verified.predicateType);
    } catch (err) {
      if (!isDriverError(err)) throw err;
      rejected.push({ predicate_type: input.announcedPredicateType ?? '', code: err.code, message: err.message });
    }
  }
  return { provenance, sbom, rejected, otherTypes: [...otherTypes].sort() };
}

function enforce(
  facts: AttestationFacts,
  policy: SignaturePolicy,
  required: AttestationRequirements,
  origin: string,
): void {
  const ofKind = (kinds: readonly PredicateKind[]): RejectedAttestation[] =>
    facts.rejected.filter((r) => kinds.includes(predicateKind(r.predicate_type)));
  if (required.provenance && facts.provenance.length === 0)
    throw refusal(
      ofKind(['provenance']),
      'PROVENANCE_MISSING',
      `no verified SLSA provenance attestation for ${origin}`,
    );
  if (required.sbom && facts.sbom.length === 0)
    throw refusal(
      ofKind(['spdx', 'cyclonedx']),
      'SBOM_MISSING',
      `no verified SPDX or CycloneDX attestation for ${origin}`,
    );
  const forged = ofKind(['provenance', 'spdx', 'cyclonedx']).find((r) => r.code === 'ATTESTATION_INVALID');
  if (policy.mode === 'enforce' && forged) throw new DriverError('ATTESTATION_INVALID', forged.message);
}

/** The most telling reason: a rejected attestation of the required kind, else "none found". */
function refusal(
  rejected: readonly RejectedAttestation[],
  code: 'PROVENANCE_MISSING' | 'SBOM_MISSING',
  none: string,
): DriverError {
  const first = rejected[0];
  if (first === undefined)
    return new DriverError(
      code,
      `${none} (the node requires one: policy { require_${code === 'PROVENANCE_MISSING' ? 'provenance' : 'sbom'} = true })`,
    );
  const asCode =
    first.code === 'ATTESTATION_SIGNER_NOT_TRUSTED' ? 'ATTESTATION_SIGNER_NOT_TRUSTED' : 'ATTESTATION_INVALID';
  return new DriverError(asCode, `${none}: ${first.message}`);
}

export function signerFacts(signer: VerifiedSigner): SignerFacts {
  return signer.kind === 'key'
    ? { kind: 'key', key_fingerprint: `sha256:${signer.keyFingerprint}` }
    : { kind: 'certificate', issuer: signer.issuer, subject: signer.subject };
}

function provenanceFacts(predicateType: string, predicate: unknown, signer: SignerFacts): ProvenanceFacts {
  const s = summarizeProvenance(predicateType, predicate);
  return {
    predicate_type: predicateType,
    builder_id: s.builderId,
    build_type: s.buildType,
    source: { repository: s.repository, ref: s.ref, commit: s.commit },
    signer,
  };
}

function sbomFacts(
  format: 'spdx' | 'cyclonedx',
  predicateType: string,
  predicate: unknown,
  signer: SignerFacts,
): SbomFacts {
  const components = format === 'spdx' ? summarizeSpdx(predicate) : summarizeCycloneDx(predicate);
  const licenses = [...new Set(components.flatMap((c) => c.licenses))].sort();
  return {
    predicate_type: predicateType,
    format,
    licenses,
    components: components.slice(0, MAX_SBOM_COMPONENTS),
    truncated: components.length > MAX_SBOM_COMPONENTS,
    signer,
  };
}
