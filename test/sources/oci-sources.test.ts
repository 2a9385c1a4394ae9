// Components from a real OCI registry and an https-style server, through the
// driver's ComponentProvider: caching, single downloads, progress events,
// and every bad input failing clearly with nothing cached.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { startFaultProxy, type FaultProxy } from '../oci/support/fault-proxy.js';
import { rawPushBlob, rawPushManifest } from '../oci/support/raw-push.js';
import { startRegistry, type RunningRegistry } from '../oci/support/registry.js';
import { COMPONENTS } from '../runtime/support/task-host.js';
import { providerHarness } from './support/provider.js';
import { driverRejection } from '../support/rejection.js';

const digestOf = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let registry: RunningRegistry;
let proxy: FaultProxy;
let client: OciClient;
let hello: Buffer;
let echo: Buffer;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  client = new OciClient();
  hello = await readFile(join(COMPONENTS, 'hello-command.wasm'));
  echo = await readFile(join(COMPONENTS, 'echo-http.wasm'));
  await client.pushComponent(parseOciReference(`oci://${registry.host}/apps/hello:1.0`), hello);
  await client.pushComponent(parseOciReference(`oci://${registry.host}/apps/echo:1.0`), echo);
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

describe('oci:// components', () => {
  it('pulls by tag into the shared cache, reports progress, and reuses it on the next start', async () => {
    const h = await providerHarness();
    const first = await h.provide(`oci://${registry.host}/apps/hello:1.0`);
    expect(await readFile(first.path)).toEqual(hello);
    expect(first.fetched.kind === 'oci' && first.fetched.digest).toBe(digestOf(hello));
    expect(h.events.some((e) => e.startsWith(`Pulling oci://${registry.host}/apps/hello:1.0`))).toBe(true);
    expect(h.events.some((e) => /^Pulled .* in \d+ ms$/.test(e))).toBe(true);
    h.events.length = 0;
    const again = await h.provide(`oci://${registry.host}/apps/hello:1.0`);
    expect(again.path).toBe(first.path);
    expect(h.events).toEqual([`Using cached component ${digestOf(hello)} for oci://${registry.host}/apps/hello:1.0`]);
  });

  it('downloads once when ten tasks start with the same component at once', async () => {
    const h = await providerHarness();
    proxy.seen.length = 0;
    const all = await Promise.all(Array.from({ length: 10 }, () => h.provide(`oci://${proxy.host}/apps/echo:1.0`)));
    expect(new Set(all.map((p) => p.path)).size).toBe(1);
    const blobGets = proxy.seen.filter((line) => line === `GET /v2/apps/echo/blobs/${digestOf(echo)}`);
    expect(blobGets).toHaveLength(1);
    expect(h.events.filter((e) => e.startsWith('Pulling '))).toHaveLength(1);
  });

  it('pulls by manifest digest and checks a pinned checksum', async () => {
    const pushed = await client.pushComponent(parseOciReference(`oci://${registry.host}/apps/pinned:1`), hello);
    const h = await providerHarness();
    const byDigest = await h.provide(`oci://${registry.host}/apps/pinned@${pushed.manifestDigest}`, {
      checksum: digestOf(hello),
    });
    expect(byDigest.fetched.kind === 'oci' && byDigest.fetched.manifestDigest).toBe(pushed.manifestDigest);
    const err = await driverRejection(
      h.provide(`oci://${registry.host}/apps/pinned:1`, { checksum: `sha256:${'0'.repeat(64)}` }),
    );
    expect(err.code).toBe('COMPONENT_CHECKSUM_MISMATCH');
    expect(err.message).toContain(digestOf(hello));
  });
  it('starts a cached digest-pinned component without asking the registry, even when it is down', async () => {
    const pushed = await client.pushComponent(parseOciReference(`oci://${registry.host}/apps/offline:1`), hello);
    const h = await providerHarness();
    const ref = `oci://${proxy.host}/apps/offline@${pushed.manifestDigest}`;
    await h.provide(ref);
    proxy.seen.length = 0;
    proxy.fault = () => ({ kind: 'reset' });
    try {
      expect(await readFile((await h.provide(ref)).path)).toEqual(hello);
      expect(proxy.seen).toEqual([]);
      // A tag must be resolved every time: it fails while the registry is away.
      expect((await driverRejection(h.provide(`oci://${proxy.host}/apps/offline:1`))).code).toBe(
        'OCI_REGISTRY_UNREACHABLE',
      );
    } finally {
      proxy.fault = () => undefined;
    }
  });
});

describe('bad inputs fail the start clearly and cache nothing', () => {
  it('a tampered layer: OCI_DIGEST_MISMATCH', async () => {
    const h = await providerHarness();
    proxy.fault = (req) => (req.url?.includes('/blobs/') ? { kind: 'flip-byte' } : undefined);
    try {
      const err = await driverRejection(h.provide(`oci://${proxy.host}/apps/hello:1.0`));
      expect(err.code).toBe('OCI_DIGEST_MISMATCH');
    } finally {
      proxy.fault = () => undefined;
    }
    expect(await h.cachedBlobs()).toEqual([]);
    // The same provider still works once the registry behaves.
    expect(await readFile((await h.provide(`oci://${proxy.host}/apps/hello:1.0`)).path)).toEqual(hello);
  });

  it('a registry that is down: OCI_REGISTRY_UNREACHABLE, retryable', async () => {
    const h = await providerHarness();
    const stopped = await startRegistry();
    const host = stopped.host;
    await stopped.stop();
    const err = await driverRejection(h.provide(`oci://${host}/apps/hello:1.0`));
    expect(err.code).toBe('OCI_REGISTRY_UNREACHABLE');
    expect(err.recoverable).toBe(true);
    expect(await h.cachedBlobs()).toEqual([]);
  });

  it('an unknown tag or repository: OCI_NOT_FOUND naming the reference', async () => {
    const h = await providerHarness();
    const err = await driverRejection(h.provide(`oci://${registry.host}/apps/hello:9.9`));
    expect(err.code).toBe('OCI_NOT_FOUND');
    expect(err.message).toContain('apps/hello');
    expect(await h.cachedBlobs()).toEqual([]);
  });

  it('an artifact over max_component_mb: COMPONENT_TOO_LARGE before any download', async () => {
    const h = await providerHarness({ maxComponentBytes: 1024 });
    proxy.seen.length = 0;
    const err = await driverRejection(h.provide(`oci://${proxy.host}/apps/echo:1.0`));
    expect(err.code).toBe('COMPONENT_TOO_LARGE');
    expect(proxy.seen.some((line) => line.includes('/blobs/'))).toBe(false);
    expect(await h.cachedBlobs()).toEqual([]);
  });

  it('a WASI preview1 core module is pulled like a component (the task host adapts it); a non-Wasm blob: COMPONENT_INVALID', async () => {
    const core = await readFile(join(COMPONENTS, 'core-module.wasm'));
    await client.pushComponent(parseOciReference(`oci://${registry.host}/apps/core:1`), core);
    // A single-layer image whose layer is not Wasm at all (pushed raw: our client refuses to push it).
    const junk = Buffer.from('#!/bin/sh\necho not wasm\n');
    const layer = await rawPushBlob(registry.host, 'apps/junk', junk);
    const config = await rawPushBlob(registry.host, 'apps/junk', Buffer.from('{}'));
    await rawPushManifest(
      registry.host,
      'apps/junk',
      '1',
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.wasm.config.v0+json', digest: config.digest, size: config.size },
        layers: [{ mediaType: 'application/vnd.wasm.content.layer.v1+wasm', digest: layer.digest, size: layer.size }],
      },
      'application/vnd.oci.image.manifest.v1+json',
    );
    const h = await providerHarness();
    const pulled = await h.provide(`oci://${registry.host}/apps/core:1`);
    expect(await readFile(pulled.path)).toEqual(core);
    const junkErr = await driverRejection(h.provide(`oci://${registry.host}/apps/junk:1`));
    expect(junkErr.code).toBe('COMPONENT_INVALID');
    expect(junkErr.message).toMatch(/not WebAssembly/);
    // Only the module is kept: the junk left nothing.
    expect(await h.cachedBlobs()).toEqual([digestOf(core)]);
  });
});

describe('https:// components with a checksum', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => (req.url === '/hello.wasm' ? res.end(hello) : res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads, checks the checksum, and caches by digest', async () => {
    const h = await providerHarness();
    const provided = await h.provide(`${base}/hello.wasm`, { checksum: digestOf(hello) });
    expect(await readFile(provided.path)).toEqual(hello);
    expect(await h.cachedBlobs()).toEqual([digestOf(hello)]);
  });

  it('a wrong checksum fails with both digests and caches nothing', async () => {
    const h = await providerHarness();
    const err = await driverRejection(h.provide(`${base}/hello.wasm`, { checksum: `sha256:${'1'.repeat(64)}` }));
    expect(err.code).toBe('COMPONENT_CHECKSUM_MISMATCH');
    expect(err.message).toContain(digestOf(hello));
    expect(await h.cachedBlobs()).toEqual([]);
  });
});

describe('files in the task dir', () => {
  it('are used in place; a checksum, when given, must match', async () => {
    const h = await providerHarness();
    await writeFile(join(h.taskDir, 'local', 'app.wasm'), hello);
    const provided = await h.provide('local/app.wasm', { checksum: digestOf(hello) });
    expect(provided.path).toBe(join(h.taskDir, 'local', 'app.wasm'));
    const err = await driverRejection(h.provide('local/app.wasm', { checksum: `sha256:${'2'.repeat(64)}` }));
    expect(err.code).toBe('COMPONENT_CHECKSUM_MISMATCH');
    expect(await h.cachedBlobs()).toEqual([]);
  });
});
