// https registries: a real registry serving TLS with a certificate from a
// test CA made with the openssl CLI. It listens on 127.0.0.2, which is
// loopback but not one of the hosts the client talks plain http to, so the
// client uses https by default, as it would for any remote registry.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { startRegistry, type RunningRegistry } from './support/registry.js';
import { driverRejection as rejection } from '../support/rejection.js';

const IP = '127.0.0.2';
let dir: string;
let caPem: string;
let registry: RunningRegistry;
const clients: OciClient[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=oci-test-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${IP}`);
  await writeFile(join(dir, 'ext.cnf'), `subjectAltName=IP:${IP}\nextendedKeyUsage=serverAuth\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
  );
  caPem = await readFile(join(dir, 'ca.pem'), 'utf8');
  registry = await startRegistry(
    { kind: 'anonymous' },
    { ip: IP, tls: { certPath: join(dir, 'server.pem'), keyPath: join(dir, 'server.key') } },
  );
});

afterAll(async () => {
  for (const client of clients) client.close();
  await registry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('https registry', () => {
  it('works over https when the CA is given as caCertPem', async () => {
    const client = new OciClient({ caCertPem: caPem, retries: 0 });
    clients.push(client);
    const ref = parseOciReference(`oci://${registry.host}/secure/app:1`);
    const bytes = randomBytes(100_000);
    const pushed = await client.pushComponent(ref, bytes);
    const resolved = await client.resolveComponent(ref);
    expect(resolved.manifestDigest).toBe(pushed.manifestDigest);
    expect((await client.fetchBlob(ref, resolved.layer.digest, 1_000_000)).equals(bytes)).toBe(true);
  });

  it('refuses the registry when its CA is not trusted, without retrying', async () => {
    const retries: number[] = [];
    const client = new OciClient({
      retries: 3,
      retryBaseDelayMs: 10,
      onRetry: (info) => void retries.push(info.retry),
    });
    clients.push(client);
    const err = await rejection(client.resolveComponent(parseOciReference(`oci://${registry.host}/secure/app:1`)));
    expect(err.code).toBe('OCI_REGISTRY_UNREACHABLE');
    expect(err.message).toContain(`https://${registry.host}`);
    expect(err.message).toMatch(/certificate/);
    expect(retries).toEqual([]);
  });
});
