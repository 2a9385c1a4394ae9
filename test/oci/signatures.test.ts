// Signature discovery against distribution 2.8, which has no referrers API
// (GET /v2/<repo>/referrers/<digest> is a 404 there): bundles pushed with
// pushReferrer are found through the `sha256-<hex>` tag index, and cosign's
// `sha256-<hex>.sig` image is read layer by layer.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient, referrersTag } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { digestOf, rawPushBlob, rawPushManifest } from './support/raw-push.js';
import { startRegistry, type RunningRegistry } from './support/registry.js';

const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

let registry: RunningRegistry;
let client: OciClient;

beforeAll(async () => {
  registry = await startRegistry();
  client = new OciClient({ retries: 0 });
});

afterAll(async () => {
  client?.close();
  await registry?.stop();
});

async function pushSubject(repository: string): Promise<string> {
  const { manifestDigest } = await client.pushComponent(
    parseOciReference(`${registry.host}/${repository}:1`),
    randomBytes(4096),
  );
  return manifestDigest;
}

describe('findSignatures on a registry without the referrers API', () => {
  it('the registry really lacks the API (404), so the tag fallback is what gets exercised', async () => {
    const subject = await pushSubject('sig/probe');
    const response = await fetch(`http://${registry.host}/v2/sig/probe/referrers/${subject}`);
    expect(response.status).toBe(404);
  });

  it('finds sigstore bundles pushed with pushReferrer through the sha256-<hex> tag index, ignoring other artifacts', async () => {
    const subject = await pushSubject('sig/bundles');
    const ref = parseOciReference(`${registry.host}/sig/bundles:1`);
    const bundle1 = Buffer.from(JSON.stringify({ mediaType: BUNDLE_V03, verificationMaterial: { n: 1 } }));
    const bundle2 = Buffer.from(JSON.stringify({ mediaType: BUNDLE_V01, verificationMaterial: { n: 2 } }));
    const first = await client.pushReferrer(ref, subject, BUNDLE_V03, bundle1, BUNDLE_V03, {
      annotations: { 'dev.sigstore.bundle.content': 'message-signature' },
    });
    const sbom = await client.pushReferrer(
      ref,
      subject,
      'application/spdx+json',
      Buffer.from('{"spdxVersion":"SPDX-2.3"}'),
      'application/spdx+json',
    );
    const second = await client.pushReferrer(ref, subject, BUNDLE_V01, bundle2, BUNDLE_V01);

    // The fallback index lists all three, with their artifact types.
    const index = await fetch(`http://${registry.host}/v2/sig/bundles/manifests/${referrersTag(subject)}`, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    expect(index.status).toBe(200);
    const listed = ((await index.json()) as { manifests: { digest: string; artifactType: string }[] }).manifests;
    expect(listed.map((m) => [m.digest, m.artifactType])).toEqual([
      [first.manifestDigest, BUNDLE_V03],
      [sbom.manifestDigest, 'application/spdx+json'],
      [second.manifestDigest, BUNDLE_V01],
    ]);

    const found = await client.findSignatures(ref, subject);
    expect(found).toEqual([
      { kind: 'sigstore-bundle', source: 'referrers-tag', manifestDigest: first.manifestDigest, bundleJson: bundle1 },
      { kind: 'sigstore-bundle', source: 'referrers-tag', manifestDigest: second.manifestDigest, bundleJson: bundle2 },
    ]);
  });

  it('the referrer manifest names the subject with its real media type and size', async () => {
    const subject = await pushSubject('sig/shape');
    const ref = parseOciReference(`${registry.host}/sig/shape:1`);
    const { manifestDigest } = await client.pushReferrer(ref, subject, BUNDLE_V03, Buffer.from('{}'), BUNDLE_V03);
    const subjectBytes = Buffer.from(
      await (
        await fetch(`http://${registry.host}/v2/sig/shape/manifests/${subject}`, {
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
        })
      ).arrayBuffer(),
    );
    const referrer = (await (
      await fetch(`http://${registry.host}/v2/sig/shape/manifests/${manifestDigest}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).json()) as Record<string, unknown>;
    expect(referrer.artifactType).toBe(BUNDLE_V03);
    expect(referrer.subject).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: subject,
      size: subjectBytes.length,
    });
    expect(referrer.config).toEqual({
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: digestOf(Buffer.from('{}')),
      size: 2,
    });
  });

  it("reads cosign's sha256-<hex>.sig image: one candidate per layer with its annotations", async () => {
    const subject = await pushSubject('sig/cosign');
    const repo = 'sig/cosign';
    const payload1 = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': `${registry.host}/${repo}` },
          image: { 'docker-manifest-digest': subject },
          type: 'cosign container image signature',
        },
        optional: null,
      }),
    );
    const payload2 = Buffer.from(
      JSON.stringify({
        critical: { image: { 'docker-manifest-digest': subject }, type: 'cosign container image signature' },
        optional: { n: 2 },
      }),
    );
    const l1 = await rawPushBlob(registry.host, repo, payload1);
    const l2 = await rawPushBlob(registry.host, repo, payload2);
    const config = await rawPushBlob(registry.host, repo, Buffer.from('{"architecture":"","os":""}'));
    await rawPushManifest(
      registry.host,
      repo,
      `${referrersTag(subject)}.sig`,
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [
          {
            mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
            ...l1,
            annotations: {
              'dev.cosignproject.cosign/signature': 'MEUCIQDsig1==',
              'dev.sigstore.cosign/certificate': '-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n',
              'dev.sigstore.cosign/chain': '-----BEGIN CERTIFICATE-----\nchain\n-----END CERTIFICATE-----\n',
              'dev.sigstore.cosign/bundle': '{"SignedEntryTimestamp":"x","Payload":{}}',
              'dev.sigstore.cosign/rfc3161timestamp': '{"SignedRFC3161Timestamp":"y"}',
            },
          },
          {
            mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
            ...l2,
            annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQDsig2==' },
          },
        ],
      },
      'application/vnd.oci.image.manifest.v1+json',
    );

    const found = await client.findSignatures(parseOciReference(`${registry.host}/${repo}:1`), subject);
    expect(found).toEqual([
      {
        kind: 'cosign-simple-signing',
        source: 'cosign-sig-tag',
        payload: payload1,
        signatureBase64: 'MEUCIQDsig1==',
        certificatePem: '-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n',
        chainPem: '-----BEGIN CERTIFICATE-----\nchain\n-----END CERTIFICATE-----\n',
        bundleAnnotation: '{"SignedEntryTimestamp":"x","Payload":{}}',
        timestampAnnotation: '{"SignedRFC3161Timestamp":"y"}',
      },
      { kind: 'cosign-simple-signing', source: 'cosign-sig-tag', payload: payload2, signatureBase64: 'MEUCIQDsig2==' },
    ]);
  });

  it('accepts the subject written as a digest reference', async () => {
    const subject = await pushSubject('sig/pinned');
    const pinned = parseOciReference(`${registry.host}/sig/pinned@${subject}`);
    const { manifestDigest } = await client.pushReferrer(
      pinned,
      subject,
      BUNDLE_V03,
      Buffer.from('{"pinned":true}'),
      BUNDLE_V03,
    );
    expect(await client.findSignatures(pinned, subject)).toEqual([
      { kind: 'sigstore-bundle', source: 'referrers-tag', manifestDigest, bundleJson: Buffer.from('{"pinned":true}') },
    ]);
  });

  it('a manifest with no signatures anywhere gives an empty list', async () => {
    const subject = await pushSubject('sig/none');
    expect(await client.findSignatures(parseOciReference(`${registry.host}/sig/none:1`), subject)).toEqual([]);
  });
});
