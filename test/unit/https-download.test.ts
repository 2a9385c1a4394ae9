// downloadHttps against a real node:http server on loopback.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadHttps } from '../../src/source/https-download.js';
import { driverRejection } from '../support/rejection.js';

const body = Buffer.alloc(300_000, 7);
const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
let server: Server;
let base: string;
let dir: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'https-download-'));
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/ok') return res.end(body);
    if (path === '/flaky' && hits.get(path) === 1) return res.writeHead(503).end();
    if (path === '/flaky') return res.end(body);
    if (path === '/down') return res.writeHead(502).end();
    if (path === '/chunked') {
      // No content-length: the size limit must hold while streaming.
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.write(body.subarray(0, 150_000));
      return res.end(body.subarray(150_000));
    }
    res.writeHead(404).end('no such file');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('downloadHttps', () => {
  it('downloads and checks the digest, reporting progress up to the total', async () => {
    const dest = join(dir, 'ok');
    const seen: number[] = [];
    await downloadHttps(new URL(`${base}/ok`), dest, {
      expectedDigest: digest,
      maxBytes: 1 << 20,
      onProgress: (got) => seen.push(got),
    });
    expect(await readFile(dest)).toEqual(body);
    expect(seen.at(-1)).toBe(body.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('rejects bytes that do not match the checksum and leaves no file', async () => {
    const dest = join(dir, 'mismatch');
    const err = await driverRejection(
      downloadHttps(new URL(`${base}/ok`), dest, { expectedDigest: `sha256:${'0'.repeat(64)}`, maxBytes: 1 << 20 }),
    );
    expect(err.code).toBe('COMPONENT_CHECKSUM_MISMATCH');
    expect(err.message).toContain(digest);
    expect(await exists(dest)).toBe(false);
  });

  it('stops at max bytes, by content-length and while streaming without one', async () => {
    for (const path of ['/ok', '/chunked']) {
      const dest = join(dir, `big${path.slice(1)}`);
      const err = await driverRejection(
        downloadHttps(new URL(base + path), dest, { expectedDigest: digest, maxBytes: 100_000 }),
      );
      expect(err.code).toBe('COMPONENT_TOO_LARGE');
      expect(await exists(dest)).toBe(false);
    }
  });

  it('retries a 503 and succeeds', async () => {
    const dest = join(dir, 'flaky');
    await downloadHttps(new URL(`${base}/flaky`), dest, { expectedDigest: digest, maxBytes: 1 << 20 });
    expect(hits.get('/flaky')).toBe(2);
    expect(await readFile(dest)).toEqual(body);
  });

  it('gives up after the retries on a failing server, naming the URL and attempts', async () => {
    const err = await driverRejection(
      downloadHttps(new URL(`${base}/down`), join(dir, 'down'), {
        expectedDigest: digest,
        maxBytes: 1 << 20,
        retries: 2,
      }),
    );
    expect(err.code).toBe('COMPONENT_DOWNLOAD_FAILED');
    expect(err.recoverable).toBe(true);
    expect(err.message).toMatch(/after 3 attempts: HTTP 502/);
    expect(hits.get('/down')).toBe(3);
  });

  it('does not retry a 404', async () => {
    const err = await driverRejection(
      downloadHttps(new URL(`${base}/missing`), join(dir, 'missing'), { expectedDigest: digest, maxBytes: 1 << 20 }),
    );
    expect(err.code).toBe('COMPONENT_DOWNLOAD_FAILED');
    expect(err.message).toMatch(/HTTP 404/);
    expect(hits.get('/missing')).toBe(1);
  });

  it('reports an unreachable server as a download failure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await driverRejection(
      downloadHttps(new URL(`http://127.0.0.1:${port}/x.wasm`), join(dir, 'refused'), {
        expectedDigest: digest,
        maxBytes: 1 << 20,
        retries: 1,
      }),
    );
    expect(err.code).toBe('COMPONENT_DOWNLOAD_FAILED');
    expect(err.message).toMatch(/after 2 attempts: .*ECONNREFUSED/);
  });
});
