// The OCI referrers API path of findSignatures, against a registry that has
// it: go-containerregistry's reference registry (pkg/registry, built from
// test/oci/referrers-registry with Go). Distribution 2.8 lacks the API; see
// signatures.test.ts for the tag fallback.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { digestOf } from './support/raw-push.js';
import { startReferrersRegistry, type ReferrersRegistry } from './support/referrers-registry.js';

const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

let registry: ReferrersRegistry;
let client: OciClient;

beforeAll(async () => {
  registry = await startReferrersRegistry();
  client = new OciClient({ retries: 0 });
});

afterAll(async () => {
  client?.close();
  await registry?.stop();
});

async function put(path: string, body: Buffer, contentType: string): Promise<void> {
  const response = await fetch(`http://${registry.host}${path}`, {
    method: 'PUT',
    body: new Uint8Array(body),
    headers: { 'content-type': contentType },
  });
  expect(response.status).toBe(201);
}

describe('findSignatures via GET /v2/<repo>/referrers/<digest>', () => {
  it('finds a bundle that is only discoverable through the API (no fallback tag exists)', async () => {
    const ref = parseOciReference(`${registry.host}/api/app:1`);
    const { manifestDigest: subject } = await client.pushComponent(ref, randomBytes(2048));
    const subjectSize = (await (await fetch(`http://${registry.host}/v2/api/app/manifests/${subject}`)).arrayBuffer())
      .byteLength;

    const bundle = Buffer.from(JSON.stringify({ mediaType: BUNDLE, dsseEnvelope: { payload: 'e30=' } }));
    const empty = Buffer.from('{}');
    await client.pushReferrer(
      ref,
      subject,
      'application/spdx+json',
      Buffer.from('{"spdx":1}'),
      'application/spdx+json',
    );
    const { manifestDigest: viaPush } = await client.pushReferrer(ref, subject, BUNDLE, bundle, BUNDLE);
    // A referrer pushed by hand, without touching the sha256-<hex> tag
    // (its blobs are already there from the push above).
    const manual = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: BUNDLE,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(empty), size: 2 },
        layers: [{ mediaType: BUNDLE, digest: digestOf(bundle), size: bundle.length }],
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject, size: subjectSize },
        annotations: { manual: 'yes' },
      }),
    );
    await put(`/v2/api/app/manifests/${digestOf(manual)}`, manual, 'application/vnd.oci.image.manifest.v1+json');

    const api = await fetch(`http://${registry.host}/v2/api/app/referrers/${subject}`);
    expect(api.status).toBe(200);
    expect(((await api.json()) as { manifests: unknown[] }).manifests).toHaveLength(3);

    // This registry sends no OCI-Subject header, so pushReferrer kept the fallback tag too;
    // the hand-pushed referrer is not in it: finding it proves the API was used.
    const tagIndex = await fetch(`http://${registry.host}/v2/api/app/manifests/${subject.replace(':', '-')}`);
    const tagged = ((await tagIndex.json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest);
    expect(tagged).toHaveLength(2);
    expect(tagged).not.toContain(digestOf(manual));

    const found = await client.findSignatures(ref, subject);
    const byDigest = new Map(found.map((c) => [c.kind === 'sigstore-bundle' ? c.manifestDigest : '', c]));
    expect(found).toHaveLength(2);
    expect(byDigest.get(viaPush)).toEqual({
      kind: 'sigstore-bundle',
      source: 'referrers-api',
      manifestDigest: viaPush,
      bundleJson: bundle,
    });
    expect(byDigest.get(digestOf(manual))).toEqual({
      kind: 'sigstore-bundle',
      source: 'referrers-api',
      manifestDigest: digestOf(manual),
      bundleJson: bundle,
    });
  });
});
