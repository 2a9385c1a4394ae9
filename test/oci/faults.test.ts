// Failures: a registry that is down, one that answers 503 for a while, and
// one whose blob gets tampered with in transit. The last two are produced by
// a fault-injecting proxy (test/oci/support/fault-proxy.ts) in front of the
// real registry: a healthy registry does not fail on demand.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient, type RetryInfo } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { driverRejection as rejection } from '../support/rejection.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { digestOf } from './support/raw-push.js';
import { freePort, startRegistry, type RunningRegistry } from './support/registry.js';

const component = Buffer.concat([Buffer.from('\0asm\x0d\0\x01\0', 'latin1'), randomBytes(2 * 1024 * 1024)]);

let registry: RunningRegistry;
let proxy: FaultProxy;
let work: string;
let layerDigest: string;
const clients: OciClient[] = [];

function newClient(retries: number, retryLog?: RetryInfo[]): OciClient {
  const client = new OciClient({
    retries,
    retryBaseDelayMs: 10,
    timeoutMs: 5_000,
    ...(retryLog ? { onRetry: (info: RetryInfo) => void retryLog.push(info) } : {}),
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  work = await mkdtemp(join(tmpdir(), 'oci-faults-'));
  ({ layerDigest } = await newClient(0).pushComponent(parseOciReference(`${registry.host}/faults/app:1`), component));
});

afterAll(async () => {
  for (const client of clients) client.close();
  await proxy?.stop();
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('registry down', () => {
  it('connection refused: OCI_REGISTRY_UNREACHABLE after 1 + retries attempts', async () => {
    const port = await freePort(); // nothing listens here any more
    const retries: RetryInfo[] = [];
    const err = await rejection(newClient(3, retries).resolveComponent(parseOciReference(`127.0.0.1:${port}/app:1`)));
    expect(err.code).toBe('OCI_REGISTRY_UNREACHABLE');
    expect(err.recoverable).toBe(true);
    expect(err.message).toContain(`cannot reach registry http://127.0.0.1:${port} after 4 attempt(s)`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(retries.map((r) => r.retry)).toEqual([1, 2, 3]);
  });

  it('connections dropped on accept: counted at the server, 1 + retries', async () => {
    let accepted = 0;
    const server: Server = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const err = await rejection(newClient(2).resolveComponent(parseOciReference(`127.0.0.1:${address.port}/app:1`)));
      expect(err.code).toBe('OCI_REGISTRY_UNREACHABLE');
      expect(err.message).toContain('after 3 attempt(s)');
      expect(accepted).toBe(3);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('registry hangs', () => {
  it('no response headers within timeoutMs: each attempt is cut off, then OCI_REGISTRY_UNREACHABLE', async () => {
    const held: Socket[] = [];
    const server: Server = createServer((socket) => void held.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new OciClient({ retries: 1, retryBaseDelayMs: 10, timeoutMs: 300 });
    clients.push(client);
    const started = Date.now();
    try {
      const err = await rejection(client.resolveComponent(parseOciReference(`127.0.0.1:${port}/app:1`)));
      expect(err.code).toBe('OCI_REGISTRY_UNREACHABLE');
      expect(err.message).toContain('after 2 attempt(s)');
      expect(err.message).toMatch(/aborted: TimeoutError/);
      expect(held).toHaveLength(2);
      // Two 300 ms timeouts plus a short backoff (a lower bound: load only adds), not the default 30 s each.
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('transient 5xx (fault proxy)', () => {
  it('retries a manifest GET answered 503 twice, then succeeds', async () => {
    let failures = 2;
    proxy.fault = (req) =>
      req.url?.includes('/manifests/') && failures-- > 0 ? { kind: 'status', status: 503 } : undefined;
    const before = proxy.seen.length;
    const retries: RetryInfo[] = [];
    const resolved = await newClient(3, retries).resolveComponent(parseOciReference(`${proxy.host}/faults/app:1`));
    expect(resolved.layer.digest).toBe(layerDigest);
    expect(proxy.seen.slice(before)).toEqual(Array(3).fill('GET /v2/faults/app/manifests/1'));
    expect(retries.map((r) => r.reason)).toEqual(['HTTP 503', 'HTTP 503']);
  });

  it('503 beyond the retries is OCI_REGISTRY_ERROR with the registry text', async () => {
    proxy.fault = (req) =>
      req.url?.includes('/manifests/') ? { kind: 'status', status: 503, body: 'back end is down' } : undefined;
    const before = proxy.seen.length;
    const err = await rejection(newClient(1).resolveComponent(parseOciReference(`${proxy.host}/faults/app:1`)));
    expect(err.code).toBe('OCI_REGISTRY_ERROR');
    expect(err.message).toContain('HTTP 503 (back end is down)');
    expect(err.message).toContain('after 2 attempts');
    expect(proxy.seen.length - before).toBe(2);
  });
});

describe('tampered or oversized blob (fault proxy)', () => {
  it('a flipped byte is OCI_DIGEST_MISMATCH, and neither the file nor a temp file is left', async () => {
    proxy.fault = (req) => (req.url?.includes('/blobs/') ? { kind: 'flip-byte' } : undefined);
    const dest = join(work, 'tampered.wasm');
    const err = await rejection(
      newClient(0).downloadBlob(parseOciReference(`${proxy.host}/faults/app:1`), layerDigest, dest),
    );
    expect(err.code).toBe('OCI_DIGEST_MISMATCH');
    expect(err.message).toContain(`expected ${layerDigest}`);
    expect(err.message).toContain(`(${component.length} bytes)`);
    expect(await readdir(work)).toEqual([]);
  });

  it('a flipped byte in a small blob is OCI_DIGEST_MISMATCH from fetchBlob', async () => {
    proxy.fault = (req) => (req.url?.includes('/blobs/') ? { kind: 'flip-byte' } : undefined);
    const err = await rejection(
      newClient(0).fetchBlob(parseOciReference(`${proxy.host}/faults/app:1`), layerDigest, 8 * 1024 * 1024),
    );
    expect(err.code).toBe('OCI_DIGEST_MISMATCH');
  });

  it('an unannounced size over maxBytes is caught while streaming, nothing left', async () => {
    proxy.fault = (req) => (req.url?.includes('/blobs/') ? { kind: 'chunked' } : undefined);
    const dest = join(work, 'oversized.wasm');
    const err = await rejection(
      newClient(0).downloadBlob(parseOciReference(`${proxy.host}/faults/app:1`), layerDigest, dest, {
        maxBytes: 1024 * 1024,
      }),
    );
    expect(err.code).toBe('OCI_ARTIFACT_TOO_LARGE');
    expect(err.message).toContain('more than the allowed 1048576 bytes arrived');
    expect(await readdir(work)).toEqual([]);
  });

  it('the same chunked blob within maxBytes downloads intact (progress total unknown: 0)', async () => {
    proxy.fault = (req) => (req.url?.includes('/blobs/') ? { kind: 'chunked' } : undefined);
    const dest = join(work, 'chunked.wasm');
    const totals = new Set<number>();
    await newClient(0).downloadBlob(parseOciReference(`${proxy.host}/faults/app:1`), layerDigest, dest, {
      onProgress: (p) => void totals.add(p.totalBytes),
    });
    expect(digestOf(await readFile(dest))).toBe(layerDigest);
    expect([...totals]).toEqual([0]);
    await rm(dest);
  });
});

describe('manifest faults (fault proxy)', () => {
  it('a manifest fetched by digest that hashes differently is OCI_DIGEST_MISMATCH', async () => {
    const resolved = await newClient(0).resolveComponent(parseOciReference(`${registry.host}/faults/app:1`));
    proxy.fault = (req) => (req.url?.includes('/manifests/') ? { kind: 'flip-byte' } : undefined);
    const err = await rejection(
      newClient(0).resolveComponent(parseOciReference(`${proxy.host}/faults/app@${resolved.manifestDigest}`)),
    );
    expect(err.code).toBe('OCI_DIGEST_MISMATCH');
    expect(err.message).toContain(`expected ${resolved.manifestDigest}`);
  });

  it('a manifest over 4 MiB is refused before parsing', async () => {
    proxy.fault = (req) =>
      req.url?.includes('/manifests/')
        ? {
            kind: 'status',
            status: 200,
            body: Buffer.alloc(4 * 1024 * 1024 + 1, 0x20),
            headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
          }
        : undefined;
    const err = await rejection(newClient(0).resolveComponent(parseOciReference(`${proxy.host}/faults/app:1`)));
    expect(err.code).toBe('OCI_MANIFEST_UNSUPPORTED');
    expect(err.message).toContain('larger than 4194304 bytes');
  });
});

describe('redirects (fault proxy)', () => {
  it('follows a blob redirect to another host (as registries do to blob storage)', async () => {
    // The proxy sends blob GETs on to the registry's own address, a different host:port.
    proxy.fault = (req) =>
      req.url?.includes('/blobs/')
        ? { kind: 'status', status: 307, headers: { location: `http://${registry.host}${req.url}` } }
        : undefined;
    const dest = join(work, 'redirected.wasm');
    await newClient(0).downloadBlob(parseOciReference(`${proxy.host}/faults/app:1`), layerDigest, dest);
    expect(digestOf(await readFile(dest))).toBe(layerDigest);
    await rm(dest);
  });
});
