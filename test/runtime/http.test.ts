// wasi:http services on the in-thread host: headers, status codes, large
// bodies both ways, concurrent requests, both instance modes, and the
// outbound allow-list.
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, useTaskHostDir } from './support/task-host.ts';
import type { FutureIncomingResponse } from '../../src/wasi/http-types.ts';
import type { AllowEntry } from '../../src/wasi/http-allow-list.ts';

// From the build, typed by the sources: the outbound helper worker is a
// compiled file next to these modules.
const dist = (name: string): string => new URL(`../../dist/wasi/${name}.js`, import.meta.url).href;
const { Fields } = (await import(dist('http-fields'))) as typeof import('../../src/wasi/http-fields.ts');
const { OutgoingRequest } = (await import(dist('http-types'))) as typeof import('../../src/wasi/http-types.ts');
const { outgoingHandler } = (await import(dist('http-outgoing'))) as typeof import('../../src/wasi/http-outgoing.ts');
const { parseAllowEntry } = (await import(
  dist('http-allow-list')
)) as typeof import('../../src/wasi/http-allow-list.ts');

const hosts = useTaskHostDir('http-');

async function serve(component: string, httpInstance: 'shared' | 'per-request'): Promise<string> {
  return (await hosts.serve({ component, grants: { httpInstance } })).url;
}

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe.each(['shared', 'per-request'] as const)('echo component, %s instance', (mode) => {
  let url: string;
  beforeAll(async () => {
    url = await serve('echo-http', mode);
  });

  it('returns the status the guest set and the headers it copied', async () => {
    const response = await fetch(`${url}/path?q=1`, { headers: { 'x-custom': 'value-1', 'x-multi': 'a' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-custom')).toBe('value-1');
    expect(response.headers.get('x-multi')).toBe('a');
    expect(await response.text()).toBe('');
  });

  it('streams an 8 MiB body back unchanged', async () => {
    const body = randomBytes(8 * 1024 * 1024);
    const response = await fetch(url, { method: 'POST', body });
    const echoed = new Uint8Array(await response.arrayBuffer());
    expect(echoed.length).toBe(body.length);
    expect(sha(echoed)).toBe(sha(body));
  });

  it('answers 50 concurrent requests, each with its own body', async () => {
    const bodies = Array.from({ length: 50 }, (_, i) => `request ${i} ${'x'.repeat(i * 100)}`);
    const answers = await Promise.all(bodies.map((body) => fetch(url, { method: 'PUT', body }).then((r) => r.text())));
    expect(answers).toEqual(bodies);
  });
});

describe('hello component', () => {
  it('serves its fixed answer in both modes', async () => {
    for (const mode of ['shared', 'per-request'] as const) {
      const response = await fetch(await serve('hello-http', mode));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(await response.text()).toBe('hello from wasm\n');
    }
  });
});

describe('outbound HTTP allow-list (host objects as the guest uses them)', () => {
  let target: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    // In another process: the host blocks this thread while a request runs.
    target = spawn(process.execPath, [
      '-e',
      `require('http').createServer((q, s) => s.end('pong ' + q.url)).listen(${port}, '127.0.0.1')`,
    ]);
    await new Promise((r) => setTimeout(r, 500));
  });
  afterAll(() => target.kill());

  function request(allow: string[], authority: string): FutureIncomingResponse {
    const entries = allow.map(parseAllowEntry) as AllowEntry[];
    const outgoing = new OutgoingRequest(new Fields());
    outgoing.setScheme({ tag: 'HTTP' });
    outgoing.setAuthority(authority);
    outgoing.setPathWithQuery('/ping');
    return outgoingHandler({ allow: entries }).handle(outgoing, undefined);
  }

  it('an allowed authority is fetched', () => {
    const result = request([`127.0.0.1:${port}`], `127.0.0.1:${port}`).get();
    if (result.tag !== 'ok' || result.val.tag !== 'ok') throw new Error(`unexpected ${JSON.stringify(result)}`);
    const response = result.val.val;
    expect(response.status()).toBe(200);
    const stream = response.consume().stream();
    expect(Buffer.from(stream.blockingRead(1024n)).toString()).toBe('pong /ping');
  });

  it('another port of an allowed host, or another host, is denied with HTTP-request-denied', () => {
    expect(() => request(['127.0.0.1'], `127.0.0.1:${port}`)).toThrow(
      expect.objectContaining({ tag: 'HTTP-request-denied' }) as Error,
    );
    expect(() => request(['*.example.com'], `127.0.0.1:${port}`)).toThrow(
      expect.objectContaining({ tag: 'HTTP-request-denied' }) as Error,
    );
    expect(() => request([], 'example.com')).toThrow(expect.objectContaining({ tag: 'HTTP-request-denied' }) as Error);
  });

  it('a refused connection comes back as an error value, not a host failure', async () => {
    const closed = await freePort();
    const result = request([`127.0.0.1:${closed}`], `127.0.0.1:${closed}`).get();
    expect(result).toEqual({ tag: 'ok', val: { tag: 'err', val: { tag: 'connection-refused' } } });
  });
});
