// DSSE bundles: an in-toto statement names the component digest; the
// envelope signature covers the statement (key-based, and with a certificate).
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDriverError } from '../../src/errors.js';
import type { SignaturePolicy } from '../../src/verify/policy.js';
import { verifyArtifact } from '../../src/verify/verify-artifact.js';
import { componentBytes, digestOf, dsseBundle, inTotoStatement, makeKey, sha256 } from './support/key-signer.js';
import { PrivatePki } from './support/private-pki.js';
import { rejection } from '../support/rejection.js';

const enforce: SignaturePolicy = { mode: 'enforce', keys: [], identities: [] };

describe('DSSE in-toto bundles', () => {
  const key = makeKey();
  const component = componentBytes('dsse');
  const hex = sha256(component).toString('hex');
  // A digest is enough: the statement, not the bytes, is what is signed.
  const artifact = { digest: digestOf(component) };
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('verifies a key-signed statement whose subject is the component', async () => {
    const bundleJson = dsseBundle(inTotoStatement(['00'.repeat(32), hex]), key.privateKey, { hint: key.hint });
    const signer = await verifyArtifact(
      artifact,
      [{ kind: 'sigstore-bundle', bundleJson, origin: 'att' }],
      { ...enforce, keys: [key.publicPem] },
      { publicKeysPem: [key.publicPem] },
    );
    expect(signer).toEqual({ kind: 'key', keyFingerprint: key.fingerprintHex, origin: 'att' });
  });

  it('rejects a statement about another artifact as SIGNATURE_INVALID', async () => {
    const bundleJson = dsseBundle(inTotoStatement(['ab'.repeat(32)]), key.privateKey, { hint: key.hint });
    const err = await rejection(
      verifyArtifact(
        artifact,
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'att' }],
        { ...enforce, keys: [key.publicPem] },
        { publicKeysPem: [key.publicPem] },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
    expect(err.message).toContain(`do not include sha256:${hex}`);
  });

  it('rejects a statement swapped after signing as SIGNATURE_INVALID', async () => {
    const signed = JSON.parse(
      dsseBundle(inTotoStatement(['ab'.repeat(32)]), key.privateKey, { hint: key.hint }).toString(),
    ) as {
      dsseEnvelope: { payload: string };
    };
    signed.dsseEnvelope.payload = inTotoStatement([hex]).toString('base64');
    const err = await rejection(
      verifyArtifact(
        artifact,
        [{ kind: 'sigstore-bundle', bundleJson: Buffer.from(JSON.stringify(signed)), origin: 'att' }],
        { ...enforce, keys: [key.publicPem] },
        {
          publicKeysPem: [key.publicPem],
        },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
  });

  it('rejects a payload type other than in-toto', async () => {
    const bundleJson = dsseBundle(inTotoStatement([hex]), key.privateKey, { hint: key.hint }, 'text/plain');
    const err = await rejection(
      verifyArtifact(
        artifact,
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'att' }],
        { ...enforce, keys: [key.publicPem] },
        { publicKeysPem: [key.publicPem] },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
  });

  it('verifies a certificate-signed, timestamped statement', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-dsse-'));
    dirs.push(dir);
    const pki = new PrivatePki(dir);
    const leaf = pki.issueLeaf({ san: 'email:release@example.com', issuer: 'https://accounts.example.com' });
    const statement = inTotoStatement([hex]);
    // Timestamp the envelope signature: build once to learn it, then again with the token.
    const unsigned = JSON.parse(
      dsseBundle(statement, createPrivateKey(leaf.keyPem), { certificateDer: leaf.certDer }).toString(),
    ) as {
      dsseEnvelope: { signatures: { sig: string }[] };
      verificationMaterial: Record<string, unknown>;
    };
    const sig = Buffer.from(unsigned.dsseEnvelope.signatures[0]?.sig ?? '', 'base64');
    unsigned.verificationMaterial['timestampVerificationData'] = {
      rfc3161Timestamps: [{ signedTimestamp: pki.timestamp(sig).toString('base64') }],
    };
    const signer = await verifyArtifact(
      artifact,
      [{ kind: 'sigstore-bundle', bundleJson: Buffer.from(JSON.stringify(unsigned)), origin: 'att' }],
      { ...enforce, identities: [{ issuer: 'https://accounts.example.com', subject: '*@example.com' }] },
      { publicKeysPem: [], trustedRootJson: pki.trustedRoot() },
    );
    expect(signer).toMatchObject({ kind: 'certificate', subject: 'release@example.com' });
  });
});
