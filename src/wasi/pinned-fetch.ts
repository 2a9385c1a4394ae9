// Worker half of a request to a service instance the host chose (see
// service-routing.ts): node:http(s) to that address and port, with the
// service's name as Host header (and TLS server name), as a client that
// resolved the name through Consul DNS would send. fetch() cannot do this:
// it derives Host from the URL. Redirects are returned, never followed.
//
// Failures say whether another instance may be tried: only when the request
// cannot have been processed (connection refused or not established in
// time, a host that cannot be reached, a reused keep-alive socket the
// instance had closed) or, once sent, when the method is idempotent.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { FetchRequest } from './direct-fetch.js';
import type { SyncFetchResult } from './sync-fetch.js';

const httpAgent = new HttpAgent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 64, maxFreeSockets: 16 });
const httpsAgent = new HttpsAgent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 64, maxFreeSockets: 16 });
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const DEFAULT_CONNECT_TIMEOUT_MS = 2000;

export function performPinned(request: FetchRequest): Promise<SyncFetchResult> {
  const pin = request.connect;
  if (!pin) return Promise.resolve({ ok: false, code: 'internal-error', message: 'no instance to connect to' });
  const url = new URL(request.url);
  const https = url.protocol === 'https:';
  const connectTimeoutMs = pin.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let responded = false;
    const finish = (result: SyncFetchResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(totalTimer);
      clearTimeout(connectTimer);
      resolve(result);
    };
    const fail = (code: string, message: string, retryable: boolean, instanceDown: boolean): void => {
      finish({ ok: false, code, message, retryable, instanceDown });
      req.destroy();
    };
    const headers: [string, string][] = [['host', url.host], ...request.headers];
    const options = {
      host: pin.host,
      port: pin.port,
      method: request.method,
      path: `${url.pathname}${url.search}`,
      headers: headers.flat(),
      ...(https ? { servername: url.hostname, agent: httpsAgent } : { agent: httpAgent }),
      ...(https && pin.caCertPem ? { ca: pin.caCertPem } : {}),
    };
    const req: ClientRequest = https ? httpsRequest(options) : httpRequest(options);
    const connectTimer = setTimeout(() => {
      if (!connected)
        fail(
          'connection-timeout',
          `no connection to ${pin.host}:${pin.port} within ${connectTimeoutMs} ms`,
          true,
          true,
        );
    }, connectTimeoutMs);
    const totalTimer = setTimeout(() => {
      fail('HTTP-response-timeout', `no complete answer within ${request.timeoutMs} ms`, false, false);
    }, request.timeoutMs);
    req.on('socket', (socket: Socket) => {
      if (req.reusedSocket || !socket.connecting) connected = true;
      else socket.once(https ? 'secureConnect' : 'connect', () => (connected = true));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      const failure = classifyFailure(err, `${pin.host}:${pin.port}: ${err.message}`, {
        method: request.method,
        reusedSocket: req.reusedSocket,
        connected,
        responded,
      });
      fail(failure.code, failure.message, failure.retryable, failure.instanceDown);
    });
    req.on('response', (res: IncomingMessage) => {
      responded = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > request.maxBytes)
          fail('HTTP-response-body-size', `response body over ${request.maxBytes} bytes`, false, false);
        else chunks.push(chunk);
      });
      res.on('error', (err) => fail('connection-terminated', err.message, false, false));
      res.on('end', () => {
        const pairs: [string, string][] = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
          pairs.push([res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string]);
        finish({ ok: true, status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks) });
      });
    });
    req.end(request.body.length > 0 ? Buffer.from(request.body) : undefined);
  });
}

interface Failure {
  readonly code: string;
  readonly message: string;
  /** Another instance may be tried: the request cannot have been processed, or its method is idempotent. */
  readonly retryable: boolean;
  /** The instance itself looks down (counts towards its ejection). */
  readonly instanceDown: boolean;
}

/** A socket or TLS error of the request as wasi:http's error code, and whether to try elsewhere. */
function classifyFailure(
  err: NodeJS.ErrnoException,
  message: string,
  at: { method: string; reusedSocket: boolean; connected: boolean; responded: boolean },
): Failure {
  const failure = (code: string, retryable: boolean, instanceDown: boolean): Failure => ({
    code,
    message,
    retryable,
    instanceDown,
  });
  switch (err.code) {
    case 'ECONNREFUSED':
      return failure('connection-refused', true, true);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return failure('destination-IP-unroutable', true, true);
    case 'ECONNRESET':
    case 'EPIPE':
      // A keep-alive socket the instance closed meanwhile: nothing was processed.
      if (at.reusedSocket && !at.responded) return failure('connection-terminated', true, false);
      return failure('connection-terminated', !at.responded && IDEMPOTENT.has(at.method), !at.responded);
    default:
      // OpenSSL's verification codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE: a CA not trusted) and Node's own.
      if (err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') || err.code?.includes('VERIFY'))
        return failure('TLS-certificate-error', false, false);
      return failure('internal-error', !at.connected, !at.connected);
  }
}
