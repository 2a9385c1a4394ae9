// v0.1 bundles as the public-good instance writes them: no TSA timestamp, a
// Rekor entry with a signed entry timestamp instead. Offline, the entry
// counts only when the trusted root lists the log's key.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDriverError } from '../../src/errors.js';
import { verifyArtifact } from '../../src/verify/verify-artifact.js';
import { componentBytes, digestOf, sha256, signBytes } from './support/key-signer.js';
import { PrivatePki, type Leaf } from './support/private-pki.js';
import { rejection } from '../support/rejection.js';
import { TestRekor } from './support/test-rekor.js';

describe('transparency-log entries (v0.1 bundles)', () => {
  let dir: string;
  let pki: PrivatePki;
  let leaf: Leaf;
  const rekor = new TestRekor();
  const component = componentBytes('tlog');
  const artifact = { digest: digestOf(component), bytes: component };
  const policy = {
    mode: 'enforce' as const,
    keys: [],
    identities: [{ issuer: 'https://accounts.example.com', subject: 'bob@example.com' }],
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-tlog-'));
    pki = new PrivatePki(dir);
    leaf = pki.issueLeaf({ san: 'email:bob@example.com', issuer: 'https://accounts.example.com' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function v01Bundle(entry: Record<string, unknown>, signature: Buffer): Buffer {
    return Buffer.from(
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
        verificationMaterial: {
          x509CertificateChain: { certificates: [{ rawBytes: leaf.certDer.toString('base64') }] },
          tlogEntries: [entry],
        },
        messageSignature: {
          messageDigest: { algorithm: 'SHA2_256', digest: sha256(component).toString('base64') },
          signature: signature.toString('base64'),
        },
      }),
    );
  }

  const rootWith = (tlogs: boolean) => ({ ...pki.trustedRoot(), tlogs: tlogs ? [rekor.tlogInstance()] : [] });

  it('uses the integrated time of an entry whose SET verifies against a trusted log key', async () => {
    const signature = signBytes(createPrivateKey(leaf.keyPem), component);
    // Not earlier than now: the test CA certificates were only just issued.
    const integratedTime = Math.floor(Date.now() / 1000);
    const bundleJson = v01Bundle(rekor.entry(component, signature, leaf.certPem, { integratedTime }), signature);
    const signer = await verifyArtifact(artifact, [{ kind: 'sigstore-bundle', bundleJson, origin: 'v01' }], policy, {
      publicKeysPem: [],
      trustedRootJson: rootWith(true),
    });
    expect(signer).toEqual({
      kind: 'certificate',
      issuer: 'https://accounts.example.com',
      subject: 'bob@example.com',
      origin: 'v01',
      timestamp: new Date(integratedTime * 1000).toISOString(),
    });
  });

  it('ignores the entry when the trusted root lists no log: no trusted time, CERTIFICATE_EXPIRED', async () => {
    const signature = signBytes(createPrivateKey(leaf.keyPem), component);
    const bundleJson = v01Bundle(rekor.entry(component, signature, leaf.certPem), signature);
    const err = await rejection(
      verifyArtifact(artifact, [{ kind: 'sigstore-bundle', bundleJson, origin: 'v01' }], policy, {
        publicKeysPem: [],
        trustedRootJson: rootWith(false),
      }),
    );
    expect(isDriverError(err, 'CERTIFICATE_EXPIRED')).toBe(true);
  });

  it('rejects an entry whose SET was not signed by the trusted log as SIGNATURE_INVALID', async () => {
    const signature = signBytes(createPrivateKey(leaf.keyPem), component);
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const bundleJson = v01Bundle(rekor.entry(component, signature, leaf.certPem, { signer: forger }), signature);
    const err = await rejection(
      verifyArtifact(artifact, [{ kind: 'sigstore-bundle', bundleJson, origin: 'v01' }], policy, {
        publicKeysPem: [],
        trustedRootJson: rootWith(true),
      }),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
    expect(err.message).toContain('inclusion promise could not be verified');
  });
});
