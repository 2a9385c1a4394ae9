// The forms signatures arrive in, all converted to one Sigstore bundle
// before verification, so the cryptographic checks exist once.
import { assertBundle, bundleFromJSON, ValidationError, type Bundle } from '@sigstore/bundle';
import { DriverError, describeError } from '../errors.js';
import { legacyBundleToSigstore } from './cosign-legacy-bundle.js';
import { simpleSigningToSigstore } from './cosign-simple-signing.js';

export type SignatureInput =
  /** v0.1/v0.2/v0.3 bundle: messageSignature over the artifact, or DSSE (in-toto statement whose subject digest equals the artifact sha256) */
  | { kind: 'sigstore-bundle'; bundleJson: Buffer; origin: string }
  /**
   * `cosign sign-blob --bundle` old format: {base64Signature, cert, rekorBundle?}.
   * rfc3161Timestamp: the DER TimeStampResp cosign writes with --rfc3161-timestamp (optional).
   */
  | { kind: 'cosign-legacy-bundle'; json: Buffer; origin: string; rfc3161Timestamp?: Buffer }
  /**
   * cosign OCI `.sig` layer: payload JSON {critical:{image:{docker-manifest-digest}}, type:"cosign container image signature"};
   * signature over payload bytes. Valid only when docker-manifest-digest equals the OCI manifest digest being run.
   * chainPem is accepted but unused: intermediates must be in the trusted root.
   */
  | {
      kind: 'cosign-simple-signing';
      payload: Buffer;
      signatureBase64: string;
      certificatePem?: string;
      chainPem?: string;
      timestampAnnotation?: string;
      origin: string;
    };

export interface PreparedSignature {
  origin: string;
  bundle: Bundle;
  /** What the bundle's signature covers, and so what binds it to the artifact. */
  signs: { kind: 'component' } | { kind: 'manifest-payload'; payload: Buffer };
}

export function toSigstoreBundle(input: SignatureInput, artifactSha256Hex: string): PreparedSignature {
  switch (input.kind) {
    case 'sigstore-bundle':
      return {
        origin: input.origin,
        bundle: parseBundle(parseJson(input.bundleJson, input.origin), input.origin),
        signs: { kind: 'component' },
      };
    case 'cosign-legacy-bundle': {
      const json = legacyBundleToSigstore({
        json: input.json,
        origin: input.origin,
        artifactSha256Hex,
        ...(input.rfc3161Timestamp ? { rfc3161Timestamp: input.rfc3161Timestamp } : {}),
      });
      return { origin: input.origin, bundle: parseBundle(json, input.origin), signs: { kind: 'component' } };
    }
    case 'cosign-simple-signing':
      return {
        origin: input.origin,
        bundle: parseBundle(simpleSigningToSigstore(input), input.origin),
        signs: { kind: 'manifest-payload', payload: input.payload },
      };
  }
}

function parseJson(json: Buffer, origin: string): unknown {
  try {
    return JSON.parse(json.toString('utf8')) as unknown;
  } catch (err) {
    throw new DriverError('SIGNATURE_INVALID', `${origin}: bundle is not JSON`, { cause: err });
  }
}

function parseBundle(json: unknown, origin: string): Bundle {
  try {
    const bundle = bundleFromJSON(json);
    assertBundle(bundle);
    return bundle;
  } catch (err) {
    const detail = err instanceof ValidationError ? `${err.message} (${err.fields.join(', ')})` : describeError(err);
    throw new DriverError('SIGNATURE_INVALID', `${origin}: not a valid Sigstore bundle: ${detail}`, { cause: err });
  }
}
