// cosign's OCI signatures (the `.sig` tag or a referrer): a "simple signing"
// JSON payload naming the image manifest digest, signed as a plain message.
// Converted to a messageSignature bundle whose "artifact" is the payload; the
// binding to the component is the manifest digest inside the payload.
import { createHash, X509Certificate } from 'node:crypto';
import { BUNDLE_V03_MEDIA_TYPE } from '@sigstore/bundle';
import { DriverError } from '../errors.js';
import { isRecord } from './json-shape.js';

export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

export interface SimpleSigningInput {
  payload: Buffer;
  signatureBase64: string;
  certificatePem?: string;
  timestampAnnotation?: string;
  origin: string;
}

export function simpleSigningToSigstore(input: SimpleSigningInput): unknown {
  const verificationContent =
    input.certificatePem !== undefined
      ? { certificate: { rawBytes: certificateDer(input.certificatePem, input.origin) } }
      : { publicKey: { hint: '' } };
  const timestamp =
    input.timestampAnnotation === undefined ? undefined : timestampDer(input.timestampAnnotation, input.origin);
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      ...verificationContent,
      tlogEntries: [],
      timestampVerificationData: timestamp ? { rfc3161Timestamps: [{ signedTimestamp: timestamp }] } : undefined,
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(input.payload).digest('base64') },
      signature: input.signatureBase64,
    },
  };
}

/**
 * The payload is what binds the signature to the artifact: it must be a
 * cosign simple-signing document naming exactly the manifest being run.
 */
export function checkSimpleSigningPayload(payload: Buffer, manifestDigest: string | undefined, origin: string): void {
  if (manifestDigest === undefined) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${origin}: a cosign image signature needs the OCI manifest digest, and the component was not pulled from a registry`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new DriverError('SIGNATURE_INVALID', `${origin}: simple-signing payload is not JSON`, { cause: err });
  }
  const critical = isRecord(doc) ? doc['critical'] : undefined;
  const type = isRecord(critical) ? critical['type'] : undefined;
  const image = isRecord(critical) ? critical['image'] : undefined;
  const signed = isRecord(image) ? image['docker-manifest-digest'] : undefined;
  if (type !== SIMPLE_SIGNING_TYPE) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${origin}: payload type is ${JSON.stringify(type)}, not "${SIMPLE_SIGNING_TYPE}"`,
    );
  }
  if (signed !== manifestDigest) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${origin}: signature is for manifest ${String(signed)}, not ${manifestDigest}`,
    );
  }
}

function certificateDer(pem: string, origin: string): string {
  try {
    return new X509Certificate(pem).raw.toString('base64');
  } catch (err) {
    throw new DriverError('SIGNATURE_INVALID', `${origin}: signature certificate is not PEM`, { cause: err });
  }
}

/** The `dev.sigstore.cosign/rfc3161timestamp` annotation: {"SignedRFC3161Timestamp": base64 DER}; bare base64 accepted too. */
function timestampDer(annotation: string, origin: string): string {
  const trimmed = annotation.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch (err) {
    throw new DriverError('SIGNATURE_INVALID', `${origin}: timestamp annotation is not JSON`, { cause: err });
  }
  const value = isRecord(doc) ? doc['SignedRFC3161Timestamp'] : undefined;
  if (typeof value !== 'string') {
    throw new DriverError('SIGNATURE_INVALID', `${origin}: timestamp annotation has no SignedRFC3161Timestamp`);
  }
  return value;
}
