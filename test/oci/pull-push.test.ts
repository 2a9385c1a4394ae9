// Push, resolve and pull against a real distribution registry (anonymous).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { driverRejection as rejection } from '../support/rejection.js';
import { digestOf, rawPushBlob, rawPushManifest } from './support/raw-push.js';
import { startRegistry, type RunningRegistry } from './support/registry.js';

const COMPONENT_SIZE = 12 * 1024 * 1024 + 12_345;

let registry: RunningRegistry;
let client: OciClient;
let work: string;
let component: Buffer;

beforeAll(async () => {
  registry = await startRegistry();
  client = new OciClient({ retries: 0 });
  work = await mkdtemp(join(tmpdir(), 'oci-pull-'));
  // A component-sized blob: the Wasm component preamble, then noise.
  component = Buffer.concat([
    Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]),
    randomBytes(COMPONENT_SIZE - 8),
  ]);
});

afterAll(async () => {
  client?.close();
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('push, resolve, download', () => {
  let pushed: { manifestDigest: string; layerDigest: string };

  beforeAll(async () => {
    pushed = await client.pushComponent(parseOciReference(`oci://${registry.host}/apps/hello:1.0`), component, {
      annotations: { 'org.opencontainers.image.title': 'hello.wasm' },
    });
  });

  it('returns the digests the registry itself reports', async () => {
    expect(pushed.layerDigest).toBe(digestOf(component));
    const head = await fetch(`http://${registry.host}/v2/apps/hello/manifests/1.0`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(pushed.manifestDigest);
  });

  it('resolves by tag to a wasm-artifact with the one layer', async () => {
    const resolved = await client.resolveComponent(parseOciReference(`oci://${registry.host}/apps/hello:1.0`));
    expect(resolved).toEqual({
      manifestDigest: pushed.manifestDigest,
      layer: {
        digest: pushed.layerDigest,
        size: COMPONENT_SIZE,
        mediaType: 'application/vnd.wasm.content.layer.v1+wasm',
      },
      configMediaType: 'application/vnd.wasm.config.v0+json',
      manifestFormat: 'wasm-artifact',
    });
  });

  it('resolves by digest to the same manifest', async () => {
    const resolved = await client.resolveComponent(
      parseOciReference(`${registry.host}/apps/hello@${pushed.manifestDigest}`),
    );
    expect(resolved.manifestDigest).toBe(pushed.manifestDigest);
    expect(resolved.layer.digest).toBe(pushed.layerDigest);
  });

  it('pushing the same bytes again gives the same manifest digest', async () => {
    const again = await client.pushComponent(parseOciReference(`oci://${registry.host}/apps/hello:1.0`), component, {
      annotations: { 'org.opencontainers.image.title': 'hello.wasm' },
    });
    expect(again).toEqual(pushed);
  });

  it('refuses to push to a pinned reference whose digest the manifest would not have', async () => {
    const other = `sha256:${'1'.repeat(64)}`;
    const err = await rejection(
      client.pushComponent(parseOciReference(`${registry.host}/apps/pinned:1@${other}`), Buffer.from('\0asm pinned')),
    );
    expect(err.code).toBe('OCI_DIGEST_MISMATCH');
    const tags = await fetch(`http://${registry.host}/v2/apps/pinned/manifests/1`, { method: 'HEAD' });
    expect(tags.status).toBe(404);
  });

  it('downloads the 12 MiB layer byte for byte, reporting monotonic progress up to the total', async () => {
    const ref = parseOciReference(`oci://${registry.host}/apps/hello:1.0`);
    const dest = join(work, 'hello.wasm');
    const progress: { receivedBytes: number; totalBytes: number }[] = [];
    await client.downloadBlob(ref, pushed.layerDigest, dest, {
      maxBytes: 64 * 1024 * 1024,
      onProgress: (p) => progress.push(p),
    });
    const bytes = await readFile(dest);
    expect(bytes.length).toBe(COMPONENT_SIZE);
    expect(bytes.equals(component)).toBe(true);
    expect(digestOf(bytes)).toBe(pushed.layerDigest);

    expect(progress.length).toBeGreaterThan(10);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.receivedBytes).toBeGreaterThan(progress[i - 1]!.receivedBytes);
    expect(progress.at(-1)).toEqual({ receivedBytes: COMPONENT_SIZE, totalBytes: COMPONENT_SIZE });
    expect(progress.every((p) => p.totalBytes === COMPONENT_SIZE)).toBe(true);
    // Only the destination: the temp file was renamed, not copied.
    expect(await readdir(work)).toEqual(['hello.wasm']);
    await rm(dest);
  });

  it('refuses a blob larger than maxBytes by the manifest size, before any request, leaving nothing', async () => {
    const ref = parseOciReference(`oci://${registry.host}/apps/hello:1.0`);
    const dest = join(work, 'big.wasm');
    const err = await rejection(
      client.downloadBlob(ref, pushed.layerDigest, dest, { maxBytes: 1024 * 1024, size: COMPONENT_SIZE }),
    );
    expect(err.code).toBe('OCI_ARTIFACT_TOO_LARGE');
    expect(err.message).toContain(`manifest says ${COMPONENT_SIZE} bytes, more than the allowed 1048576`);
    expect(await readdir(work)).toEqual([]);
  });

  it('refuses a blob whose Content-Length exceeds maxBytes, leaving nothing', async () => {
    const ref = parseOciReference(`oci://${registry.host}/apps/hello:1.0`);
    const err = await rejection(
      client.downloadBlob(ref, pushed.layerDigest, join(work, 'big.wasm'), { maxBytes: 1024 * 1024 }),
    );
    expect(err.code).toBe('OCI_ARTIFACT_TOO_LARGE');
    expect(err.message).toContain(`registry says ${COMPONENT_SIZE} bytes`);
    expect(await readdir(work)).toEqual([]);
  });

  it('fetchBlob returns small blobs digest-checked and refuses ones over the limit', async () => {
    const ref = parseOciReference(`oci://${registry.host}/apps/hello:1.0`);
    const small = await rawPushBlob(registry.host, 'apps/hello', Buffer.from('{"hello":"world"}'));
    expect((await client.fetchBlob(ref, small.digest, 1024)).toString()).toBe('{"hello":"world"}');
    const err = await rejection(client.fetchBlob(ref, small.digest, 4));
    expect(err.code).toBe('OCI_ARTIFACT_TOO_LARGE');
  });
});

describe('manifest formats', () => {
  it('accepts a single-layer OCI image whose layer is application/wasm', async () => {
    const layer = await rawPushBlob(registry.host, 'formats/single', Buffer.from('\0asm single-layer'));
    const config = await rawPushBlob(registry.host, 'formats/single', Buffer.from('{}'));
    const manifest = await rawPushManifest(
      registry.host,
      'formats/single',
      'v1',
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/wasm', ...layer }],
      },
      'application/vnd.oci.image.manifest.v1+json',
    );
    const resolved = await client.resolveComponent(parseOciReference(`${registry.host}/formats/single:v1`));
    expect(resolved).toEqual({
      manifestDigest: manifest.digest,
      layer: { digest: layer.digest, size: layer.size, mediaType: 'application/wasm' },
      configMediaType: 'application/vnd.oci.image.config.v1+json',
      manifestFormat: 'single-layer-image',
    });
  });

  it('accepts a Docker v2 schema 2 single-layer image with an octet-stream layer', async () => {
    const layer = await rawPushBlob(registry.host, 'formats/docker', Buffer.from('\0asm docker'));
    const config = await rawPushBlob(registry.host, 'formats/docker', Buffer.from('{"architecture":"wasm"}'));
    const manifest = await rawPushManifest(
      registry.host,
      'formats/docker',
      'v1',
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
        layers: [{ mediaType: 'application/octet-stream', ...layer }],
      },
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    const resolved = await client.resolveComponent(parseOciReference(`${registry.host}/formats/docker:v1`));
    expect(resolved.manifestDigest).toBe(manifest.digest);
    expect(resolved.manifestFormat).toBe('single-layer-image');
    expect(resolved.layer).toEqual({ digest: layer.digest, size: layer.size, mediaType: 'application/octet-stream' });
  });

  it('refuses an image index with OCI_MANIFEST_UNSUPPORTED', async () => {
    const pushed = await client.pushComponent(
      parseOciReference(`${registry.host}/formats/index:component`),
      Buffer.from('\0asm indexed'),
    );
    const platformManifest = await fetch(`http://${registry.host}/v2/formats/index/manifests/component`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const size = (await platformManifest.arrayBuffer()).byteLength;
    await rawPushManifest(
      registry.host,
      'formats/index',
      'multi',
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: pushed.manifestDigest,
            size,
            platform: { architecture: 'wasm', os: 'wasip2' },
          },
        ],
      },
      'application/vnd.oci.image.index.v1+json',
    );
    const err = await rejection(client.resolveComponent(parseOciReference(`${registry.host}/formats/index:multi`)));
    expect(err.code).toBe('OCI_MANIFEST_UNSUPPORTED');
    expect(err.message).toMatch(/is an image index \(1 manifests/);
  });

  it('refuses a two-layer image, naming the layer types', async () => {
    const a = await rawPushBlob(registry.host, 'formats/two', Buffer.from('layer a'));
    const b = await rawPushBlob(registry.host, 'formats/two', Buffer.from('layer b'));
    const config = await rawPushBlob(registry.host, 'formats/two', Buffer.from('{"two":true}'));
    await rawPushManifest(
      registry.host,
      'formats/two',
      'v1',
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...a },
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...b },
        ],
      },
      'application/vnd.oci.image.manifest.v1+json',
    );
    const err = await rejection(client.resolveComponent(parseOciReference(`${registry.host}/formats/two:v1`)));
    expect(err.code).toBe('OCI_MANIFEST_UNSUPPORTED');
    expect(err.message).toContain(
      'layers: application/vnd.oci.image.layer.v1.tar+gzip, application/vnd.oci.image.layer.v1.tar+gzip',
    );
  });
});

describe('not found', () => {
  it('a missing repository is OCI_NOT_FOUND naming the reference', async () => {
    const err = await rejection(client.resolveComponent(parseOciReference(`oci://${registry.host}/no/such-repo:1`)));
    expect(err.code).toBe('OCI_NOT_FOUND');
    expect(err.message).toContain(`oci://${registry.host}/no/such-repo:1`);
    expect(err.message).toMatch(/NAME_UNKNOWN|MANIFEST_UNKNOWN/);
  });

  it('a missing tag is OCI_NOT_FOUND', async () => {
    const err = await rejection(client.resolveComponent(parseOciReference(`oci://${registry.host}/apps/hello:9.9`)));
    expect(err.code).toBe('OCI_NOT_FOUND');
    expect(err.message).toContain('apps/hello:9.9');
    expect(err.message).toContain('MANIFEST_UNKNOWN');
  });

  it('a missing blob is OCI_NOT_FOUND and leaves no file', async () => {
    const missing = `sha256:${'0'.repeat(64)}`;
    const dest = join(work, 'missing.wasm');
    const err = await rejection(
      client.downloadBlob(parseOciReference(`${registry.host}/apps/hello:1.0`), missing, dest),
    );
    expect(err.code).toBe('OCI_NOT_FOUND');
    expect(err.message).toContain(missing);
    expect(await readdir(work)).toEqual([]);
  });
});
