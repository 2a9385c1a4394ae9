// `cosign sign-blob --bundle` (before --new-bundle-format) writes
// {base64Signature, cert?, rekorBundle?}. This converts it to a v0.3
// Sigstore bundle with a messageSignature over the blob, so one verifier
// handles both. The Rekor SET is not carried over: offline there is no
// transparency log to check it against (see README), but the public key in
// its body still serves as the key hint.
import { createPublicKey, X509Certificate } from 'node:crypto';
import { BUNDLE_V03_MEDIA_TYPE } from '@sigstore/bundle';
import { DriverError } from '../errors.js';
import { dig, isRecord } from './json-shape.js';
import { keyHints } from './key-fingerprint.js';

export interface LegacyConversionInput {
  json: Buffer;
  origin: string;
  /** sha256 of the signed blob, hex. */
  artifactSha256Hex: string;
  /** DER TimeStampResp from `cosign sign-blob --rfc3161-timestamp`, when kept next to the bundle. */
  rfc3161Timestamp?: Buffer;
}

export function legacyBundleToSigstore(input: LegacyConversionInput): unknown {
  const doc = parseObject(input.json, input.origin);
  const signature = doc['base64Signature'];
  if (typeof signature !== 'string' || signature === '') {
    throw new DriverError('SIGNATURE_INVALID', `${input.origin}: cosign bundle has no base64Signature`);
  }
  const certField = doc['cert'];
  const verificationContent =
    typeof certField === 'string' && certField !== ''
      ? { certificate: { rawBytes: certificateDerBase64(certField, input.origin) } }
      : { publicKey: { hint: hintFromRekorBundle(doc['rekorBundle']) } };
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      ...verificationContent,
      tlogEntries: [],
      timestampVerificationData: input.rfc3161Timestamp
        ? { rfc3161Timestamps: [{ signedTimestamp: input.rfc3161Timestamp.toString('base64') }] }
        : undefined,
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: Buffer.from(input.artifactSha256Hex, 'hex').toString('base64') },
      signature,
    },
  };
}

/** cosign stores the certificate as base64(PEM); accept plain PEM too. */
function certificateDerBase64(field: string, origin: string): string {
  const pem = field.startsWith('-----') ? field : Buffer.from(field, 'base64').toString('utf8');
  try {
    return new X509Certificate(pem).raw.toString('base64');
  } catch (err) {
    throw new DriverError('SIGNATURE_INVALID', `${origin}: cosign bundle cert is not a PEM certificate`, {
      cause: err,
    });
  }
}

/** The hashedrekord body names the signing key; an absent or odd body just means no hint. */
function hintFromRekorBundle(rekorBundle: unknown): string {
  if (!isRecord(rekorBundle) || !isRecord(rekorBundle['Payload'])) return '';
  const body = rekorBundle['Payload']['body'];
  if (typeof body !== 'string') return '';
  let entry: unknown;
  try {
    entry = JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
  } catch {
    // Unparsable body: it is unauthenticated here anyway, so there is simply no hint.
    return '';
  }
  const content = dig(entry, ['spec', 'signature', 'publicKey', 'content']);
  if (typeof content !== 'string') return '';
  try {
    return keyHints(createPublicKey(Buffer.from(content, 'base64').toString('utf8')))[0] ?? '';
  } catch {
    // A certificate or garbage instead of a key: again, no hint.
    return '';
  }
}

function parseObject(json: Buffer, origin: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new DriverError('SIGNATURE_INVALID', `${origin}: cosign bundle is not JSON`, { cause: err });
  }
  if (!isRecord(doc)) throw new DriverError('SIGNATURE_INVALID', `${origin}: cosign bundle is not a JSON object`);
  return doc;
}
