// Real ECDSA P-256 keys and signatures, made at test time with node:crypto,
// in the byte formats cosign and sigstore-js write.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { dsse } from '@sigstore/core';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  /** sha256 of the SPKI DER, hex (what VerifiedSigner.keyFingerprint reports). */
  fingerprintHex: string;
  /** cosign's hint: base64(sha256(SPKI DER)). */
  hint: string;
}

export function makeKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(der).digest();
  return {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprintHex: digest.toString('hex'),
    hint: digest.toString('base64'),
  };
}

/** ASN.1 DER ECDSA signature over SHA-256 of the data (cosign sign-blob's format). */
export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign('sha256', data, privateKey);
}

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function digestOf(data: Uint8Array): string {
  return `sha256:${sha256(data).toString('hex')}`;
}

/** Bytes that look like a component (preamble of a component binary) and differ per call. */
export function componentBytes(label: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]),
    Buffer.from(`component ${label} ${Math.random()}`),
  ]);
}

export interface VerificationContent {
  /** publicKey hint, or a DER certificate */
  hint?: string;
  certificateDer?: Buffer;
  /** DER TimeStampResp tokens */
  timestamps?: readonly Buffer[];
}

function verificationMaterial(content: VerificationContent): Record<string, unknown> {
  return {
    ...(content.certificateDer
      ? { certificate: { rawBytes: content.certificateDer.toString('base64') } }
      : { publicKey: { hint: content.hint ?? '' } }),
    tlogEntries: [],
    ...(content.timestamps && content.timestamps.length > 0
      ? {
          timestampVerificationData: {
            rfc3161Timestamps: content.timestamps.map((t) => ({ signedTimestamp: t.toString('base64') })),
          },
        }
      : {}),
  };
}

/** A v0.3 bundle with a messageSignature over `artifact` (cosign --new-bundle-format layout). */
export function messageSignatureBundle(artifact: Uint8Array, signature: Buffer, content: VerificationContent): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: verificationMaterial(content),
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: sha256(artifact).toString('base64') },
        signature: signature.toString('base64'),
      },
    }),
  );
}

/** An in-toto v1 statement naming the given sha256 digests as subjects. */
export function inTotoStatement(subjectSha256Hex: readonly string[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: subjectSha256Hex.map((hex, i) => ({ name: `component-${i}.wasm`, digest: { sha256: hex } })),
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {},
    }),
  );
}

/** A v0.3 DSSE bundle: the signature covers the DSSE pre-authentication encoding of the statement. */
export function dsseBundle(
  statement: Buffer,
  privateKey: KeyObject,
  content: VerificationContent,
  payloadType = 'application/vnd.in-toto+json',
): Buffer {
  const sig = sign('sha256', dsse.preAuthEncoding(payloadType, statement), privateKey);
  return Buffer.from(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: verificationMaterial(content),
      dsseEnvelope: {
        payload: statement.toString('base64'),
        payloadType,
        signatures: [{ sig: sig.toString('base64'), keyid: '' }],
      },
    }),
  );
}

/** `cosign sign-blob --bundle` (old format): base64Signature, cert as base64(PEM), optional rekorBundle. */
export function legacyCosignBundle(
  signature: Buffer,
  opts: { certificatePem?: string; rekorPublicKeyPem?: string } = {},
): Buffer {
  const doc: Record<string, unknown> = { base64Signature: signature.toString('base64') };
  if (opts.certificatePem) doc['cert'] = Buffer.from(opts.certificatePem).toString('base64');
  if (opts.rekorPublicKeyPem) {
    // The shape of cosign's RekorBundle; only the body's key is used offline.
    const body = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: '00' } },
        signature: {
          content: signature.toString('base64'),
          publicKey: { content: Buffer.from(opts.rekorPublicKeyPem).toString('base64') },
        },
      },
    };
    doc['rekorBundle'] = {
      SignedEntryTimestamp: Buffer.from('not checked offline').toString('base64'),
      Payload: {
        body: Buffer.from(JSON.stringify(body)).toString('base64'),
        integratedTime: 1700000000,
        logIndex: 1,
        logID: '00',
      },
    };
  }
  return Buffer.from(JSON.stringify(doc));
}

/** cosign's simple-signing payload for an OCI manifest digest. */
export function simpleSigningPayload(manifestDigest: string, reference = 'registry.example/acme/app'): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': reference },
        image: { 'docker-manifest-digest': manifestDigest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}
