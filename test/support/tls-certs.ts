// A private CA and a server certificate for 127.0.0.1 (and a DNS name), made
// with openssl at test time, for servers the tests run over TLS.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ServerCertificate {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export async function makeServerCertificate(dir: string, dnsName: string): Promise<ServerCertificate> {
  const pem = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    pem('ca.key'),
    '-out',
    pem('ca.pem'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${dnsName}`,
    '-keyout',
    pem('server.key'),
    '-out',
    pem('server.csr'),
  );
  await writeFile(pem('san.ext'), `subjectAltName=IP:127.0.0.1,DNS:${dnsName}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    pem('server.csr'),
    '-CA',
    pem('ca.pem'),
    '-CAkey',
    pem('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    pem('server.pem'),
    '-extfile',
    pem('san.ext'),
  );
  return { caFile: pem('ca.pem'), certFile: pem('server.pem'), keyFile: pem('server.key') };
}
