// cosign image signatures (simple signing) for a component pulled from an
// OCI registry: the signature covers a payload naming the manifest digest.
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDriverError } from '../../src/errors.js';
import type { SignaturePolicy } from '../../src/verify/policy.js';
import { verifyArtifact } from '../../src/verify/verify-artifact.js';
import { componentBytes, digestOf, makeKey, signBytes, simpleSigningPayload } from './support/key-signer.js';
import { PrivatePki } from './support/private-pki.js';
import { rejection } from '../support/rejection.js';

const enforce: SignaturePolicy = { mode: 'enforce', keys: [], identities: [] };

describe('cosign simple-signing payloads', () => {
  const key = makeKey();
  const component = componentBytes('oci');
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ digest: digestOf(component) }] }));
  // No component bytes: an image signature binds through the manifest digest alone.
  const artifact = { digest: digestOf(component), manifestDigest: digestOf(manifest) };
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('verifies a key signature over a payload naming the manifest digest', async () => {
    const payload = simpleSigningPayload(artifact.manifestDigest);
    const signer = await verifyArtifact(
      artifact,
      [
        {
          kind: 'cosign-simple-signing',
          payload,
          signatureBase64: signBytes(key.privateKey, payload).toString('base64'),
          origin: 'sha256-x.sig',
        },
      ],
      { ...enforce, keys: [key.publicPem] },
      { publicKeysPem: [key.publicPem] },
    );
    expect(signer).toEqual({ kind: 'key', keyFingerprint: key.fingerprintHex, origin: 'sha256-x.sig' });
  });

  it('rejects a payload naming another manifest digest as SIGNATURE_INVALID', async () => {
    const otherManifest = digestOf(Buffer.from('another manifest'));
    const payload = simpleSigningPayload(otherManifest);
    const err = await rejection(
      verifyArtifact(
        artifact,
        [
          {
            kind: 'cosign-simple-signing',
            payload,
            signatureBase64: signBytes(key.privateKey, payload).toString('base64'),
            origin: 'sig',
          },
        ],
        { ...enforce, keys: [key.publicPem] },
        { publicKeysPem: [key.publicPem] },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
    expect(err.message).toContain(`signature is for manifest ${otherManifest}, not ${artifact.manifestDigest}`);
  });

  it('rejects a payload edited after signing as SIGNATURE_INVALID', async () => {
    const signed = simpleSigningPayload(artifact.manifestDigest, 'registry.example/acme/app');
    const edited = simpleSigningPayload(artifact.manifestDigest, 'registry.example/evil/app');
    const err = await rejection(
      verifyArtifact(
        artifact,
        [
          {
            kind: 'cosign-simple-signing',
            payload: edited,
            signatureBase64: signBytes(key.privateKey, signed).toString('base64'),
            origin: 'sig',
          },
        ],
        { ...enforce, keys: [key.publicPem] },
        { publicKeysPem: [key.publicPem] },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
  });

  it('needs the manifest digest: a component not pulled from a registry cannot use an image signature', async () => {
    const payload = simpleSigningPayload(artifact.manifestDigest);
    const err = await rejection(
      verifyArtifact(
        { digest: artifact.digest, bytes: component },
        [
          {
            kind: 'cosign-simple-signing',
            payload,
            signatureBase64: signBytes(key.privateKey, payload).toString('base64'),
            origin: 'sig',
          },
        ],
        { ...enforce, keys: [key.publicPem] },
        { publicKeysPem: [key.publicPem] },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
  });

  it('verifies a certificate signature with the cosign timestamp annotation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-oci-'));
    dirs.push(dir);
    const pki = new PrivatePki(dir);
    const leaf = pki.issueLeaf({ san: 'email:ci@example.com', issuer: 'https://accounts.example.com' });
    const payload = simpleSigningPayload(artifact.manifestDigest);
    const signature = signBytes(createPrivateKey(leaf.keyPem), payload);
    const annotation = JSON.stringify({ SignedRFC3161Timestamp: pki.timestamp(signature).toString('base64') });
    const signer = await verifyArtifact(
      artifact,
      [
        {
          kind: 'cosign-simple-signing',
          payload,
          signatureBase64: signature.toString('base64'),
          certificatePem: leaf.certPem,
          chainPem: pki.intermediate.certPem + pki.root.certPem,
          timestampAnnotation: annotation,
          origin: 'sig',
        },
      ],
      { ...enforce, identities: [{ issuer: 'https://accounts.example.com', subject: 'ci@example.com' }] },
      { publicKeysPem: [], trustedRootJson: pki.trustedRoot() },
    );
    expect(signer).toMatchObject({
      kind: 'certificate',
      subject: 'ci@example.com',
      issuer: 'https://accounts.example.com',
    });
  });
});
