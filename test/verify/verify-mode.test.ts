import { describe, expect, it } from 'vitest';
import { isDriverError } from '../../src/errors.js';
import type { SignaturePolicy, VerifyMode } from '../../src/verify/policy.js';
import { verifyWithMode } from '../../src/verify/verify-mode.js';
import { componentBytes, digestOf, makeKey, messageSignatureBundle, signBytes } from './support/key-signer.js';
import { rejection } from '../support/rejection.js';

describe('verifyWithMode', () => {
  const key = makeKey();
  const other = makeKey();
  const component = componentBytes('mode');
  const artifact = { digest: digestOf(component), bytes: component };
  const good = messageSignatureBundle(component, signBytes(key.privateKey, component), { hint: key.hint });
  const untrusted = messageSignatureBundle(component, signBytes(other.privateKey, component), { hint: other.hint });
  const policy = (mode: VerifyMode): SignaturePolicy => ({ mode, keys: [key.publicPem], identities: [] });
  const trust = { publicKeysPem: [key.publicPem] };

  it('off verifies nothing, even with broken trust material', async () => {
    const outcome = await verifyWithMode(artifact, [], policy('off'), { publicKeysPem: ['garbage'] });
    expect(outcome).toEqual({ outcome: 'skipped' });
  });

  it.each(['warn', 'enforce'] as const)('%s returns the verified signer', async (mode) => {
    const outcome = await verifyWithMode(
      artifact,
      [{ kind: 'sigstore-bundle', bundleJson: good, origin: 'b' }],
      policy(mode),
      trust,
    );
    expect(outcome).toEqual({
      outcome: 'verified',
      signer: { kind: 'key', keyFingerprint: key.fingerprintHex, origin: 'b' },
    });
  });

  it('warn lets a missing or untrusted signature through, with the error', async () => {
    const missing = await verifyWithMode(artifact, [], policy('warn'), trust);
    expect(missing.outcome === 'warned' && missing.error.code).toBe('SIGNATURE_MISSING');
    const wrong = await verifyWithMode(
      artifact,
      [{ kind: 'sigstore-bundle', bundleJson: untrusted, origin: 'b' }],
      policy('warn'),
      trust,
    );
    expect(wrong.outcome === 'warned' && wrong.error.code).toBe('SIGNER_NOT_TRUSTED');
  });

  it('enforce throws what verification found', async () => {
    const err = await rejection(
      verifyWithMode(
        artifact,
        [{ kind: 'sigstore-bundle', bundleJson: untrusted, origin: 'b' }],
        policy('enforce'),
        trust,
      ),
    );
    expect(isDriverError(err, 'SIGNER_NOT_TRUSTED')).toBe(true);
  });

  it('warn still fails on broken trust material', async () => {
    const err = await rejection(
      verifyWithMode(artifact, [{ kind: 'sigstore-bundle', bundleJson: good, origin: 'b' }], policy('warn'), {
        publicKeysPem: ['garbage'],
      }),
    );
    expect(isDriverError(err, 'TRUST_ROOT_INVALID')).toBe(true);
  });
});
