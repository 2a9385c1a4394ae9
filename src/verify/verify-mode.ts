// What `mode` means for a task start: `off` looks at nothing, `warn` lets a
// failed verification through but reports it, `enforce` fails the task.
// Operator mistakes (unreadable trust material, bad policy) fail in every
// mode but `off`: a warning nobody reads must not hide a broken setup.
import { DriverError, type ErrorCode } from '../errors.js';
import type { SignaturePolicy } from './policy.js';
import type { SignatureInput } from './signature-sources.js';
import type { TrustConfig } from './trust.js';
import { verifyArtifact, type ArtifactIdentity, type VerifiedSigner } from './verify-artifact.js';

export type VerificationOutcome =
  { outcome: 'skipped' } | { outcome: 'verified'; signer: VerifiedSigner } | { outcome: 'warned'; error: DriverError };

const TOLERATED_IN_WARN: readonly ErrorCode[] = [
  'SIGNATURE_MISSING',
  'SIGNATURE_INVALID',
  'SIGNER_NOT_TRUSTED',
  'CERTIFICATE_EXPIRED',
];

export async function verifyWithMode(
  artifact: ArtifactIdentity,
  inputs: readonly SignatureInput[],
  policy: SignaturePolicy,
  trust: TrustConfig,
): Promise<VerificationOutcome> {
  if (policy.mode === 'off') return { outcome: 'skipped' };
  try {
    return { outcome: 'verified', signer: await verifyArtifact(artifact, inputs, policy, trust) };
  } catch (err) {
    if (policy.mode === 'warn' && err instanceof DriverError && TOLERATED_IN_WARN.includes(err.code)) {
      return { outcome: 'warned', error: err };
    }
    throw err;
  }
}
