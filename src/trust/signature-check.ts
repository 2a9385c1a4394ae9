// The signature part of admission: under the namespace's signature policy,
// does a trusted signer vouch for these bytes? `off` skips the check; `warn`
// runs it unverified with a warning (but broken trust material fails it: see
// verify-mode.ts); `enforce` fails the task. Verdicts are kept per digest
// and policy, so later starts of the same bytes do no cryptography.
import type { SignatureConfig } from '../config/signature-config.js';
import type { DriverError } from '../errors.js';
import type { SignaturePolicy } from '../verify/policy.js';
import type { VerifiedSigner } from '../verify/verify-artifact.js';
import type { AdmissionSubject } from './admission-subject.js';
import { policyFingerprint, type VerifiedStore } from './verified-store.js';

export type SignatureOutcome =
  | { readonly status: 'not-checked' }
  | { readonly status: 'verified'; readonly signer: VerifiedSigner; readonly fromCache: boolean }
  | { readonly status: 'unverified'; readonly reason: DriverError };

export async function checkSignature(
  subject: AdmissionSubject,
  policy: SignaturePolicy,
  signatures: SignatureConfig,
  verified: VerifiedStore,
): Promise<SignatureOutcome> {
  if (policy.mode === 'off') return { status: 'not-checked' };
  const digest = await subject.digest();
  const fingerprint = policyFingerprint(policy, signatures.trustedRoot);
  const known = await verified.lookup(digest, fingerprint);
  if (known) return { status: 'verified', signer: known, fromCache: true };
  // sigstore libraries only load when a policy needs them.
  const { verifyWithMode } = await import('../verify/verify-mode.js');
  const inputs = await subject.signatures();
  const artifact = {
    digest,
    bytes: await subject.bytes(),
    ...(subject.manifestDigest === undefined ? {} : { manifestDigest: subject.manifestDigest }),
  };
  // Only the keys this namespace accepts are offered as trust material.
  const outcome = await verifyWithMode(artifact, inputs, policy, {
    publicKeysPem: policy.keys,
    trustedRootJson: signatures.trustedRoot,
  });
  switch (outcome.outcome) {
    case 'verified':
      await verified.record(digest, fingerprint, outcome.signer);
      return { status: 'verified', signer: outcome.signer, fromCache: false };
    case 'warned':
      return { status: 'unverified', reason: outcome.error };
    case 'skipped':
      return { status: 'not-checked' };
  }
}

/** One line for task events and logs: who vouched for the component. */
export function describeSigner(signer: VerifiedSigner): string {
  if (signer.kind === 'key')
    return `key sha256:${signer.keyFingerprint}${signer.timestamp ? ` at ${signer.timestamp}` : ''} (${signer.origin})`;
  return `${signer.subject} from issuer ${signer.issuer} at ${signer.timestamp} (${signer.origin})`;
}
