// Operator trust material: public keys for key-based signatures, and a
// Sigstore TrustedRoot (CAs, TSAs, optionally Rekor/CT logs) for certificate
// signatures. Loaded once per verification; anything unreadable is the
// operator's to fix, hence TRUST_ROOT_INVALID rather than a signature error.
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type KeyFinderFunc, type TrustMaterial } from '@sigstore/verify';
import { DriverError, describeError } from '../errors.js';
import { publicKeyFromPem } from './key-fingerprint.js';

export interface TrustConfig {
  /** PEM public keys (cosign-generated ECDSA P-256, or any SPKI PEM key) accepted for key-based signatures */
  publicKeysPem: readonly string[];
  /** Path or parsed JSON of a Sigstore TrustedRoot (protobuf JSON: certificateAuthorities, timestampAuthorities, tlogs, ctlogs) — private CA + TSA, or the public-good trusted_root.json shipped as a file */
  trustedRootJson?: unknown;
}

export interface LoadedTrust {
  keys: readonly KeyObject[];
  /** Trust material without a key finder; verify-artifact.ts sets one per key tried. */
  material: TrustMaterial;
}

const NO_KEYS: KeyFinderFunc = (hint) => {
  throw new DriverError('SIGNER_NOT_TRUSTED', `no public key is configured for key hint ${JSON.stringify(hint)}`);
};

export async function loadTrust(trust: TrustConfig): Promise<LoadedTrust> {
  const keys = trust.publicKeysPem.map((pem, i) => {
    try {
      return publicKeyFromPem(pem);
    } catch (err) {
      throw new DriverError('TRUST_ROOT_INVALID', `trusted public key #${i + 1} is not a PEM public key`, {
        cause: err,
      });
    }
  });
  const rootJson = await readRootJson(trust.trustedRootJson);
  try {
    const root = TrustedRoot.fromJSON(rootJson);
    // toTrustMaterial assumes every authority has a chain; say which does not.
    [...root.certificateAuthorities, ...root.timestampAuthorities].forEach((ca, i) => {
      if (!ca.certChain || ca.certChain.certificates.length === 0) {
        throw new DriverError(
          'TRUST_ROOT_INVALID',
          `trusted root authority #${i + 1} (${ca.uri || 'no uri'}) has no certChain`,
        );
      }
    });
    return { keys, material: toTrustMaterial(root, NO_KEYS) };
  } catch (err) {
    if (err instanceof DriverError) throw err;
    throw new DriverError('TRUST_ROOT_INVALID', `trusted root is malformed: ${describeError(err)}`, { cause: err });
  }
}

async function readRootJson(value: unknown): Promise<unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'string') {
    if (typeof value !== 'object' || value === null) {
      throw new DriverError('TRUST_ROOT_INVALID', 'trustedRootJson must be a file path or a parsed TrustedRoot object');
    }
    return value;
  }
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch (err) {
    throw new DriverError('TRUST_ROOT_INVALID', `cannot read trusted root ${value}`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DriverError('TRUST_ROOT_INVALID', `trusted root ${value} is not JSON`, { cause: err });
  }
}
