// How guest responses go on the wire (src/runtime/response-sink.ts): a
// small body the guest finishes goes out in one piece with a
// Content-Length; a large one streams in chunks; and what a guest wrote
// before it blocked reaches the client while it is still blocked.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useTaskHostDir } from './support/task-host.ts';

const hosts = useTaskHostDir('framing-');

async function serve(component: string): Promise<string> {
  const { url } = await hosts.serve({ component }, { method: 'HEAD' });
  return url;
}

interface Received {
  readonly headers: Record<string, string | string[] | undefined>;
  /** Each chunk of the body with the milliseconds since the headers arrived. */
  readonly chunks: { text: string; at: number }[];
}

function receive(url: string, method = 'GET', body?: Uint8Array): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      const start = performance.now();
      const chunks: { text: string; at: number }[] = [];
      res.on('data', (chunk: Buffer) => chunks.push({ text: chunk.toString('latin1'), at: performance.now() - start }));
      res.on('end', () => resolve({ headers: res.headers, chunks }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('response framing', () => {
  it('a small finished body goes out with a Content-Length, not chunked', async () => {
    const url = await serve('hello-http');
    const { headers, chunks } = await receive(url);
    expect(headers['content-length']).toBe('16');
    expect(headers['transfer-encoding']).toBeUndefined();
    expect(chunks.map((c) => c.text).join('')).toBe('hello from wasm\n');
  });

  it('HEAD gets no invented Content-Length', async () => {
    const url = await serve('hello-http');
    const { headers, chunks } = await receive(url, 'HEAD');
    expect(headers['content-length']).toBeUndefined();
    expect(chunks).toEqual([]);
  });

  it('a large body comes back unchanged, and a length the guest declared stands', async () => {
    // echo-http copies the request's headers, Content-Length included, into its response.
    const url = await serve('echo-http');
    const body = randomBytes(1024 * 1024);
    const { headers, chunks } = await receive(url, 'POST', body);
    expect(headers['content-length']).toBe(String(body.length));
    expect(Buffer.from(chunks.map((c) => c.text).join(''), 'latin1').equals(body)).toBe(true);
  });

  it('what the guest wrote before sleeping arrives while it sleeps', async () => {
    const url = await serve('slow-stream');
    const { headers, chunks } = await receive(url);
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(chunks.map((c) => c.text)).toEqual(['first\n', 'second\n']);
    // The guest sleeps 1.5 s between its writes.
    expect((chunks[1]?.at ?? 0) - (chunks[0]?.at ?? 0)).toBeGreaterThan(1000);
  });
});
