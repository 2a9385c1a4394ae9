// Authentication against real registries: htpasswd (Basic) and distribution's
// token auth with a JWT-issuing token service in front.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient, type OciClientOptions } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { driverRejection as rejection } from '../support/rejection.js';
import { startFaultProxy } from './support/fault-proxy.js';
import { digestOf } from './support/raw-push.js';
import { startRegistry, type RunningRegistry } from './support/registry.js';
import { startTokenServer, type TokenServer } from './support/token-server.js';

const USER = 'deployer';
const PASSWORD = 'correct horse battery staple';
const component = Buffer.concat([Buffer.from('\0asm\x0d\0\x01\0', 'latin1'), randomBytes(300_000)]);

let work: string;
const clients: OciClient[] = [];

function newClient(options: OciClientOptions): OciClient {
  const client = new OciClient({ retries: 0, ...options });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'oci-auth-'));
});

afterAll(async () => {
  for (const client of clients) client.close();
  await rm(work, { recursive: true, force: true });
});

describe('htpasswd (Basic) registry', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry({ kind: 'htpasswd', username: USER, password: PASSWORD });
  });
  afterAll(async () => registry?.stop());

  it('pushes and pulls with the right password', async () => {
    const client = newClient({ credentials: { username: USER, password: PASSWORD } });
    const ref = parseOciReference(`${registry.host}/private/app:1`);
    const pushed = await client.pushComponent(ref, component);
    const resolved = await client.resolveComponent(ref);
    expect(resolved.manifestDigest).toBe(pushed.manifestDigest);
    const dest = join(work, 'basic.wasm');
    await client.downloadBlob(ref, resolved.layer.digest, dest);
    expect(digestOf(await readFile(dest))).toBe(digestOf(component));
  });

  it('does not send the credentials along a redirect to another host (blob storage)', async () => {
    const client = newClient({ credentials: { username: USER, password: PASSWORD } });
    const ref = parseOciReference(`${registry.host}/private/redirect:1`);
    const pushed = await client.pushComponent(ref, component);
    // A stand-in for blob storage (S3, a CDN): records what it was sent and serves the bytes.
    const seenAuthorization: (string | undefined)[] = [];
    const storage = createServer((req, res) => {
      seenAuthorization.push(req.headers.authorization);
      res.writeHead(200, { 'content-length': String(component.length) }).end(component);
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    const proxy = await startFaultProxy(registry.host);
    const address = storage.address() as AddressInfo;
    proxy.fault = (req) =>
      req.url?.includes('/blobs/') && req.headers.authorization !== undefined
        ? { kind: 'status', status: 307, headers: { location: `http://127.0.0.1:${address.port}/blob?sig=1` } }
        : undefined;
    try {
      const viaProxy = parseOciReference(`${proxy.host}/private/redirect:1`);
      const dest = join(work, 'redirected.wasm');
      await client.downloadBlob(viaProxy, pushed.layerDigest, dest);
      expect(digestOf(await readFile(dest))).toBe(pushed.layerDigest);
      expect(seenAuthorization).toEqual([undefined]);
    } finally {
      await proxy.stop();
      await new Promise<void>((resolve) => storage.close(() => resolve()));
    }
  });

  it('a wrong password is OCI_AUTH_FAILED naming the user', async () => {
    const client = newClient({ credentials: { username: USER, password: 'wrong' } });
    const err = await rejection(client.resolveComponent(parseOciReference(`${registry.host}/private/app:1`)));
    expect(err.code).toBe('OCI_AUTH_FAILED');
    expect(err.message).toContain(`refused access as user "${USER}"`);
    expect(err.message).toContain('HTTP 401');
  });

  it('no credentials is OCI_AUTH_FAILED saying so', async () => {
    const client = newClient({});
    const err = await rejection(client.resolveComponent(parseOciReference(`${registry.host}/private/app:1`)));
    expect(err.code).toBe('OCI_AUTH_FAILED');
    expect(err.message).toContain('anonymously (no credentials given)');
  });
});

describe('token-auth registry (Bearer challenge flow)', () => {
  let registry: RunningRegistry;
  let tokens: TokenServer;

  beforeAll(async () => {
    tokens = await startTokenServer(work, { [USER]: PASSWORD });
    registry = await startRegistry({
      kind: 'token',
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      rootCertPath: tokens.rootCertPath,
    });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it('pushes and pulls with one pull,push token, and a pull-only client gets a pull token', async () => {
    const pusher = newClient({ credentials: { username: USER, password: PASSWORD } });
    const ref = parseOciReference(`${registry.host}/team/svc:2`);
    const before = tokens.requests.length;
    const pushed = await pusher.pushComponent(ref, component);
    expect((await pusher.resolveComponent(ref)).manifestDigest).toBe(pushed.manifestDigest);
    // One token for the whole push (HEAD, POST, PUT, manifest) and the pull after it.
    expect(tokens.requests.slice(before)).toEqual([{ scope: 'repository:team/svc:pull,push', user: USER }]);

    const puller = newClient({ credentials: { username: USER, password: PASSWORD } });
    const resolved = await puller.resolveComponent(ref);
    const dest = join(work, 'token.wasm');
    await puller.downloadBlob(ref, resolved.layer.digest, dest);
    await puller.resolveComponent(ref);
    expect(resolved.manifestDigest).toBe(pushed.manifestDigest);
    expect(digestOf(await readFile(dest))).toBe(pushed.layerDigest);
    // Cached per scope: three requests, one token.
    expect(tokens.requests.slice(before + 1)).toEqual([{ scope: 'repository:team/svc:pull', user: USER }]);
  });

  it('wrong credentials at the token service are OCI_AUTH_FAILED naming the realm', async () => {
    const client = newClient({ credentials: { username: USER, password: 'nope' } });
    const err = await rejection(client.resolveComponent(parseOciReference(`${registry.host}/team/svc:2`)));
    expect(err.code).toBe('OCI_AUTH_FAILED');
    expect(err.message).toContain(`token service ${tokens.realm}`);
    expect(err.message).toContain(`as user "${USER}"`);
    expect(err.message).toContain('HTTP 401');
  });

  it('an anonymous token without access is OCI_AUTH_FAILED saying no credentials were given', async () => {
    const client = newClient({});
    const err = await rejection(client.resolveComponent(parseOciReference(`${registry.host}/team/svc:2`)));
    expect(err.code).toBe('OCI_AUTH_FAILED');
    expect(err.message).toContain('anonymously (no credentials given)');
    expect(err.message).toContain(`token realm ${tokens.realm}`);
  });
});

describe('anonymous registry', () => {
  it('needs no credentials and ignores unused ones', async () => {
    const registry = await startRegistry();
    try {
      const client = newClient({ credentials: { username: 'unused', password: 'unused' } });
      const ref = parseOciReference(`${registry.host}/open/app:1`);
      const pushed = await client.pushComponent(ref, component);
      expect((await newClient({}).resolveComponent(ref)).manifestDigest).toBe(pushed.manifestDigest);
    } finally {
      await registry.stop();
    }
  });
});
