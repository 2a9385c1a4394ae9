// ResponseWriterP3 on a real node:http server: a body finished within
// HOLD_MS goes out in one piece with a Content-Length; one still open after
// that, or past the hold limit, or with trailers, streams in chunked encoding.
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HOLD_MS, ResponseWriterP3 } from '../../src/runtime/response-writer-p3.ts';
import { HOLD_LIMIT } from '../../src/runtime/response-sink.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

interface Answer {
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
  body: Buffer;
  /** Milliseconds from the request to the head's arrival. */
  headAfterMs: number;
}

/** Serves one response written by `respond`; returns the client's view of it. */
async function exchange(respond: (res: ServerResponse) => void | Promise<void>, method = 'GET'): Promise<Answer> {
  server = createServer((_req, res) => void respond(res));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method }, (res) => {
      const headAfterMs = Date.now() - started;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks), headAfterMs }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ResponseWriterP3', () => {
  it('holds a body finished within the hold and sends it with a Content-Length', async () => {
    const answer = await exchange(async (res) => {
      // A hold longer than the test can take on a loaded machine: only the ending sends it.
      const writer = new ResponseWriterP3(res, 201, ['content-type', 'text/plain'], false, 60_000);
      await writer.write(Buffer.from('hello '));
      await sleep(50);
      await writer.write(Buffer.from('world'));
      expect(res.headersSent).toBe(false);
      writer.end();
    });
    expect(answer.headers['content-length']).toBe('11');
    expect(answer.headers['transfer-encoding']).toBeUndefined();
    expect(answer.body.toString()).toBe('hello world');
  });

  it('sends the head and what it holds once HOLD_MS pass, then streams', async () => {
    const answer = await exchange(async (res) => {
      const writer = new ResponseWriterP3(res, 200, [], false);
      await writer.write(Buffer.from('first '));
      await sleep(HOLD_MS + 20);
      expect(res.headersSent).toBe(true);
      await sleep(300);
      await writer.write(Buffer.from('second'));
      writer.end();
    });
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    expect(answer.headAfterMs).toBeLessThan(250);
    expect(answer.body.toString()).toBe('first second');
  });

  it('streams once more than the hold limit is written', async () => {
    const piece = Buffer.alloc(16 * 1024, 'x');
    const pieces = Math.ceil((HOLD_LIMIT * 2) / piece.length);
    const answer = await exchange(async (res) => {
      const writer = new ResponseWriterP3(res, 200, [], false);
      for (let i = 0; i < pieces; i++) await writer.write(piece);
      writer.end();
    });
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    expect(answer.body.length).toBe(piece.length * pieces);
  });

  it('streams a response with trailers, however small, and sends the trailers', async () => {
    const answer = await exchange(async (res) => {
      const writer = new ResponseWriterP3(res, 200, [], false);
      await writer.write(Buffer.from('body'));
      writer.end([['x-checksum', 'abc']]);
    });
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    expect(answer.trailers['x-checksum']).toBe('abc');
    expect(answer.body.toString()).toBe('body');
  });

  it('keeps a Content-Length the guest declared; adds none to bodiless answers or HEAD', async () => {
    const declared = await exchange(async (res) => {
      const writer = new ResponseWriterP3(res, 200, ['Content-Length', '5'], false);
      await writer.write(Buffer.from('12345'));
      writer.end();
    });
    expect(declared.headers['content-length']).toBe('5');
    const noContent = await exchange((res) => new ResponseWriterP3(res, 204, [], false).end());
    expect(noContent.headers['content-length']).toBeUndefined();
    const head = await exchange(async (res) => {
      const writer = new ResponseWriterP3(res, 200, [], true);
      await writer.write(Buffer.from('not sent'));
      writer.end();
    }, 'HEAD');
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBeUndefined();
  });

  it('refuses writes once the client has gone', async () => {
    let refused: unknown;
    await exchange(async (res) => {
      const writer = new ResponseWriterP3(res, 200, [], false);
      res.destroy();
      refused = await writer.write(Buffer.from('x')).catch((err: unknown) => err);
      writer.abandon();
    }).catch(() => undefined);
    expect((refused as Error).message).toBe('the client closed the connection');
  });

  it('a write waiting for the client to take more fails once the client hangs up, instead of waiting for ever', async () => {
    let pending: Promise<void> | undefined;
    let streamed!: () => void;
    const waiting = new Promise<void>((resolve) => (streamed = resolve));
    server = createServer((_req, res) => {
      const writer = new ResponseWriterP3(res, 200, [], false);
      void (async () => {
        // Past the hold limit the head and the chunk go out, more than the sockets' buffers take:
        // node:http keeps the rest, and the next write waits for room the paused client never makes.
        await writer.write(Buffer.alloc(32 * 1024 * 1024));
        pending = writer.write(Buffer.from('x'));
        streamed();
      })();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const req = request({ host: '127.0.0.1', port }, (res) => res.pause());
    req.on('error', () => undefined); // destroyed below
    req.end();
    await waiting;
    req.destroy();
    const outcome = await Promise.race([
      (pending as Promise<void>).then(
        () => 'resolved',
        (err: unknown) => (err as Error).message,
      ),
      sleep(5_000).then(() => 'still waiting 5 s after the client hung up'),
    ]);
    expect(outcome).toBe('the client closed the connection');
  });
});
