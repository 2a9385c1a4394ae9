// Certificate (keyless-style) signatures against a private CA and TSA made
// with openssl at test time: identity policy, validity at the TSA time,
// untrusted CAs.
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDriverError } from '../../src/errors.js';
import type { SignaturePolicy } from '../../src/verify/policy.js';
import { verifyArtifact, type VerifiedSigner } from '../../src/verify/verify-artifact.js';
import {
  componentBytes,
  digestOf,
  legacyCosignBundle,
  messageSignatureBundle,
  signBytes,
} from './support/key-signer.js';
import { opensslTime, PrivatePki, type Leaf } from './support/private-pki.js';
import { rejection } from '../support/rejection.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const SUBJECT = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const policy = (identities: SignaturePolicy['identities']): SignaturePolicy => ({
  mode: 'enforce',
  keys: [],
  identities,
});

describe('certificate signatures with a private CA and TSA', () => {
  let dir: string;
  let pki: PrivatePki;
  let stranger: PrivatePki;
  let leaf: Leaf;
  const component = componentBytes('cert');
  const artifact = { digest: digestOf(component), bytes: component };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-pki-'));
    pki = new PrivatePki(join(dir, 'trusted'), 'Trusted');
    stranger = new PrivatePki(join(dir, 'stranger'), 'Stranger');
    leaf = pki.issueLeaf({ san: `URI:${SUBJECT}`, issuer: ISSUER });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Signs the component with the leaf key and timestamps the signature with the given PKI's TSA. */
  function signedBundle(signer: Leaf, tsa: PrivatePki | null = pki): Buffer {
    const signature = signBytes(createPrivateKey(signer.keyPem), component);
    const timestamps = tsa ? [tsa.timestamp(signature)] : [];
    return messageSignatureBundle(component, signature, { certificateDer: signer.certDer, timestamps });
  }

  async function verify(
    bundleJson: Buffer,
    identities: SignaturePolicy['identities'],
    root = pki.trustedRoot(),
  ): Promise<VerifiedSigner> {
    return verifyArtifact(
      artifact,
      [{ kind: 'sigstore-bundle', bundleJson, origin: 'app.wasm.sigstore.json' }],
      policy(identities),
      {
        publicKeysPem: [],
        trustedRootJson: root,
      },
    );
  }

  it('verifies and reports issuer, subject and the TSA time', async () => {
    const before = Date.now();
    const signer = await verify(signedBundle(leaf), [{ issuer: ISSUER, subject: 'https://github.com/acme/*' }]);
    expect(signer).toMatchObject({
      kind: 'certificate',
      issuer: ISSUER,
      subject: SUBJECT,
      origin: 'app.wasm.sigstore.json',
    });
    const time = Date.parse(signer.kind === 'certificate' ? signer.timestamp : '');
    // The TSA stamps with whole seconds and accuracy 1s.
    expect(time).toBeGreaterThanOrEqual(before - 2000);
    expect(time).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('reads the trusted root from a file path too, and an email SAN with the v1 issuer extension', async () => {
    const { writeFileSync } = await import('node:fs');
    const path = join(dir, 'trusted_root.json');
    writeFileSync(path, JSON.stringify(pki.trustedRoot()));
    const emailLeaf = pki.issueLeaf({
      san: 'email:alice@example.com',
      issuer: 'https://accounts.example.com',
      issuerExtension: 'v1',
    });
    const signer = await verifyArtifact(
      artifact,
      [{ kind: 'sigstore-bundle', bundleJson: signedBundle(emailLeaf), origin: 'b' }],
      policy([{ issuer: 'https://accounts.example.com', subject: '*@example.com' }]),
      { publicKeysPem: [], trustedRootJson: path },
    );
    expect(signer).toMatchObject({
      kind: 'certificate',
      issuer: 'https://accounts.example.com',
      subject: 'alice@example.com',
    });
  });

  it('accepts no certificate when the policy lists no identities, even one chaining to the trusted root', async () => {
    const err = await rejection(verify(signedBundle(leaf), []));
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
    expect(err.message).toContain(
      `signed by ${SUBJECT} from issuer ${ISSUER}; the policy expects no certificate identities`,
    );
  });

  it('subject pattern mismatch is SIGNER_NOT_TRUSTED naming the signer and the policy', async () => {
    const err = await rejection(
      verify(signedBundle(leaf), [{ issuer: ISSUER, subject: 'https://github.com/other-org/*' }]),
    );
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
    expect(err.message).toContain(`signed by ${SUBJECT} from issuer ${ISSUER}`);
    expect(err.message).toContain(`expects https://github.com/other-org/* from ${ISSUER}`);
  });

  it('issuer mismatch is SIGNER_NOT_TRUSTED too', async () => {
    const err = await rejection(verify(signedBundle(leaf), [{ issuer: 'https://accounts.google.com', subject: '*' }]));
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
    expect(err.message).toContain('https://accounts.google.com');
  });

  it('a leaf that expired before the TSA time is CERTIFICATE_EXPIRED', async () => {
    const expired = pki.issueLeaf({
      san: `URI:${SUBJECT}`,
      issuer: ISSUER,
      startDate: opensslTime(-7200),
      endDate: opensslTime(-3600),
    });
    const err = await rejection(verify(signedBundle(expired), []));
    expect(isDriverError(err, 'CERTIFICATE_EXPIRED')).toBe(true);
    expect(err.message).toContain('not valid or expired');
  });

  it('a leaf not yet valid at the TSA time is CERTIFICATE_EXPIRED', async () => {
    const future = pki.issueLeaf({
      san: `URI:${SUBJECT}`,
      issuer: ISSUER,
      startDate: opensslTime(3600),
      endDate: opensslTime(7200),
    });
    const err = await rejection(verify(signedBundle(future), []));
    expect(isDriverError(err, 'CERTIFICATE_EXPIRED')).toBe(true);
  });

  it('a CA whose validFor window ended before the TSA time is CERTIFICATE_EXPIRED', async () => {
    const root = pki.trustedRoot({ caValidFor: { start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' } });
    const err = await rejection(verify(signedBundle(leaf), [], root));
    expect(isDriverError(err, 'CERTIFICATE_EXPIRED')).toBe(true);
    expect(err.message).toContain('no trusted certificate authority was valid at the signing time');
  });

  it('no timestamp at all is CERTIFICATE_EXPIRED (nothing proves when it was signed)', async () => {
    const err = await rejection(verify(signedBundle(leaf, null), []));
    expect(isDriverError(err, 'CERTIFICATE_EXPIRED')).toBe(true);
    expect(err.message).toContain('no RFC 3161 timestamp');
  });

  it('a timestamp from an untrusted TSA is CERTIFICATE_EXPIRED (no trusted time)', async () => {
    const err = await rejection(verify(signedBundle(leaf, stranger), []));
    expect(isDriverError(err, 'CERTIFICATE_EXPIRED')).toBe(true);
    expect(err.message).toContain('no trusted timestamp');
  });

  it('a valid signature whose certificate comes from an untrusted CA is SIGNER_NOT_TRUSTED', async () => {
    const foreign = stranger.issueLeaf({ san: `URI:${SUBJECT}`, issuer: ISSUER });
    const err = await rejection(verify(signedBundle(foreign), [{ issuer: ISSUER, subject: SUBJECT }]));
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
    expect(err.message).toContain('does not chain to a trusted CA');
    expect(err.message).toContain(SUBJECT);
  });

  it('a tampered component under a certificate is SIGNATURE_INVALID, whatever the CA', async () => {
    const signature = signBytes(createPrivateKey(leaf.keyPem), component);
    const tampered = Buffer.concat([component, Buffer.from('x')]);
    const bundleJson = messageSignatureBundle(tampered, signature, {
      certificateDer: leaf.certDer,
      timestamps: [pki.timestamp(signature)],
    });
    const err = await rejection(
      verifyArtifact(
        { digest: digestOf(tampered), bytes: tampered },
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'b' }],
        policy([]),
        {
          publicKeysPem: [],
          trustedRootJson: pki.trustedRoot(),
        },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
  });

  it('a certificate signature with no CA configured is SIGNER_NOT_TRUSTED', async () => {
    const err = await rejection(
      verifyArtifact(artifact, [{ kind: 'sigstore-bundle', bundleJson: signedBundle(leaf), origin: 'b' }], policy([]), {
        publicKeysPem: [],
      }),
    );
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
    expect(err.message).toContain('no certificate authority is trusted');
  });

  it('converts a legacy cosign bundle with a certificate, timestamp supplied alongside', async () => {
    const signature = signBytes(createPrivateKey(leaf.keyPem), component);
    const json = legacyCosignBundle(signature, { certificatePem: leaf.certPem });
    const signer = await verifyArtifact(
      artifact,
      [{ kind: 'cosign-legacy-bundle', json, origin: 'app.wasm.bundle', rfc3161Timestamp: pki.timestamp(signature) }],
      policy([{ issuer: ISSUER, subject: SUBJECT }]),
      { publicKeysPem: [], trustedRootJson: pki.trustedRoot() },
    );
    expect(signer).toMatchObject({ kind: 'certificate', issuer: ISSUER, subject: SUBJECT });
  });
});
