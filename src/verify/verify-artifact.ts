// Verifies a component against its signatures, offline. Cryptography is
// @sigstore/verify's (signature, certificate chain, RFC 3161 timestamps);
// this file decides which trust material to offer it and applies the
// namespace policy to the signer it proves (keys, identity globs).
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { toSignedEntity, Verifier, type SignedEntity, type Signer, type TrustMaterial } from '@sigstore/verify';
import { DriverError, type ErrorCode } from '../errors.js';
import { bindToArtifact, sha256Hex, type ArtifactIdentity } from './artifact-binding.js';
import { globMatches } from './identity-pattern.js';
import { keyFingerprint, keyHints, publicKeyFromPem } from './key-fingerprint.js';
import type { SignaturePolicy } from './policy.js';
import { sigstoreFailure } from './sigstore-failure.js';
import { toSigstoreBundle, type PreparedSignature, type SignatureInput } from './signature-sources.js';
import { loadTrust, type LoadedTrust, type TrustConfig } from './trust.js';

export type { ArtifactIdentity } from './artifact-binding.js';

export type VerifiedSigner =
  | { kind: 'key'; keyFingerprint: string /* sha256 of SPKI DER, hex */; origin: string; timestamp?: string }
  | { kind: 'certificate'; issuer: string; subject: string; origin: string; timestamp: string };

/**
 * Tries each signature input against the trust material + policy; returns
 * the first verified signer. `policy.mode` is not consulted: the caller
 * decides what a failure means (off/warn/enforce).
 */
export async function verifyArtifact(
  artifact: ArtifactIdentity,
  inputs: readonly SignatureInput[],
  policy: SignaturePolicy,
  trust: TrustConfig,
): Promise<VerifiedSigner> {
  if (inputs.length === 0) {
    throw new DriverError('SIGNATURE_MISSING', `no signature found for component ${artifact.digest}`);
  }
  // Caller and operator mistakes fail once, before any signature is looked at.
  const hex = sha256Hex(artifact.digest);
  const loaded = await loadTrust(trust);
  // Only the policy's keys count: an empty list accepts no key signature
  // (deny by default), whatever other keys the node trusts elsewhere.
  const keys: readonly KeyObject[] = policy.keys.map(policyKey);
  const failures: DriverError[] = [];
  for (const input of inputs) {
    try {
      const prepared = toSigstoreBundle(input, hex);
      return verifyPrepared(prepared, artifact, policy, keys, loaded);
    } catch (err) {
      failures.push(asDriverError(err, input.origin));
    }
  }
  throw combine(failures);
}

function verifyPrepared(
  prepared: PreparedSignature,
  artifact: ArtifactIdentity,
  policy: SignaturePolicy,
  keys: readonly KeyObject[],
  trust: LoadedTrust,
): VerifiedSigner {
  const signedBytes = bindToArtifact(prepared, artifact);
  const bundle = withoutUncheckableTlogEntries(prepared.bundle, trust.material);
  const entity = toSignedEntity(bundle, signedBytes);
  return entity.key.$case === 'public-key'
    ? verifyWithKeys(entity, entity.key.hint, prepared.origin, keys, trust.material)
    : verifyWithCertificate(entity, prepared.origin, policy, trust.material);
}

function verifyWithKeys(
  entity: SignedEntity,
  hint: string,
  origin: string,
  accepted: readonly KeyObject[],
  trustMaterial: TrustMaterial,
): VerifiedSigner {
  const fingerprints = accepted.map(keyFingerprint);
  // The hint is unauthenticated: every accepted key is tried, the hint only
  // decides how to report a failure.
  const named = hint === '' ? undefined : accepted.find((key) => keyHints(key).includes(hint));
  for (const key of accepted) {
    const material: TrustMaterial = { ...trustMaterial, publicKey: () => ({ publicKey: key, validFor: () => true }) };
    try {
      // Key signatures need no timestamp; any timestamp present must still verify.
      new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
      const timestamp = signingTime(entity);
      return { kind: 'key', keyFingerprint: keyFingerprint(key), origin, ...(timestamp ? { timestamp } : {}) };
    } catch (err) {
      // A wrong key only fails the signature check; anything else (a bad
      // timestamp, a bad tlog entry) fails the same way for every key.
      if (!isSignatureMismatch(err)) throw sigstoreFailure(err, origin);
    }
  }
  const expected = fingerprints.length > 0 ? `accepted keys ${fingerprints.join(', ')}` : 'no keys (none configured)';
  if (named !== undefined || (hint === '' && accepted.length > 0)) {
    // The signer claims (or, without a hint, may be) an accepted key, yet nothing verifies.
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${origin}: signature does not verify with ${named ? `key ${keyFingerprint(named)}` : `any of the ${expected}`} (artifact or signature altered${hint === '' ? ', or signed by another key: the bundle names no key' : ''})`,
    );
  }
  throw new DriverError(
    'SIGNER_NOT_TRUSTED',
    `${origin}: signed by key ${hint === '' ? '(unnamed)' : hint}; the policy expects ${expected}`,
  );
}

function verifyWithCertificate(
  entity: SignedEntity,
  origin: string,
  policy: SignaturePolicy,
  material: TrustMaterial,
): VerifiedSigner {
  if (entity.key.$case !== 'certificate') throw new TypeError('verifyWithCertificate needs a certificate bundle');
  const leaf = entity.key.certificate;
  // Check the signature against the certificate's own key first, so a
  // tampered artifact is SIGNATURE_INVALID whatever the trust in the CA.
  if (!entity.signature.verifySignature(publicKeyOf(leaf.publicKey))) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${origin}: signature does not verify with the key of its certificate (artifact or signature altered)`,
    );
  }
  const found = describeCertificateSigner(leaf.subjectAltName, issuerOf(entity));
  if (material.certificateAuthorities.length === 0) {
    throw new DriverError(
      'SIGNER_NOT_TRUSTED',
      `${origin}: signed by certificate ${found}, but no certificate authority is trusted (set trustedRootJson)`,
    );
  }
  if (entity.timestamps.length === 0) {
    throw new DriverError(
      'CERTIFICATE_EXPIRED',
      `${origin}: certificate signature carries no RFC 3161 timestamp (nor a checkable tlog entry), so there is no trusted time to check the certificate against`,
    );
  }
  let signer: Signer;
  try {
    // Offline: no transparency log or CT log is required; the TSA gives the time.
    signer = new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 }).verify(entity);
  } catch (err) {
    throw sigstoreFailure(err, origin, found);
  }
  const subject = signer.identity?.subjectAlternativeName ?? '';
  const issuer = signer.identity?.extensions?.issuer ?? '';
  const timestamp = signingTime(entity) ?? '';
  // An empty identity list accepts no certificate: a trusted root alone (the
  // public-good one, say) would otherwise admit anyone who can sign in.
  if (!policy.identities.some((r) => r.issuer === issuer && globMatches(r.subject, subject))) {
    const expected =
      policy.identities.map((r) => `${r.subject} from ${r.issuer}`).join('; ') ||
      'no certificate identities (it lists keys only)';
    throw new DriverError(
      'SIGNER_NOT_TRUSTED',
      `${origin}: signed by ${describeCertificateSigner(subject, issuer)}; the policy expects ${expected}`,
    );
  }
  return { kind: 'certificate', issuer, subject, origin, timestamp };
}

/** The verified time of signing (TSA or tlog), ISO 8601; entities were verified before this is read. */
function signingTime(entity: SignedEntity): string | undefined {
  const first = entity.timestamps[0];
  if (first === undefined) return undefined;
  if (first.$case === 'timestamp-authority') return first.timestamp.signingTime.toISOString();
  return new Date(Number(first.tlogEntry.integratedTime) * 1000).toISOString();
}

/**
 * Offline, a tlog entry can only be checked against a log key in the
 * trusted root. Without any, entries are dropped rather than failing every
 * public-good bundle; they are not required (tlogThreshold 0) anyway.
 */
function withoutUncheckableTlogEntries(bundle: Bundle, material: TrustMaterial): Bundle {
  if (material.tlogs.length > 0 || bundle.verificationMaterial.tlogEntries.length === 0) return bundle;
  return { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [] } };
}

function issuerOf(entity: SignedEntity): string {
  if (entity.key.$case !== 'certificate') return '';
  const cert = entity.key.certificate;
  const v2 = cert.extension('1.3.6.1.4.1.57264.1.8');
  if (v2) return v2.valueObj.subs[0]?.value.toString('utf8') ?? '';
  return cert.extension('1.3.6.1.4.1.57264.1.1')?.value.toString('utf8') ?? '';
}

function describeCertificateSigner(subject: string | undefined, issuer: string): string {
  return `${subject ?? '(no SAN)'} from issuer ${issuer === '' ? '(none)' : issuer}`;
}

function isSignatureMismatch(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    (err.code === 'SIGNATURE_ERROR' || err.code === 'PUBLIC_KEY_ERROR')
  );
}

function policyKey(pem: string, i: number): KeyObject {
  try {
    return publicKeyFromPem(pem);
  } catch (err) {
    throw new DriverError('PLUGIN_CONFIG_INVALID', `signature policy keys[${i}] is not a PEM public key`, {
      cause: err,
    });
  }
}

function publicKeyOf(spki: Buffer): KeyObject {
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

function asDriverError(err: unknown, origin: string): DriverError {
  if (err instanceof DriverError) return err;
  return sigstoreFailure(err, origin);
}

// When several signatures fail, the most telling reason wins the code: a
// valid-but-untrusted signer says more than a broken file.
const PRIORITY: readonly ErrorCode[] = [
  'TRUST_ROOT_INVALID',
  'SIGNER_NOT_TRUSTED',
  'CERTIFICATE_EXPIRED',
  'SIGNATURE_INVALID',
];

function combine(failures: readonly DriverError[]): DriverError {
  const [only] = failures;
  if (failures.length === 1 && only) return only;
  const rank = (e: DriverError): number => {
    const i = PRIORITY.indexOf(e.code);
    return i < 0 ? PRIORITY.length : i;
  };
  const chosen = [...failures].sort((a, b) => rank(a) - rank(b))[0];
  const message = `no signature verified (${failures.length} tried): ${failures.map((f) => `[${f.code}] ${f.message}`).join('; ')}`;
  return new DriverError(chosen?.code ?? 'SIGNATURE_INVALID', message, {
    cause: new AggregateError(failures, message),
  });
}
