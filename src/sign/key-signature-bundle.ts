// Signs a component with a private key the operator holds, into the Sigstore
// bundle (v0.3, a message signature over the component's bytes) that
// `cosign sign-blob --key … --new-bundle-format` writes and the driver's
// verification reads: the key is named by cosign's hint (base64 of the
// SHA-256 of its SPKI DER), no certificate, no transparency log.
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DriverError } from '../errors.js';
import { keyFingerprint, spkiDer } from '../verify/key-fingerprint.js';

export const SIGSTORE_BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface SigningKey {
  readonly privateKey: KeyObject;
  /** sha256 of the public key's SPKI DER, hex: how the driver's task events name the signer. */
  readonly fingerprint: string;
  readonly hint: string;
}

/**
 * Reads an ECDSA P-256 private key in PEM (PKCS#8 or SEC1, as `openssl
 * genpkey` writes it; encrypted PKCS#8 with `passphrase`). cosign's own
 * encrypted key format is refused by name: sign with cosign then.
 */
export function loadSigningKey(path: string, passphrase: string | undefined): SigningKey {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DriverError('SIGNING_KEY_INVALID', `cannot read signing key ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (pem.includes('-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----') || pem.includes('-----BEGIN ENCRYPTED COSIGN'))
    throw new DriverError(
      'SIGNING_KEY_INVALID',
      `${path} is a cosign-encrypted key, which nomad-wasm cannot read: push without --sign-key and sign with ` +
        '`cosign sign --key <key> <registry>/<repo>@<manifest digest>`, or use a PEM key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)',
    );
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(passphrase === undefined ? pem : { key: pem, passphrase });
  } catch (err) {
    const why =
      pem.includes('ENCRYPTED') && passphrase === undefined ? ' (encrypted: set $NOMAD_WASM_SIGNING_KEY_PASSWORD)' : '';
    throw new DriverError(
      'SIGNING_KEY_INVALID',
      `${path} is not a readable PEM private key${why}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  if (privateKey.asymmetricKeyType !== 'ec' || curve !== 'prime256v1')
    throw new DriverError(
      'SIGNING_KEY_INVALID',
      `${path} is a ${privateKey.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''} key; signing needs ECDSA P-256 (cosign's kind)`,
    );
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    fingerprint: keyFingerprint(publicKey),
    hint: createHash('sha256').update(spkiDer(publicKey)).digest('base64'),
  };
}

/** The bundle JSON for `bytes`, signed with `key` (ECDSA over their SHA-256). */
export function signatureBundle(bytes: Uint8Array, key: SigningKey): Buffer {
  const signature = sign('sha256', bytes, key.privateKey);
  return Buffer.from(
    JSON.stringify({
      mediaType: SIGSTORE_BUNDLE_TYPE,
      verificationMaterial: { publicKey: { hint: key.hint }, tlogEntries: [] },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(bytes).digest('base64') },
        signature: signature.toString('base64'),
      },
    }),
  );
}
