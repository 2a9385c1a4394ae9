// sha256 content digests in OCI form (`sha256:<hex>`).
import { createHash } from 'node:crypto';
import { DriverError } from '../errors.js';
import { SHA256_DIGEST } from './reference.js';

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Only sha256 is accepted: it is what every registry uses, and what we can verify. */
export function checkDigest(digest: string, what: string): void {
  if (!SHA256_DIGEST.test(digest)) {
    throw new DriverError(
      'OCI_MANIFEST_UNSUPPORTED',
      `${what} has digest ${JSON.stringify(digest)}; only sha256:<64 hex> digests are supported`,
    );
  }
}

/** `sha256:abc…` → `sha256-abc…`, the tag the referrers fallback and cosign use. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}
