// Verifies one attestation (a Sigstore bundle holding a DSSE-signed in-toto
// statement, as `cosign attest` writes it) under the same trust material and
// signer policy as signatures. sigstore-js checks the envelope signature;
// what it leaves to the caller is checked here: the statement is in-toto,
// names the component (or its OCI manifest) as subject, and carries the
// predicate type the registry's annotation announced.
import { DriverError, isDriverError, type ErrorCode } from '../errors.js';
import { sha256Hex, type ArtifactIdentity } from './artifact-binding.js';
import { IN_TOTO_STATEMENT_TYPES, parseStatement, type InTotoStatement } from './dsse-statement.js';
import type { SignaturePolicy } from './policy.js';
import { toSigstoreBundle, type PreparedSignature } from './signature-sources.js';
import type { TrustConfig } from './trust.js';
import { verifyArtifact, type VerifiedSigner } from './verify-artifact.js';

export interface AttestationInput {
  readonly bundleJson: Buffer;
  /** Where it was found, for messages (`oci://…@sha256:… (referrers-api)`). */
  readonly origin: string;
  /** The predicate type announced beside the bundle (OCI annotation); it must match the statement's. */
  readonly announcedPredicateType?: string;
}

export interface VerifiedAttestation {
  readonly predicateType: string;
  readonly predicate: unknown;
  readonly signer: VerifiedSigner;
  readonly origin: string;
}

/** Signature failures of an attestation, renamed so a user can tell them from the component's own signature. */
const AS_ATTESTATION_ERROR: Partial<Record<ErrorCode, ErrorCode>> = {
  SIGNATURE_MISSING: 'ATTESTATION_INVALID',
  SIGNATURE_INVALID: 'ATTESTATION_INVALID',
  CERTIFICATE_EXPIRED: 'ATTESTATION_INVALID',
  SIGNER_NOT_TRUSTED: 'ATTESTATION_SIGNER_NOT_TRUSTED',
};

export async function verifyAttestation(
  artifact: ArtifactIdentity,
  input: AttestationInput,
  policy: SignaturePolicy,
  trust: TrustConfig,
): Promise<VerifiedAttestation> {
  // First what the signature covers, so a refusal says what is wrong with the statement.
  const statement = statementOf(input, artifact);
  let signer: VerifiedSigner;
  try {
    signer = await verifyArtifact(
      artifact,
      [{ kind: 'sigstore-bundle', bundleJson: input.bundleJson, origin: input.origin }],
      policy,
      trust,
    );
  } catch (err) {
    const renamed = isDriverError(err) ? AS_ATTESTATION_ERROR[err.code] : undefined;
    if (isDriverError(err) && renamed !== undefined)
      throw new DriverError(renamed, `attestation ${err.message}`, { cause: err });
    throw err;
  }
  return { predicateType: statement.predicateType, predicate: statement.predicate, signer, origin: input.origin };
}

function statementOf(input: AttestationInput, artifact: ArtifactIdentity): InTotoStatement {
  const { origin } = input;
  const accepted = [
    sha256Hex(artifact.digest),
    ...(artifact.manifestDigest ? [sha256Hex(artifact.manifestDigest)] : []),
  ];
  let prepared: PreparedSignature;
  try {
    prepared = toSigstoreBundle({ kind: 'sigstore-bundle', bundleJson: input.bundleJson, origin }, accepted[0] ?? '');
  } catch (err) {
    throw new DriverError('ATTESTATION_INVALID', `attestation ${(err as Error).message}`, { cause: err });
  }
  const content = prepared.bundle.content;
  if (content.$case !== 'dsseEnvelope')
    throw new DriverError(
      'ATTESTATION_INVALID',
      `attestation ${origin}: the bundle holds a message signature, not a DSSE-signed in-toto statement`,
    );
  const statement = parseStatement(
    content.dsseEnvelope.payloadType,
    content.dsseEnvelope.payload,
    `attestation ${origin}`,
    'ATTESTATION_INVALID',
  );
  if (!IN_TOTO_STATEMENT_TYPES.includes(statement.statementType))
    throw new DriverError(
      'ATTESTATION_INVALID',
      `attestation ${origin}: statement _type ${JSON.stringify(statement.statementType)} is not an in-toto statement (${IN_TOTO_STATEMENT_TYPES.join(' or ')})`,
    );
  if (input.announcedPredicateType !== undefined && input.announcedPredicateType !== statement.predicateType)
    throw new DriverError(
      'ATTESTATION_INVALID',
      `attestation ${origin}: announced as ${input.announcedPredicateType} but its statement is ${statement.predicateType || '(no predicateType)'}`,
    );
  // The subject check proper runs again inside verifyArtifact (artifact-binding.ts); here it only
  // sharpens the message before any cryptography.
  if (!statement.subjectDigests.some((d) => accepted.includes(d)))
    throw new DriverError(
      'ATTESTATION_INVALID',
      `attestation ${origin}: its in-toto subject ${statement.subjectDigests.map((d) => `sha256:${d}`).join(', ') || '(none)'} is not this component (${artifact.manifestDigest ? `manifest ${artifact.manifestDigest}, ` : ''}component ${artifact.digest})`,
    );
  return statement;
}
