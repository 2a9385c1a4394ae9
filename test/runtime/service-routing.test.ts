// Calling services by name from a real component (service-probe, through
// wasi:http/outgoing-handler) in a real task host: the host maps
// `backend.service.consul` to the instances it knows, spreads requests,
// retries another instance when one refuses connections, takes new sets
// from the plugin's end of the control channel, and refuses names the task
// did not grant. No catalog here: the test plays the plugin's part
// (initial sets in the launch spec, pushes over the channel); the watches
// against a real Consul are tested in test/services and end to end in
// test/e2e/consul.e2e.test.ts.
import { freePort } from '../support/ports.ts';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost } from './support/task-host.ts';
import { controlSocketPath } from '../../src/ipc/control-protocol.ts';
import type { ServiceInstance } from '../../src/services/service-instance.ts';

const { HostChannel } = (await import(
  new URL('../../dist/task/host-channel.js', import.meta.url).href
)) as typeof import('../../src/task/host-channel.ts');

interface Backend {
  readonly name: string;
  readonly port: number;
  readonly server: Server;
  readonly hits: { path: string; headers: IncomingHttpHeaders }[];
}

let dir: string;
const hosts: ChildProcess[] = [];
const backends: Backend[] = [];

async function backend(name: string): Promise<Backend> {
  const hits: Backend['hits'] = [];
  const server = createServer((req, res) => {
    hits.push({ path: req.url ?? '', headers: req.headers });
    res.end(`${name} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const made = { name, port: typeof address === 'object' && address ? address.port : 0, server, hits };
  backends.push(made);
  return made;
}

const at = (b: Backend): ServiceInstance => ({ address: '127.0.0.1', port: b.port });

async function serving(services: {
  grants: string[];
  initial: { name: string; instances: ServiceInstance[] | null }[];
}): Promise<{ port: number; host: ChildProcess; stderr: () => string }> {
  const port = await freePort();
  const host = startHost({
    component: 'service-probe',
    dir,
    http: { host: '127.0.0.1', port },
    grants: {
      env: { NAME: 'caller', UPSTREAM: 'http://backend.service.consul' },
      services: services.grants.map((name) => ({ provider: 'consul', name })),
    },
    services: services.initial.map(({ name, instances }) => ({ ref: { provider: 'consul', name }, instances })),
  });
  hosts.push(host);
  let stderr = '';
  host.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      )
    )
      return { port, host, stderr: () => stderr };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service-probe did not start serving: ${stderr}`);
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'service-routing-'));
});
afterAll(async () => {
  for (const host of hosts) host.kill('SIGKILL');
  for (const b of backends) b.server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('outbound HTTP to granted services by name', () => {
  it('spreads requests over the known instances and sends the service name as Host', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const { port } = await serving({ grants: ['backend'], initial: [{ name: 'backend', instances: [at(a), at(b)] }] });
    const bodies = [];
    for (let i = 0; i < 10; i++) bodies.push((await get(port, `/call/item/${i}`)).body);
    expect(bodies.filter((body) => body.startsWith('a ')).length).toBe(5);
    expect(bodies.filter((body) => body.startsWith('b ')).length).toBe(5);
    expect(a.hits[0]?.headers.host).toBe('backend.service.consul');
    expect(a.hits.map((hit) => hit.path).every((path) => path.startsWith('/item/'))).toBe(true);
  });

  it('retries another instance when one refuses connections, with no failed request', async () => {
    const live = await backend('live');
    const dead = await backend('dead');
    const deadPort = dead.port;
    await new Promise<void>((resolve) => dead.server.close(() => resolve()));
    const { port } = await serving({
      grants: ['backend'],
      initial: [{ name: 'backend', instances: [at(live), { address: '127.0.0.1', port: deadPort }] }],
    });
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await get(port, `/call/r${i}`));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(live.hits.length).toBe(8);
  });

  it('takes a new set pushed over the control channel; requests stop reaching the instance that left it', async () => {
    const [a, b] = [await backend('a2'), await backend('b2')];
    const { port, host } = await serving({ grants: ['backend'], initial: [{ name: 'backend', instances: [at(a)] }] });
    expect((await get(port, '/call/first')).body).toBe('a2 /first');
    const channel = HostChannel.open({
      path: controlSocketPath(host.pid ?? 0),
      isAlive: async () => host.exitCode === null,
      onMessage: () => undefined,
    });
    await until(async () => channel.connected, 'the control channel');
    channel.send({ type: 'service-instances', service: { provider: 'consul', name: 'backend' }, instances: [at(b)] });
    await until(async () => (await get(port, '/call/probe')).body.startsWith('b2'), 'the new set');
    const before = a.hits.length;
    for (let i = 0; i < 5; i++) expect((await get(port, `/call/after${i}`)).body).toBe(`b2 /after${i}`);
    expect(a.hits.length).toBe(before);
    // An empty set: the guest gets destination-unavailable, the host says why.
    channel.send({ type: 'service-instances', service: { provider: 'consul', name: 'backend' }, instances: [] });
    await until(
      async () => (await get(port, '/call/none')).body === 'error destination-unavailable\n',
      'the empty set',
    );
    channel.close();
  });

  it('a granted service with no answer yet fails with destination-unavailable and a notice', async () => {
    const { port, stderr } = await serving({ grants: ['backend'], initial: [{ name: 'backend', instances: null }] });
    expect(await get(port, '/call/x')).toEqual({ status: 502, body: 'error destination-unavailable\n' });
    await until(async () => stderr().includes('no instances known yet'), 'the notice');
    expect(stderr()).toContain('outbound HTTP to backend.service.consul: no instances known yet');
  });

  it('https:// goes over TLS to the instance with the service name as server name, verified: a self-signed certificate is refused', async () => {
    const keyDir = await mkdtemp(join(dir, 'tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=backend.service.consul',
        '-keyout',
        join(keyDir, 'key.pem'),
        '-out',
        join(keyDir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    // The server name the client asked for, taken from its ClientHello: recorded before the server
    // sends the certificate the client then refuses (an alert the server may see only later).
    const names: string[] = [];
    const tls = createHttpsServer(
      {
        key: await readFile(join(keyDir, 'key.pem')),
        cert: await readFile(join(keyDir, 'cert.pem')),
        SNICallback: (servername, done) => {
          names.push(servername);
          done(null, undefined); // the server's own key and certificate
        },
      },
      (_req, res) => res.end('secret'),
    );
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const address = tls.address();
    const tlsPort = typeof address === 'object' && address ? address.port : 0;
    try {
      const { port } = await serving({
        grants: ['backend'],
        initial: [{ name: 'backend', instances: [{ address: '127.0.0.1', port: tlsPort }] }],
      });
      expect(await get(port, '/tls/backend.service.consul/x')).toEqual({
        status: 502,
        body: 'error TLS-certificate-error\n',
      });
      expect(names).toContain('backend.service.consul');
    } finally {
      tls.close();
    }
  });

  it('refuses a name the task did not grant, and a port on a service name, with HTTP-request-denied', async () => {
    const a = await backend('a3');
    const { port, stderr } = await serving({ grants: ['backend'], initial: [{ name: 'backend', instances: [at(a)] }] });
    expect(await get(port, '/to/payments.service.consul/x')).toEqual({
      status: 502,
      body: 'error HTTP-request-denied\n',
    });
    expect(await get(port, `/to/backend.service.consul:${a.port}/x`)).toEqual({
      status: 502,
      body: 'error HTTP-request-denied\n',
    });
    expect(await get(port, '/to/backend.service.nomad/x')).toEqual({
      status: 502,
      body: 'error HTTP-request-denied\n',
    });
    expect(a.hits).toEqual([]);
    await until(async () => stderr().includes('leave the port out'), 'the notices');
    expect(stderr()).toContain(
      "outbound HTTP to payments.service.consul denied: not a service in the task's allow_services list",
    );
    expect(stderr()).toContain('a service name takes its port from the catalog');
  });
});
