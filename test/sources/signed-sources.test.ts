// Admission under the node's signature policy, end to end through the
// driver's ComponentProvider: real signatures made here (own keys, own CA
// and openssl TSA), found beside a file, as OCI referrers, or by cosign's
// `.sig` tag in a real registry.
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignatureConfig } from '../../src/config/signature-config.js';
import { OciClient } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { rawPushBlob, rawPushManifest } from '../oci/support/raw-push.js';
import { startRegistry, type RunningRegistry } from '../oci/support/registry.js';
import { COMPONENTS } from '../runtime/support/task-host.js';
import {
  digestOf,
  makeKey,
  messageSignatureBundle,
  signBytes,
  simpleSigningPayload,
  type TestKey,
} from '../verify/support/key-signer.js';
import { opensslTime, PrivatePki } from '../verify/support/private-pki.js';
import { providerHarness } from './support/provider.js';
import { driverRejection } from '../support/rejection.js';

const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const ISSUER = 'https://token.actions.githubusercontent.com';
const SUBJECT = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';

let registry: RunningRegistry;
let client: OciClient;
let trusted: TestKey;
let stranger: TestKey;
let hello: Buffer;
let pki: PrivatePki;

const enforceKey = (key: TestKey, mode: 'warn' | 'enforce' = 'enforce'): SignatureConfig => ({
  default: { mode, keys: [key.publicPem], identities: [] },
  namespaces: {},
  trustedRoot: undefined,
});

/** Pushes a component (distinct bytes per repository) and returns its reference and digests. */
async function push(
  repo: string,
  bytes: Buffer = hello,
): Promise<{ ref: string; manifestDigest: string; digest: string }> {
  const ref = `oci://${registry.host}/${repo}:1`;
  const pushed = await client.pushComponent(parseOciReference(ref), bytes);
  return { ref, manifestDigest: pushed.manifestDigest, digest: pushed.layerDigest };
}

async function attachBundle(ref: string, manifestDigest: string, bundle: Buffer): Promise<void> {
  await client.pushReferrer(parseOciReference(ref), manifestDigest, BUNDLE_TYPE, bundle, BUNDLE_TYPE);
}

beforeAll(async () => {
  registry = await startRegistry();
  client = new OciClient();
  trusted = makeKey();
  stranger = makeKey();
  hello = await readFile(join(COMPONENTS, 'hello-command.wasm'));
  pki = new PrivatePki(join(mkdtempSync(join(tmpdir(), 'signed-sources-')), 'pki'), 'Node');
});
afterAll(async () => {
  await registry?.stop();
});

describe('enforce with a trusted key', () => {
  it('admits a component whose bundle is an OCI referrer, records the signer, and verifies once per digest', async () => {
    const { ref, manifestDigest, digest } = await push('signed/referrer');
    await attachBundle(
      ref,
      manifestDigest,
      messageSignatureBundle(hello, signBytes(trusted.privateKey, hello), { hint: trusted.hint }),
    );
    const h = await providerHarness({ signatures: enforceKey(trusted) });
    const provided = await h.provide(ref);
    expect(provided.admission).toMatchObject({
      status: 'verified',
      digest,
      fromCache: false,
      signer: { kind: 'key', keyFingerprint: trusted.fingerprintHex },
    });
    expect(
      h.events.some((e) =>
        e.startsWith(`Signature verified: ${digest} signed by key sha256:${trusted.fingerprintHex}`),
      ),
    ).toBe(true);
    const again = await h.provide(ref);
    expect(again.admission).toMatchObject({ status: 'verified', fromCache: true });
    expect(h.events.at(-1)).toMatch(/^Signature verified earlier on this node/);
  });

  it('admits a component signed the cosign way (simple-signing payload under the `.sig` tag)', async () => {
    const bytes = Buffer.concat([hello, Buffer.from([])]);
    const { ref, manifestDigest } = await push('signed/cosign', bytes);
    const payload = simpleSigningPayload(manifestDigest, `${registry.host}/signed/cosign`);
    const layer = await rawPushBlob(registry.host, 'signed/cosign', payload);
    const config = await rawPushBlob(registry.host, 'signed/cosign', Buffer.from('{}'));
    await rawPushManifest(
      registry.host,
      'signed/cosign',
      `${manifestDigest.replace(':', '-')}.sig`,
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
        layers: [
          {
            mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
            digest: layer.digest,
            size: layer.size,
            annotations: {
              'dev.cosignproject.cosign/signature': signBytes(trusted.privateKey, payload).toString('base64'),
            },
          },
        ],
      },
      'application/vnd.oci.image.manifest.v1+json',
    );
    const h = await providerHarness({ signatures: enforceKey(trusted) });
    const provided = await h.provide(ref);
    expect(provided.admission).toMatchObject({
      status: 'verified',
      signer: {
        kind: 'key',
        keyFingerprint: trusted.fingerprintHex,
        origin: expect.stringContaining('cosign .sig tag') as unknown,
      },
    });
  });

  it('refuses an unsigned component (SIGNATURE_MISSING), a stranger’s signature (SIGNER_NOT_TRUSTED) and a signature over other bytes (SIGNATURE_INVALID), caching nothing', async () => {
    const h = await providerHarness({ signatures: enforceKey(trusted) });
    const unsigned = await push('signed/none');
    expect((await driverRejection(h.provide(unsigned.ref))).code).toBe('SIGNATURE_MISSING');

    const wrong = await push('signed/stranger');
    await attachBundle(
      wrong.ref,
      wrong.manifestDigest,
      messageSignatureBundle(hello, signBytes(stranger.privateKey, hello), { hint: stranger.hint }),
    );
    const notTrusted = await driverRejection(h.provide(wrong.ref));
    expect(notTrusted.code).toBe('SIGNER_NOT_TRUSTED');
    expect(notTrusted.message).toContain(trusted.fingerprintHex);

    const other = Buffer.from('some other artifact');
    const tampered = await push('signed/tampered');
    await attachBundle(
      tampered.ref,
      tampered.manifestDigest,
      messageSignatureBundle(other, signBytes(trusted.privateKey, other), { hint: trusted.hint }),
    );
    expect((await driverRejection(h.provide(tampered.ref))).code).toBe('SIGNATURE_INVALID');

    expect(await h.cachedBlobs()).toEqual([]);
    expect(h.events.some((e) => e.startsWith('Signature verified'))).toBe(false);
  });
});

describe('warn and namespace rules', () => {
  it('warn runs an unsigned component with a warning event naming the reason', async () => {
    const unsigned = await push('warn/none');
    const h = await providerHarness({ signatures: enforceKey(trusted, 'warn') });
    const provided = await h.provide(unsigned.ref);
    expect(provided.admission).toMatchObject({ status: 'unverified', reason: { code: 'SIGNATURE_MISSING' } });
    expect(h.events.at(-1)).toMatch(
      /^WARNING: running unverified component sha256:[0-9a-f]{64} \(signature policy "warn"\): no signature found/,
    );
  });

  it('a namespace can enforce what the default only warns about', async () => {
    const unsigned = await push('ns/none');
    const signatures: SignatureConfig = { ...enforceKey(trusted, 'warn'), namespaces: { prod: { mode: 'enforce' } } };
    const h = await providerHarness({ signatures });
    expect((await h.provide(unsigned.ref, {}, 'default')).admission.status).toBe('unverified');
    expect((await driverRejection(h.provide(unsigned.ref, {}, 'prod'))).code).toBe('SIGNATURE_MISSING');
  });

  it('warn still fails a start when the trust material itself is broken: a warning nobody reads must not hide it', async () => {
    const { ref, manifestDigest } = await push('warn/broken-root');
    await attachBundle(
      ref,
      manifestDigest,
      messageSignatureBundle(hello, signBytes(trusted.privateKey, hello), { hint: trusted.hint }),
    );
    const h = await providerHarness({
      signatures: {
        ...enforceKey(trusted, 'warn'),
        trustedRoot: { certificateAuthorities: [{ uri: 'https://ca.example' }] },
      },
    });
    const err = await driverRejection(h.provide(ref));
    expect(err.code).toBe('TRUST_ROOT_INVALID');
  });

  it('off checks nothing, even for a component with a bad signature', async () => {
    const h = await providerHarness();
    const unsigned = await push('off/none');
    expect((await h.provide(unsigned.ref)).admission).toEqual({ status: 'not-checked' });
  });
});

describe('certificate identities with a private CA and TSA, bundle beside a file', () => {
  async function fileSignedBy(
    leafOptions: { startDate?: string; endDate?: string },
    h: Awaited<ReturnType<typeof providerHarness>>,
  ): Promise<void> {
    const leaf = pki.issueLeaf({ san: `URI:${SUBJECT}`, issuer: ISSUER, ...leafOptions });
    const signature = signBytes(createPrivateKey(leaf.keyPem), hello);
    const bundle = messageSignatureBundle(hello, signature, {
      certificateDer: leaf.certDer,
      timestamps: [pki.timestamp(signature)],
    });
    await writeFile(join(h.taskDir, 'local', 'app.wasm'), hello);
    await writeFile(join(h.taskDir, 'local', 'app.wasm.sigstore.json'), bundle);
  }
  const identityPolicy = (): SignatureConfig => ({
    default: { mode: 'enforce', keys: [], identities: [{ issuer: ISSUER, subject: 'https://github.com/acme/*' }] },
    namespaces: {},
    trustedRoot: pki.trustedRoot(),
  });

  it('admits a component signed by a matching identity, recording issuer and subject', async () => {
    const h = await providerHarness({ signatures: identityPolicy() });
    await fileSignedBy({}, h);
    const provided = await h.provide('local/app.wasm');
    expect(provided.admission).toMatchObject({
      status: 'verified',
      digest: digestOf(hello),
      signer: { kind: 'certificate', issuer: ISSUER, subject: SUBJECT, origin: 'local/app.wasm.sigstore.json' },
    });
  });

  it('refuses a certificate that had expired when the TSA stamped the signature', async () => {
    const h = await providerHarness({ signatures: identityPolicy() });
    await fileSignedBy({ startDate: opensslTime(-7200), endDate: opensslTime(-3600) }, h);
    expect((await driverRejection(h.provide('local/app.wasm'))).code).toBe('CERTIFICATE_EXPIRED');
  });

  it('refuses an identity outside the policy, naming both', async () => {
    const signatures = identityPolicy();
    const h = await providerHarness({
      signatures: {
        ...signatures,
        default: { ...signatures.default, identities: [{ issuer: ISSUER, subject: 'https://github.com/other/*' }] },
      },
    });
    await fileSignedBy({}, h);
    const err = await driverRejection(h.provide('local/app.wasm'));
    expect(err.code).toBe('SIGNER_NOT_TRUSTED');
    expect(err.message).toContain(SUBJECT);
    expect(err.message).toContain('https://github.com/other/*');
  });

  it('does not accept a certificate when the policy names only keys, even from the trusted CA', async () => {
    const h = await providerHarness({
      signatures: {
        default: { mode: 'enforce', keys: [trusted.publicPem], identities: [] },
        namespaces: {},
        trustedRoot: pki.trustedRoot(),
      },
    });
    await fileSignedBy({}, h);
    expect((await driverRejection(h.provide('local/app.wasm'))).code).toBe('SIGNER_NOT_TRUSTED');
  });
});
