// How keys are named: by the SHA-256 of their SPKI DER encoding. Bundles carry
// an unauthenticated "hint" naming the key; cosign writes base64(sha256(SPKI)),
// others hex. Both name the same key, so both are recognised.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

export function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** sha256 of the SPKI DER, lowercase hex: the fingerprint reported to users. */
export function keyFingerprint(key: KeyObject): string {
  return createHash('sha256').update(spkiDer(key)).digest('hex');
}

/** Every spelling of a key hint that names this key. */
export function keyHints(key: KeyObject): readonly string[] {
  const digest = createHash('sha256').update(spkiDer(key)).digest();
  return [digest.toString('hex'), digest.toString('base64'), digest.toString('base64url')];
}

/** Parses a PEM public key (SPKI, or an X.509 certificate whose key is meant). */
export function publicKeyFromPem(pem: string): KeyObject {
  return createPublicKey(pem);
}
