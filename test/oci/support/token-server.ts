// A token service for the registry's `auth: token:` mode, as distribution's
// token spec describes it: GET /token?service=…&scope=… with optional Basic
// credentials returns {"token": <JWT>}. The JWT is ES256-signed and carries
// the signing certificate in `x5c`; distribution verifies that chain against
// its `rootcertbundle` (the same self-signed cert, made with the openssl CLI).
import { execFileSync } from 'node:child_process';
import { createSign, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly rootCertPath: string;
  /** Each request's scope and whether it carried (right) credentials. */
  readonly requests: { scope: string; user: string | undefined }[];
  stop(): Promise<void>;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export async function startTokenServer(dir: string, users: Record<string, string>): Promise<TokenServer> {
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=oci-test-token-issuer',
    ],
    { stdio: 'ignore' },
  );
  const key = readFileSync(keyPath, 'utf8');
  const certDer = new X509Certificate(readFileSync(certPath)).raw;
  const service = 'oci-test-registry';
  const issuer = 'oci-test-issuer';
  const requests: { scope: string; user: string | undefined }[] = [];

  function sign(claims: object): string {
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] }));
    const payload = base64url(JSON.stringify(claims));
    // JWS wants the raw r||s signature, not DER.
    const signature = createSign('SHA256').update(`${header}.${payload}`).sign({ key, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${base64url(signature)}`;
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const scope = url.searchParams.get('scope') ?? '';
    let user: string | undefined;
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      const [name, password] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
      if (name === undefined || users[name] === undefined || users[name] !== password) {
        requests.push({ scope, user: `${name ?? ''} (wrong password)` });
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'bad credentials' }));
        return;
      }
      user = name;
    }
    requests.push({ scope, user });
    // Anonymous callers get a valid token with no access at all: the registry then refuses them.
    const access = [];
    const match = /^repository:([^:]+):(.+)$/.exec(scope);
    if (user !== undefined && match?.[1] !== undefined && match[2] !== undefined) {
      access.push({ type: 'repository', name: match[1], actions: match[2].split(',') });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = sign({
      iss: issuer,
      sub: user ?? '',
      aud: url.searchParams.get('service') ?? service,
      exp: now + 300,
      nbf: now - 5,
      iat: now,
      jti: randomUUID(),
      access,
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('token server has no port');
  return {
    realm: `http://127.0.0.1:${address.port}/token`,
    service,
    issuer,
    rootCertPath: certPath,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
