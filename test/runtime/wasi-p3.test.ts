// WASI 0.3 components in real task hosts, on the driver's own 0.3 host:
// command-p3 and http-p3 are Python built by componentize-py 0.25.1 (they
// import WASI 0.2 interfaces too, for the Python runtime), hello-http-p3 is
// hand-written against the async ABI. The grants model is the 0.2 one: the
// same launch spec fields, checked here through the 0.3 interfaces.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { request as httpRequest, createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit, startHost, useTaskHostDir } from './support/task-host.ts';

const hosts = useTaskHostDir('wasi-p3-');
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('a WASI 0.3 command (componentize-py)', () => {
  let data: string;
  let scratch: string;
  beforeAll(async () => {
    const task = await realpath(hosts.dir());
    data = join(task, 'task/local/data');
    scratch = join(task, 'task/local/scratch');
    await mkdir(data, { recursive: true });
    await mkdir(scratch, { recursive: true });
    await writeFile(join(data, 'a.txt'), 'file in a read-only mount\n');
    await writeFile(join(data, 'b.txt'), 'b\n');
  });
  const mounts = () => [
    { guestPath: '/data', hostPath: data, readOnly: true },
    { guestPath: '/scratch', hostPath: scratch, readOnly: false },
  ];
  const run = (args: string[], grants = {}) => runToExit({ component: 'command-p3', dir: hosts.dir(), args, grants });

  it('writes through WASI 0.2 print and a WASI 0.3 stdout stream, and exits 0', () => {
    const result = run(['hello']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'hello from python on wasi 0.3 (print)\nhello from python on wasi 0.3 (stdout stream)\n',
    );
  });

  it('sees its args and only the granted environment', () => {
    expect(run(['args', 'x y', 'z']).stdout).toBe('command-p3.wasm\nargs\nx y\nz\n');
    const granted = run(['env', 'GREETING'], { env: { GREETING: 'hello from the job' } });
    expect(granted.stdout).toBe('hello from the job\n');
    const ungranted = runToExit({
      component: 'command-p3',
      dir: hosts.dir(),
      args: ['env', 'PATH'],
      hostEnv: { PATH: '/usr/bin', SECRET: 'host' },
    });
    expect(ungranted.status).toBe(2); // unset: the host's environment is not the guest's
  });

  it('ends with the code it exits with (wasi:cli/exit@0.3 exit-with-code), 1 when run returns err', () => {
    expect(run(['exit', '3']).status).toBe(3);
    expect(run(['exit', '0']).status).toBe(0);
    const failed = run(['fail']);
    expect(failed.status).toBe(1);
    expect(failed.stderr).not.toContain('trapped');
  });

  it('a trap ends the task with code 1 and says so in its log', () => {
    const result = run(['trap']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('asked to trap');
    expect(result.stderr).toContain('[nomad-driver-wasm] component trapped');
  });

  it('reads and lists a granted mount through wasi:filesystem@0.3', () => {
    expect(run(['cat', '/data/a.txt'], { mounts: mounts() }).stdout).toBe('file in a read-only mount\n');
    expect(run(['ls', '/data'], { mounts: mounts() }).stdout).toBe('a.txt\nb.txt\n');
  });

  it('writes only to a read-write mount: read-only gives read-only, escapes not-permitted', async () => {
    expect(run(['write', '/data/new.txt', 'no'], { mounts: mounts() }).stdout).toBe('ReadOnly\n');
    await expect(readFile(join(data, 'new.txt'))).rejects.toThrow(/ENOENT/);
    expect(run(['write', '/scratch/new.txt', 'written by wasi 0.3'], { mounts: mounts() }).stdout).toBe('wrote\n');
    expect(await readFile(join(scratch, 'new.txt'), 'utf8')).toBe('written by wasi 0.3');
    expect(run(['open', '/data/../../../../etc/passwd'], { mounts: mounts() }).stdout).toBe('NotPermitted\n');
  });

  it('has no files at all without a mount', () => {
    const result = run(['cat', '/data/a.txt']);
    expect(result.status).toBe(1); // no preopen holds /data: the app's run() returns err
    expect(result.stdout).toBe('');
  });

  it('waits on wasi:clocks@0.3 without blocking its thread', () => {
    const started = Date.now();
    const result = run(['sleep', '400']);
    expect(result.stdout).toBe('slept\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});

describe('the task log says which WASI release runs', () => {
  it('a 0.3 service in per-request mode resets its instances: no notice that they are built afresh', async () => {
    const { host, url } = await hosts.serve({
      component: 'hello-http-p3',
      grants: { httpInstance: 'per-request' },
    });
    let stderr = '';
    host.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for (let i = 0; i < 5; i++) expect((await fetch(url)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(stderr).not.toContain('freshly instantiated');
    expect(stderr).not.toContain('was not reset');
  });
});

describe('a WASI 0.3 service whose client hangs up in the middle of a long body', () => {
  /** GET, the head and the first bytes of the body, then the connection goes. */
  const hangUpAfterFirstBytes = (url: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(url, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve(res.statusCode ?? 0);
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });

  it('per-request: lets go of the body and its trailers, so the instance comes to rest and is reset', async () => {
    const { host, url } = await hosts.serve({ component: 'long-http-p3', grants: { httpInstance: 'per-request' } });
    let stderr = '';
    host.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for (let i = 0; i < 3; i++) expect(await hangUpAfterFirstBytes(url)).toBe(200);
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect((await whole.arrayBuffer()).byteLength).toBe(256 * 32 * 1024);
    await new Promise((r) => setTimeout(r, 300));
    expect(stderr).not.toContain('was not reset');
    expect(stderr).not.toContain('trapped');
  });
});

describe.each(['shared', 'per-request'] as const)('a WASI 0.3 service (componentize-py), %s instance', (mode) => {
  let url: string;
  let upstream: Server;
  let upstreamPort: number;
  beforeAll(async () => {
    upstream = createServer((req, res) => res.end(`pong ${req.url}`));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const address = upstream.address();
    upstreamPort = typeof address === 'object' && address ? address.port : 0;
    url = (
      await hosts.serve({
        component: 'http-p3',
        grants: {
          httpInstance: mode,
          env: { GREETING: 'hello from the job' },
          outboundHttp: [`127.0.0.1:${upstreamPort}`],
          config: { values: { 'app.name': 'demo' }, secretKeys: [], secretEnv: {} },
        },
      })
    ).url;
  });
  afterAll(() => upstream.close());

  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: await response.text() };
  };

  it('answers, with the granted env and config values only', async () => {
    expect(await get('/')).toEqual({ status: 200, body: 'hello from python on wasi 0.3\n' });
    expect(await get('/env?name=GREETING')).toEqual({ status: 200, body: 'hello from the job' });
    expect((await get('/env?name=PATH')).status).toBe(404);
    expect(await get('/config?key=app.name')).toEqual({ status: 200, body: 'demo' });
    expect((await get('/config?key=other')).status).toBe(404);
  });

  it('streams an 8 MiB request body back unchanged', async () => {
    const body = randomBytes(8 * 1024 * 1024);
    const response = await fetch(`${url}/echo`, { method: 'POST', body });
    const echoed = new Uint8Array(await response.arrayBuffer());
    expect(echoed.length).toBe(body.length);
    expect(sha(echoed)).toBe(sha(body));
  });

  it('sends response trailers, and hands request trailers to the guest', async () => {
    const trailers = await new Promise<Record<string, string | undefined>>((resolve, reject) => {
      const req = httpRequest(`${url}/trailers`, (res) => {
        res.resume();
        res.on('end', () => resolve(res.trailers));
      });
      req.on('error', reject);
      req.end();
    });
    expect(trailers['x-checksum']).toBe(sha(Buffer.from('body with a trailer\n')));
    // /echo answers with the request's own trailers.
    const echoed = await new Promise<{ body: string; trailers: Record<string, string | undefined> }>(
      (resolve, reject) => {
        const req = httpRequest(`${url}/echo`, { method: 'POST', headers: { trailer: 'x-request-trailer' } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ body, trailers: res.trailers }));
        });
        req.on('error', reject);
        req.write('chunked body');
        req.addTrailers({ 'x-request-trailer': 'from the client' });
        req.end();
      },
    );
    expect(echoed).toEqual({ body: 'chunked body', trailers: { 'x-request-trailer': 'from the client' } });
  });

  it('a small answer the guest finishes at once goes out with its Content-Length; a streamed one is chunked', async () => {
    const head = async (path: string, method = 'GET'): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(`${url}${path}`, { method }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, ...res.headers }));
        });
        req.on('error', reject);
        req.end();
      });
    // Held for HOLD_MS (5 ms) at most: a guest slowed past that by a loaded machine streams instead,
    // so one of three tries must come whole.
    let small = await head('/');
    for (let tries = 1; tries < 3 && small['content-length'] === undefined; tries++) small = await head('/');
    expect(small).toMatchObject({ status: 200, 'content-length': '30' });
    expect(small['transfer-encoding']).toBeUndefined();
    const streamed = await head('/stream?n=2&ms=50');
    expect(streamed).toMatchObject({ status: 200, 'transfer-encoding': 'chunked' });
    expect(streamed['content-length']).toBeUndefined();
    // Trailers need chunked encoding, however small the body.
    expect(await head('/trailers')).toMatchObject({ 'transfer-encoding': 'chunked' });
  });

  it('streams a response as the guest writes it, not at the end', async () => {
    const arrivals: number[] = [];
    const started = Date.now();
    const response = await fetch(`${url}/stream?n=3&ms=700`);
    const reader = response.body!.getReader();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      arrivals.push(Date.now() - started);
    }
    expect(text).toBe('line 0\nline 1\nline 2\n');
    // The first line arrives before the guest has waited twice.
    expect(arrivals[0]).toBeLessThan(1400);
    expect(arrivals.at(-1)!).toBeGreaterThanOrEqual(1400);
  });

  it('answers 20 concurrent requests, each with its own body', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => `request ${i} ${'x'.repeat(i * 50)}`);
    const answers = await Promise.all(
      bodies.map((body) => fetch(`${url}/echo`, { method: 'POST', body }).then((r) => r.text())),
    );
    expect(answers).toEqual(bodies);
  });

  it('calls an allowed host through wasi:http/client@0.3; any other is HTTP-request-denied', async () => {
    expect(await get(`/fetch?url=http://127.0.0.1:${upstreamPort}/item`)).toEqual({
      status: 200,
      body: '200 pong /item',
    });
    expect(await get('/fetch?url=http://127.0.0.1:1/item')).toEqual({
      status: 502,
      body: 'ErrorCode_HttpRequestDenied\n',
    });
    expect(await get('/fetch?url=https://example.com/')).toEqual({
      status: 502,
      body: 'ErrorCode_HttpRequestDenied\n',
    });
  });

  it('a body the guest reports failed (err in its trailers future) is cut off, not ended', async () => {
    const outcome = await fetch(`${url}/body-error`)
      .then(async (response) => `complete: ${await response.text()}`)
      .catch((err: Error) => `cut off: ${err.message}`);
    expect(outcome).toMatch(/^cut off/);
    expect((await get('/')).status).toBe(200);
  });

  it('a trap answers 500 and the service goes on', async () => {
    expect((await get('/trap')).status).toBe(500);
    expect(await get('/')).toEqual({ status: 200, body: 'hello from python on wasi 0.3\n' });
  });

  it('a trap in the middle of a response cuts it off: the client cannot take it for complete', async () => {
    const outcome = await fetch(`${url}/stream?n=3&ms=100&trap=1`)
      .then(async (response) => `complete: ${await response.text()}`)
      .catch((err: Error) => `cut off: ${err.message}`);
    expect(outcome).toMatch(/^cut off/);
    expect((await get('/')).status).toBe(200);
  });
});

describe('WASI 0.3 per-request isolation', () => {
  let perRequest: string;
  let perRequestLog = '';
  let shared: string;
  beforeAll(async () => {
    const served = await Promise.all([
      hosts.serve({ component: 'http-p3', grants: { httpInstance: 'per-request' } }),
      hosts.serve({ component: 'http-p3', grants: { httpInstance: 'shared' } }),
    ]);
    perRequest = served[0].url;
    shared = served[1].url;
    served[0].host.stderr?.on('data', (chunk: Buffer) => (perRequestLog += chunk.toString()));
  });
  const counter = async (base: string): Promise<string> => (await (await fetch(`${base}/counter`)).text()).trim();

  it('shared: globals, linear memory and the handle table carry over (the control)', async () => {
    const [g1, m1, h1] = (await counter(shared)).split(' ').map(Number);
    const [g2, m2, h2] = (await counter(shared)).split(' ').map(Number);
    expect([g2, m2]).toEqual([g1! + 1, m1! + 1]);
    expect(h2).not.toBe(h1); // the first request's Fields is still held: a new handle number
  });

  it('per-request: every request starts from the first state, in a row and 30 at once', async () => {
    const fresh = await counter(perRequest);
    expect(fresh).toMatch(/^1 1 \d+$/);
    for (let i = 0; i < 5; i++) expect(await counter(perRequest)).toBe(fresh);
    const concurrent = await Promise.all(Array.from({ length: 30 }, () => counter(perRequest)));
    expect(new Set(concurrent)).toEqual(new Set([fresh]));
  });

  it('per-request: after traps, before and in the middle of a response, mixed with load', async () => {
    const fresh = await counter(perRequest);
    const mixed = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0
          ? fetch(`${perRequest}/trap`).then((r) => `trap ${r.status}`)
          : i % 3 === 1
            ? fetch(`${perRequest}/stream?n=2&ms=50&trap=1`)
                .then(async (r) => (await r.text(), 'stream'))
                .catch(() => 'stream')
            : counter(perRequest),
      ),
    );
    expect(mixed.filter((m) => m.startsWith('trap'))).toEqual(Array(4).fill('trap 500'));
    expect(mixed.filter((m) => !m.startsWith('trap') && m !== 'stream')).toEqual(Array(4).fill(fresh));
    expect(await counter(perRequest)).toBe(fresh);
  });

  it('per-request: an instance that keeps a stream after its request is thrown away, not reset, and says why', async () => {
    const fresh = await counter(perRequest);
    const kept = await fetch(`${perRequest}/keep-stream`);
    expect([kept.status, await kept.text()]).toEqual([200, 'keeping a stream\n']);
    for (let i = 0; i < 50 && !perRequestLog.includes('was not reset'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(perRequestLog).toContain(
      'a per-request instance was not reset after its request (the guest holds a waitable, stream or future)',
    );
    const after = await Promise.all(Array.from({ length: 5 }, () => counter(perRequest)));
    expect(new Set(after)).toEqual(new Set([fresh]));
  });
});

describe('WASI 0.3 tasks under the same controls as 0.2', () => {
  it('an endless loop in a command is stopped by SIGTERM at once', async () => {
    const child = hosts.track(startHost({ component: 'command-p3', dir: hosts.dir(), args: ['spin'] }));
    await new Promise((r) => setTimeout(r, 3000)); // loaded and spinning
    const started = Date.now();
    child.kill('SIGTERM');
    const signal = await new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, sig) => r(sig)));
    expect(signal).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('linear memory stops at the task ceiling: the request traps, the service goes on', async () => {
    const { url } = await hosts.serve({ component: 'http-p3', grants: { httpInstance: 'shared', memoryMaxMiB: 96 } });
    const within = await fetch(`${url}/grow?mb=8`);
    expect(await within.text()).toBe('holding 8 MiB\n');
    expect((await fetch(`${url}/grow?mb=128`)).status).toBe(500);
    expect(await (await fetch(`${url}/`)).text()).toBe('hello from python on wasi 0.3\n');
  });

  it('SIGHUP replaces the instance of a shared service: its state starts over', async () => {
    const { host, url } = await hosts.serve({ component: 'http-p3', grants: { httpInstance: 'shared' } });
    const counter = async (): Promise<string> => (await (await fetch(`${url}/counter`)).text()).split(' ')[0] ?? '';
    await counter();
    expect(await counter()).toBe('2');
    host.kill('SIGHUP');
    let after = '';
    for (let i = 0; i < 100 && after !== '1'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await counter();
    }
    expect(after).toBe('1');
  });
});

describe('WASI 0.3 outbound HTTP to granted services by name', () => {
  const backends: Server[] = [];
  const backend = async (name: string): Promise<{ port: number; hits: string[] }> => {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(`${req.headers.host} ${req.url}`);
      res.end(`${name} ${req.url}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    backends.push(server);
    const address = server.address();
    return { port: typeof address === 'object' && address ? address.port : 0, hits };
  };
  afterAll(() => backends.forEach((server) => server.close()));

  it('spreads calls over the instances, retries a refusing one, and denies names not granted', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const refusing = await backend('gone');
    await new Promise<void>((resolve) => backends.pop()?.close(() => resolve()));
    const instances = [a, b, refusing].map(({ port }) => ({ address: '127.0.0.1', port }));
    const { url } = await hosts.serve({
      component: 'http-p3',
      grants: { services: [{ provider: 'consul', name: 'backend' }] },
      services: [{ ref: { provider: 'consul', name: 'backend' }, instances }],
    });
    const bodies: string[] = [];
    for (let i = 0; i < 9; i++)
      bodies.push(await (await fetch(`${url}/fetch?url=http://backend.service.consul/item/${i}`)).text());
    expect(bodies.every((body) => /^200 [ab] \/item\/\d$/.test(body))).toBe(true);
    expect(a.hits.length + b.hits.length).toBe(9);
    expect(a.hits.length).toBeGreaterThan(0);
    expect(b.hits.length).toBeGreaterThan(0);
    expect(a.hits[0]).toMatch(/^backend\.service\.consul \/item\/\d$/);
    const other = await fetch(`${url}/fetch?url=http://other.service.consul/x`);
    expect(await other.text()).toBe('ErrorCode_HttpRequestDenied\n');
  });
});
