// ResponseSink on a real node:http server: small finished bodies are framed
// with a Content-Length and sent in one piece; past the hold limit, or once
// the thread is about to block, the body streams in chunks.
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseSink, HOLD_LIMIT } from '../../src/runtime/response-sink.ts';
import { beforeBlocking } from '../../src/wasi/before-blocking.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Serves one response written by `respond`; returns the client's view of it. */
async function exchange(
  respond: (res: ServerResponse) => void,
  method = 'GET',
): Promise<{ headers: Record<string, unknown>; rawHeaders: string[]; body: Buffer }> {
  server = createServer((_req, res) => respond(res));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ResponseSink', () => {
  it('holds a small body and sends it with a Content-Length when it ends', async () => {
    const { headers, body } = await exchange((res) => {
      const sink = new ResponseSink(res, 201, ['content-type', 'text/plain'], false);
      sink.write(Buffer.from('hello '));
      sink.write(Buffer.from('world'));
      expect(res.headersSent).toBe(false);
      sink.end();
    });
    expect(headers['content-length']).toBe('11');
    expect(headers['transfer-encoding']).toBeUndefined();
    expect(body.toString()).toBe('hello world');
  });

  it('sends a repeated name as one header line per value, in order, streamed or not', async () => {
    const list = ['set-cookie', 'a=1', 'x-multi', 'one', 'set-cookie', 'b=2', 'x-multi', 'two'];
    const lines = (raw: string[]): string[] =>
      raw.flatMap((name, i) => (i % 2 === 0 && /^(set-cookie|x-multi)$/.test(name) ? [`${name}: ${raw[i + 1]}`] : []));
    const expected = ['set-cookie: a=1', 'x-multi: one', 'set-cookie: b=2', 'x-multi: two'];
    const held = await exchange((res) => new ResponseSink(res, 200, [...list], false).end());
    expect(lines(held.rawHeaders)).toEqual(expected);
    expect(held.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    const streamed = await exchange((res) => {
      const sink = new ResponseSink(res, 200, [...list], false);
      sink.write(Buffer.from('x'));
      beforeBlocking();
      sink.end();
    });
    expect(lines(streamed.rawHeaders)).toEqual(expected);
  });

  it('streams once more than the hold limit is written', async () => {
    const piece = Buffer.alloc(10 * 1024, 'x');
    const pieces = Math.ceil((HOLD_LIMIT * 2) / piece.length);
    const { headers, body } = await exchange((res) => {
      const sink = new ResponseSink(res, 200, [], false);
      for (let i = 0; i < pieces; i++) sink.write(piece);
      expect(sink.started).toBe(true);
      sink.end();
    });
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(headers['content-length']).toBeUndefined();
    expect(body.length).toBe(piece.length * pieces);
  });

  it('starts streaming when the thread is about to block', async () => {
    const { headers, body } = await exchange((res) => {
      const sink = new ResponseSink(res, 200, [], false);
      sink.write(Buffer.from('first '));
      beforeBlocking();
      expect(sink.started).toBe(true);
      sink.write(Buffer.from('second'));
      sink.end();
      beforeBlocking(); // an ended sink is no longer listening
    });
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(body.toString()).toBe('first second');
  });

  it('keeps the framing a guest declared, and adds no length to bodiless responses', async () => {
    const declared = await exchange((res) => {
      const sink = new ResponseSink(res, 200, ['content-length', '5'], false);
      sink.write(Buffer.from('12345'));
      sink.end();
    });
    expect(declared.headers['content-length']).toBe('5');
    const noContent = await exchange((res) => new ResponseSink(res, 204, [], false).end());
    expect(noContent.headers['content-length']).toBeUndefined();
  });
});
