// Translates @sigstore/verify failures into the driver's error codes. Its
// VerificationError/PolicyError carry string codes; anything else it throws
// (a TypeError on a malformed bundle) is a broken signature too.
import { PolicyError, VerificationError } from '@sigstore/verify';
import { DriverError, describeError } from '../errors.js';

export function sigstoreFailure(err: unknown, origin: string, signer?: string): DriverError {
  if (err instanceof DriverError) return err;
  const who = signer ? ` (signer ${signer})` : '';
  if (err instanceof PolicyError) {
    return new DriverError('SIGNER_NOT_TRUSTED', `${origin}: ${err.message}${who}`, { cause: err });
  }
  if (err instanceof VerificationError) {
    const detail = `${err.message}${err.cause ? `: ${describeError(err.cause)}` : ''}`;
    switch (err.code) {
      case 'TIMESTAMP_ERROR':
        // The TSA token does not verify against the trusted TSAs: no trusted time.
        return new DriverError('CERTIFICATE_EXPIRED', `${origin}: no trusted timestamp: ${detail}${who}`, {
          cause: err,
        });
      case 'CERTIFICATE_ERROR':
        return certificateFailure(err, origin, detail, who);
      default:
        return new DriverError('SIGNATURE_INVALID', `${origin}: ${detail}${who}`, { cause: err });
    }
  }
  return new DriverError('SIGNATURE_INVALID', `${origin}: ${describeError(err)}${who}`, { cause: err });
}

/**
 * The chain check fails in two ways: outside a validity window at the
 * signing time (leaf/intermediate expired or not yet valid, or no trusted CA
 * valid then) → CERTIFICATE_EXPIRED; no path to a trusted CA at all →
 * SIGNER_NOT_TRUSTED (the signature itself was checked before).
 */
function certificateFailure(err: VerificationError, origin: string, detail: string, who: string): DriverError {
  const cause: unknown = err.cause;
  const causeMessage = cause instanceof Error ? cause.message : '';
  if (cause === undefined || /expired|not valid/i.test(causeMessage) || /expired|not valid/i.test(err.message)) {
    const why = cause === undefined ? 'no trusted certificate authority was valid at the signing time' : detail;
    return new DriverError(
      'CERTIFICATE_EXPIRED',
      `${origin}: certificate not valid at the signing time: ${why}${who}`,
      { cause: err },
    );
  }
  return new DriverError(
    'SIGNER_NOT_TRUSTED',
    `${origin}: certificate does not chain to a trusted CA: ${detail}${who}`,
    { cause: err },
  );
}
