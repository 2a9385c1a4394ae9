// Key-based signatures: real ECDSA P-256 signatures over component bytes, in
// a v0.3 bundle and in cosign's legacy --bundle JSON.
import { describe, expect, it } from 'vitest';
import { isDriverError } from '../../src/errors.js';
import type { SignaturePolicy } from '../../src/verify/policy.js';
import { verifyArtifact } from '../../src/verify/verify-artifact.js';
import {
  componentBytes,
  digestOf,
  legacyCosignBundle,
  makeKey,
  messageSignatureBundle,
  signBytes,
} from './support/key-signer.js';
import { rejection } from '../support/rejection.js';

const enforce: SignaturePolicy = { mode: 'enforce', keys: [], identities: [] };

describe('key-based signatures', () => {
  const key = makeKey();
  const other = makeKey();
  const component = componentBytes('key');
  const artifact = { digest: digestOf(component), bytes: component };
  const signature = signBytes(key.privateKey, component);

  it('verifies a v0.3 messageSignature bundle and reports the key fingerprint', async () => {
    const bundleJson = messageSignatureBundle(component, signature, { hint: key.hint });
    const signer = await verifyArtifact(
      artifact,
      [{ kind: 'sigstore-bundle', bundleJson, origin: 'app.wasm.sigstore.json' }],
      { ...enforce, keys: [key.publicPem] },
      {
        publicKeysPem: [key.publicPem],
      },
    );
    expect(signer).toEqual({ kind: 'key', keyFingerprint: key.fingerprintHex, origin: 'app.wasm.sigstore.json' });
  });

  it('verifies with a key named only by the policy, tried whatever the hint says', async () => {
    const bundleJson = messageSignatureBundle(component, signature, { hint: 'some-label' });
    const signer = await verifyArtifact(
      artifact,
      [{ kind: 'sigstore-bundle', bundleJson, origin: 'b' }],
      { ...enforce, keys: [key.publicPem] },
      { publicKeysPem: [] },
    );
    expect(signer.kind === 'key' && signer.keyFingerprint).toBe(key.fingerprintHex);
  });

  it('converts and verifies a legacy cosign --bundle without a certificate', async () => {
    const json = legacyCosignBundle(signature);
    const signer = await verifyArtifact(
      artifact,
      [{ kind: 'cosign-legacy-bundle', json, origin: 'app.wasm.bundle' }],
      { ...enforce, keys: [other.publicPem, key.publicPem] },
      {
        publicKeysPem: [other.publicPem, key.publicPem],
      },
    );
    expect(signer).toEqual({ kind: 'key', keyFingerprint: key.fingerprintHex, origin: 'app.wasm.bundle' });
  });

  it('takes the key hint of a legacy bundle from its rekorBundle body: another key is SIGNER_NOT_TRUSTED', async () => {
    const json = legacyCosignBundle(signBytes(other.privateKey, component), { rekorPublicKeyPem: other.publicPem });
    const err = await rejection(
      verifyArtifact(
        artifact,
        [{ kind: 'cosign-legacy-bundle', json, origin: 'legacy' }],
        { ...enforce, keys: [key.publicPem] },
        { publicKeysPem: [key.publicPem] },
      ),
    );
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
    expect(err.message).toContain(`signed by key ${other.fingerprintHex}`);
    expect(err.message).toContain(`accepted keys ${key.fingerprintHex}`);
  });

  it('rejects a tampered component as SIGNATURE_INVALID', async () => {
    const tampered = Buffer.from(component);
    tampered.writeUInt8(tampered.readUInt8(8) ^ 0xff, 8);
    // The bundle names the original digest: caught by the digest binding.
    const bundleJson = messageSignatureBundle(component, signature, { hint: key.hint });
    const err = await rejection(
      verifyArtifact(
        { digest: digestOf(tampered), bytes: tampered },
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'b' }],
        { ...enforce, keys: [key.publicPem] },
        {
          publicKeysPem: [key.publicPem],
        },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
    expect(err.message).toContain(`bundle signs ${digestOf(component)}`);
  });

  it('rejects a bundle whose digest was rewritten to match a tampered component as SIGNATURE_INVALID', async () => {
    const tampered = Buffer.concat([component, Buffer.from('!')]);
    // Digest field forged to the tampered bytes: only the signature check can catch it.
    const bundleJson = messageSignatureBundle(tampered, signature, { hint: key.hint });
    const err = await rejection(
      verifyArtifact(
        { digest: digestOf(tampered), bytes: tampered },
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'b' }],
        { ...enforce, keys: [key.publicPem] },
        {
          publicKeysPem: [key.publicPem],
        },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
    expect(err.message).toContain(`does not verify with key ${key.fingerprintHex}`);
  });

  it('rejects bytes that do not hash to the stated digest', async () => {
    const bundleJson = messageSignatureBundle(component, signature, { hint: key.hint });
    const err = await rejection(
      verifyArtifact(
        { digest: artifact.digest, bytes: Buffer.from('other') },
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'b' }],
        { ...enforce, keys: [key.publicPem] },
        {
          publicKeysPem: [key.publicPem],
        },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
  });

  it('rejects a signature by another key as SIGNER_NOT_TRUSTED, naming both keys', async () => {
    const bundleJson = messageSignatureBundle(component, signBytes(other.privateKey, component), { hint: other.hint });
    const err = await rejection(
      verifyArtifact(
        artifact,
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'b' }],
        { ...enforce, keys: [key.publicPem] },
        { publicKeysPem: [key.publicPem] },
      ),
    );
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
    expect(err.message).toContain(`signed by key ${other.hint}`);
    expect(err.message).toContain(`accepted keys ${key.fingerprintHex}`);
  });

  it('accepts only the policy keys when the policy lists some, even if the operator trusts more', async () => {
    const bundleJson = messageSignatureBundle(component, signature, { hint: key.hint });
    const err = await rejection(
      verifyArtifact(
        artifact,
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'b' }],
        { ...enforce, keys: [other.publicPem] },
        {
          publicKeysPem: [key.publicPem, other.publicPem],
        },
      ),
    );
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
  });

  it('an unnamed signature that no accepted key verifies is SIGNATURE_INVALID (cannot tell tampering from another key)', async () => {
    const json = legacyCosignBundle(signBytes(other.privateKey, component));
    const err = await rejection(
      verifyArtifact(
        artifact,
        [{ kind: 'cosign-legacy-bundle', json, origin: 'legacy' }],
        { ...enforce, keys: [key.publicPem] },
        { publicKeysPem: [key.publicPem] },
      ),
    );
    expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
    expect(err.message).toContain('the bundle names no key');
  });

  it('lists every origin when several signatures fail, with the most telling code', async () => {
    const bad = messageSignatureBundle(component, signBytes(other.privateKey, component), { hint: other.hint });
    const err = await rejection(
      verifyArtifact(
        artifact,
        [
          { kind: 'sigstore-bundle', bundleJson: Buffer.from('{not json'), origin: 'first.json' },
          { kind: 'sigstore-bundle', bundleJson: bad, origin: 'second.json' },
        ],
        { ...enforce, keys: [key.publicPem] },
        { publicKeysPem: [key.publicPem] },
      ),
    );
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
    expect(err.message).toMatch(
      /2 tried.*\[SIGNATURE_INVALID\] first\.json: bundle is not JSON.*\[SIGNER_NOT_TRUSTED\] second\.json/,
    );
    expect(err.cause).toBeInstanceOf(AggregateError);
  });

  it('returns the first signature that verifies, skipping broken ones', async () => {
    const good = messageSignatureBundle(component, signature, { hint: key.hint });
    const signer = await verifyArtifact(
      artifact,
      [
        { kind: 'sigstore-bundle', bundleJson: Buffer.from('{}'), origin: 'broken' },
        { kind: 'sigstore-bundle', bundleJson: good, origin: 'good' },
      ],
      { ...enforce, keys: [key.publicPem] },
      { publicKeysPem: [key.publicPem] },
    );
    expect(signer.origin).toBe('good');
  });

  it('SIGNATURE_MISSING when there is nothing to verify', async () => {
    const err = await rejection(
      verifyArtifact(artifact, [], { ...enforce, keys: [key.publicPem] }, { publicKeysPem: [key.publicPem] }),
    );
    expect(isDriverError(err, 'SIGNATURE_MISSING')).toBe(true);
    expect(err.message).toContain(artifact.digest);
  });
});
