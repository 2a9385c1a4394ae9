// Interop with the real cosign CLI (built by scripts/ensure-cosign.sh):
// bundles cosign writes verify here, and bundles and trusted roots made here
// verify in cosign. Skipped, with a warning, when the binary is absent.
import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDriverError } from '../../src/errors.js';
import { keyFingerprint, publicKeyFromPem } from '../../src/verify/key-fingerprint.js';
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
import { PrivatePki } from './support/private-pki.js';
import { rejection } from '../support/rejection.js';

const COSIGN = process.env['COSIGN_BIN'] ?? new URL('../../.cache/bin/cosign', import.meta.url).pathname;
const available = existsSync(COSIGN);
if (!available) {
  console.warn(
    `[cosign-interop] SKIPPED: no cosign binary at ${COSIGN}; run scripts/ensure-cosign.sh (or set COSIGN_BIN) to test interop with cosign`,
  );
}
const itCosign = available ? it : it.skip;
const enforce: SignaturePolicy = { mode: 'enforce', keys: [], identities: [] };

describe(`cosign interop${available ? '' : ' (skipped: cosign binary absent, run scripts/ensure-cosign.sh)'}`, () => {
  let dir: string;
  const component = componentBytes('cosign');
  const artifact = { digest: digestOf(component), bytes: component };

  // HOME in the temp dir: cosign must not read or write the user's ~/.sigstore.
  const run = (args: readonly string[]): { status: number | null; output: string } => {
    const r = spawnSync(COSIGN, args, {
      cwd: dir,
      env: { ...process.env, HOME: dir, COSIGN_PASSWORD: '' },
      timeout: 60_000,
    });
    return { status: r.status, output: `${r.stdout.toString()}${r.stderr.toString()}` };
  };
  const cosign = (args: readonly string[]): string => {
    const { status, output } = run(args);
    if (status !== 0) throw new Error(`cosign ${args.join(' ')} exited ${String(status)}: ${output}`);
    return output;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-cosign-'));
    writeFileSync(join(dir, 'app.wasm'), component);
    if (available) cosign(['generate-key-pair']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cosignPub = (): string => readFileSync(join(dir, 'cosign.pub'), 'utf8');

  itCosign('verifies `cosign sign-blob --key --bundle` (legacy format)', async () => {
    cosign([
      'sign-blob',
      '--key',
      'cosign.key',
      '--bundle',
      'legacy.bundle',
      '--tlog-upload=false',
      '--yes',
      'app.wasm',
    ]);
    const json = readFileSync(join(dir, 'legacy.bundle'));
    const signer = await verifyArtifact(
      artifact,
      [{ kind: 'cosign-legacy-bundle', json, origin: 'legacy.bundle' }],
      { ...enforce, keys: [cosignPub()] },
      {
        publicKeysPem: [cosignPub()],
      },
    );
    expect(signer).toEqual({
      kind: 'key',
      keyFingerprint: keyFingerprint(publicKeyFromPem(cosignPub())),
      origin: 'legacy.bundle',
    });
  });

  itCosign(
    'verifies `cosign sign-blob --key --new-bundle-format`, and rejects it for a tampered component',
    async () => {
      cosign([
        'sign-blob',
        '--key',
        'cosign.key',
        '--new-bundle-format',
        '--bundle',
        'new.sigstore.json',
        '--tlog-upload=false',
        '--yes',
        'app.wasm',
      ]);
      const bundleJson = readFileSync(join(dir, 'new.sigstore.json'));
      const signer = await verifyArtifact(
        artifact,
        [{ kind: 'sigstore-bundle', bundleJson, origin: 'new' }],
        { ...enforce, keys: [cosignPub()] },
        { publicKeysPem: [cosignPub()] },
      );
      expect(signer.kind === 'key' && signer.keyFingerprint).toBe(keyFingerprint(publicKeyFromPem(cosignPub())));

      const tampered = Buffer.concat([component, Buffer.from([0])]);
      const err = await rejection(
        verifyArtifact(
          { digest: digestOf(tampered), bytes: tampered },
          [{ kind: 'sigstore-bundle', bundleJson, origin: 'new' }],
          { ...enforce, keys: [cosignPub()] },
          {
            publicKeysPem: [cosignPub()],
          },
        ),
      );
      expect(isDriverError(err, 'SIGNATURE_INVALID')).toBe(true);
    },
  );

  itCosign('cosign verifies a legacy bundle made here with a node:crypto key', () => {
    const key = makeKey();
    writeFileSync(join(dir, 'ours.pub'), key.publicPem);
    writeFileSync(join(dir, 'ours.bundle'), legacyCosignBundle(signBytes(key.privateKey, component)));
    const out = cosign([
      'verify-blob',
      '--key',
      'ours.pub',
      '--bundle',
      'ours.bundle',
      '--insecure-ignore-tlog=true',
      'app.wasm',
    ]);
    expect(out).toContain('Verified OK');
  });

  itCosign('cosign accepts the private-CA trusted root and timestamped certificate bundle made here', () => {
    const pki = new PrivatePki(join(dir, 'pki'));
    const leaf = pki.issueLeaf({ san: 'email:alice@example.com', issuer: 'https://accounts.example.com' });
    const signature = signBytes(createPrivateKey(leaf.keyPem), component);
    writeFileSync(
      join(dir, 'cert.sigstore.json'),
      messageSignatureBundle(component, signature, {
        certificateDer: leaf.certDer,
        timestamps: [pki.timestamp(signature)],
      }),
    );
    writeFileSync(join(dir, 'trusted_root.json'), JSON.stringify(pki.trustedRoot()));
    const args = [
      'verify-blob',
      '--bundle',
      'cert.sigstore.json',
      '--new-bundle-format',
      '--trusted-root',
      'trusted_root.json',
    ];
    const identity = [
      '--certificate-identity',
      'alice@example.com',
      '--certificate-oidc-issuer',
      'https://accounts.example.com',
    ];
    const offline = ['--insecure-ignore-tlog=true', '--insecure-ignore-sct=true', 'app.wasm'];
    expect(cosign([...args, ...identity, ...offline])).toContain('Verified OK');
    const wrong = run([
      ...args,
      '--certificate-identity',
      'mallory@example.com',
      '--certificate-oidc-issuer',
      'https://accounts.example.com',
      ...offline,
    ]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.output).toContain('mallory@example.com');
  });
});
