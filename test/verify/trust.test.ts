// Operator trust material that cannot be read is TRUST_ROOT_INVALID, before any signature is looked at.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDriverError } from '../../src/errors.js';
import { loadTrust, type TrustConfig } from '../../src/verify/trust.js';
import { verifyArtifact } from '../../src/verify/verify-artifact.js';
import { componentBytes, digestOf, makeKey, messageSignatureBundle, signBytes } from './support/key-signer.js';
import { rejection } from '../support/rejection.js';

describe('trust material', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-trust-'));
  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{ nope');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, TrustConfig, string][] = [
    [
      'a key that is not PEM',
      { publicKeysPem: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'] },
      'trusted public key #1',
    ],
    [
      'a missing root file',
      { publicKeysPem: [], trustedRootJson: join(dir, 'absent.json') },
      'cannot read trusted root',
    ],
    ['a root file that is not JSON', { publicKeysPem: [], trustedRootJson: notJson }, 'is not JSON'],
    [
      'a CA without a chain',
      { publicKeysPem: [], trustedRootJson: { certificateAuthorities: [{ uri: 'https://ca' }] } },
      'has no certChain',
    ],
    [
      'a CA chain with garbage bytes',
      {
        publicKeysPem: [],
        trustedRootJson: { certificateAuthorities: [{ certChain: { certificates: [{ rawBytes: 'AAAA' }] } }] },
      },
      'trusted root is malformed',
    ],
    ['a number', { publicKeysPem: [], trustedRootJson: 42 }, 'file path or a parsed TrustedRoot'],
  ];

  it.each(cases)('rejects %s', async (_name, trust, text) => {
    const err = await rejection(loadTrust(trust));
    expect(isDriverError(err, 'TRUST_ROOT_INVALID')).toBe(true);
    expect(err.message).toContain(text);
  });

  it('fails verification with TRUST_ROOT_INVALID even when a good signature is present', async () => {
    const key = makeKey();
    const component = componentBytes('trust');
    const bundleJson = messageSignatureBundle(component, signBytes(key.privateKey, component), { hint: key.hint });
    const err = await rejection(
      verifyArtifact(
        { digest: digestOf(component), bytes: component },
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'b' }],
        { mode: 'enforce', keys: [], identities: [] },
        {
          publicKeysPem: [key.publicPem],
          trustedRootJson: join(dir, 'absent.json'),
        },
      ),
    );
    expect(isDriverError(err, 'TRUST_ROOT_INVALID')).toBe(true);
  });
});
