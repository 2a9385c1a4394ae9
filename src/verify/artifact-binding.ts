// A valid signature proves nothing until it is tied to the artifact being
// run. Each form binds differently: a message signature covers the component
// bytes, a DSSE statement names the component digest, a cosign image
// signature names the OCI manifest digest.
import { createHash } from 'node:crypto';
import { DriverError } from '../errors.js';
import { checkSimpleSigningPayload } from './cosign-simple-signing.js';
import { checkStatementSubject, parseStatement } from './dsse-statement.js';
import type { PreparedSignature } from './signature-sources.js';

export interface ArtifactIdentity {
  /** sha256:… of the component bytes */
  digest: string;
  /** sha256:… of the OCI manifest, when pulled from a registry */
  manifestDigest?: string;
  bytes?: Uint8Array;
}

/** The hex of a `sha256:<64 hex>` digest. */
export function sha256Hex(digest: string): string {
  const match = /^sha256:([0-9a-fA-F]{64})$/.exec(digest);
  if (!match?.[1]) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `artifact digest ${JSON.stringify(digest)} is not sha256:<64 hex digits>`,
    );
  }
  return match[1].toLowerCase();
}

/**
 * Checks the binding and returns the bytes a message signature must verify
 * over (undefined for DSSE, whose signature covers its own payload).
 */
export function bindToArtifact(prepared: PreparedSignature, artifact: ArtifactIdentity): Buffer | undefined {
  const hex = sha256Hex(artifact.digest);
  const { bundle, origin } = prepared;
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    const statement = parseStatement(env.payloadType, env.payload, origin, 'SIGNATURE_INVALID');
    // cosign signs and attests an OCI artifact by its manifest digest, which names the layer.
    const accepted = artifact.manifestDigest === undefined ? [hex] : [hex, sha256Hex(artifact.manifestDigest)];
    checkStatementSubject(statement, accepted, origin, 'SIGNATURE_INVALID');
    return undefined;
  }
  if (prepared.signs.kind === 'manifest-payload') {
    checkSimpleSigningPayload(prepared.signs.payload, artifact.manifestDigest, origin);
    return prepared.signs.payload;
  }
  const signedDigest = bundle.content.messageSignature.messageDigest?.digest;
  if (signedDigest && signedDigest.length > 0 && signedDigest.toString('hex') !== hex) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${origin}: bundle signs sha256:${signedDigest.toString('hex')}, the component is sha256:${hex}`,
    );
  }
  // @sigstore/verify (like node:crypto for ECDSA) verifies over the message
  // itself, never over a precomputed digest, so the bytes are required.
  if (artifact.bytes === undefined) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${origin}: a message signature can only be checked against the component bytes, which were not given`,
    );
  }
  const bytes = Buffer.from(artifact.bytes.buffer, artifact.bytes.byteOffset, artifact.bytes.byteLength);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== hex) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `component bytes hash to sha256:${actual}, not the expected ${artifact.digest}`,
    );
  }
  return bytes;
}
