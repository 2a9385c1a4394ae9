// A stand-in for Rekor's signing key: makes hashedrekord v0.0.1 entries with
// a signed entry timestamp (SET), exactly what a v0.1 public-good bundle
// carries, so tlog handling is tested without the network.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { json } from '@sigstore/core';

export class TestRekor {
  private readonly privateKey: KeyObject;
  readonly spkiDer: Buffer;
  readonly logId: Buffer;
  private index = 0;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.spkiDer = publicKey.export({ type: 'spki', format: 'der' });
    this.logId = createHash('sha256').update(this.spkiDer).digest();
  }

  /** TrustedRoot `tlogs[]` entry for this log. */
  tlogInstance(): Record<string, unknown> {
    return {
      baseUrl: 'https://rekor.test.invalid',
      hashAlgorithm: 'SHA2_256',
      publicKey: {
        rawBytes: this.spkiDer.toString('base64'),
        keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        validFor: { start: '2020-01-01T00:00:00Z' },
      },
      logId: { keyId: this.logId.toString('base64') },
    };
  }

  /** A bundle tlogEntries[] item for a message signature, with an inclusion promise signed by `signer` (default: this log). */
  entry(
    artifact: Uint8Array,
    signature: Buffer,
    certificatePem: string,
    opts: { integratedTime?: number; signer?: KeyObject } = {},
  ): Record<string, unknown> {
    const body = json.canonicalize({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(artifact).digest('hex') } },
        signature: {
          content: signature.toString('base64'),
          publicKey: { content: Buffer.from(certificatePem).toString('base64') },
        },
      },
    });
    const integratedTime = opts.integratedTime ?? Math.floor(Date.now() / 1000);
    const logIndex = ++this.index;
    const set = sign(
      'sha256',
      Buffer.from(
        json.canonicalize({
          body: Buffer.from(body).toString('base64'),
          integratedTime,
          logIndex,
          logID: this.logId.toString('hex'),
        }),
      ),
      opts.signer ?? this.privateKey,
    );
    return {
      logIndex: String(logIndex),
      logId: { keyId: this.logId.toString('base64') },
      kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
      integratedTime: String(integratedTime),
      inclusionPromise: { signedEntryTimestamp: set.toString('base64') },
      canonicalizedBody: Buffer.from(body).toString('base64'),
    };
  }
}
