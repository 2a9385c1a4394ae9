// One HTTP exchange with node:http/https: no retries, no auth, no redirects
// (RegistryTransport adds those). node:https rather than fetch because a
// per-client CA ("trust this PEM too") needs an https.Agent, which node's
// built-in fetch cannot take without the undici package.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

export interface HttpAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

export function createAgents(caCertPem: string | undefined): HttpAgents {
  return {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({
      keepAlive: true,
      ...(caCertPem === undefined ? {} : { ca: [...rootCertificates, caCertPem] }),
    }),
  };
}

export interface HttpRequestInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
  /** Aborts connecting and waiting for the response headers. */
  readonly signal: AbortSignal;
  /** Destroys the response when no body bytes arrive for this long. */
  readonly idleTimeoutMs: number;
}

export function httpRequest(url: URL, init: HttpRequestInit, agents: HttpAgents): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-length'] = String(init.body.byteLength);
  return new Promise<IncomingMessage>((resolve, reject) => {
    // The signal is watched by hand, not passed to request(): node would keep
    // it attached and cut a long download off when the timeout fires.
    const onAbort = (): void => {
      request.destroy(
        Object.assign(
          new Error(`request to ${url.host} aborted: ${String(init.signal.reason)}`, {
            cause: init.signal.reason as unknown,
          }),
          { name: 'AbortError' },
        ),
      );
    };
    const request = (secure ? https : http).request(
      url,
      { method: init.method, headers, agent: secure ? agents.https : agents.http },
      (response) => {
        init.signal.removeEventListener('abort', onAbort);
        // The headers-phase signal must not cut a long body short; from here
        // on only inactivity counts.
        // (the agent resets the socket's timeout when it goes back to the pool).
        response.setTimeout(init.idleTimeoutMs, () => {
          response.destroy(
            Object.assign(new Error(`no data from ${url.host} for ${init.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }),
          );
        });
        resolve(response);
      },
    );
    request.once('error', (err) => {
      init.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    if (init.signal.aborted) onAbort();
    else init.signal.addEventListener('abort', onAbort, { once: true });
    request.end(
      init.body === undefined ? undefined : Buffer.from(init.body.buffer, init.body.byteOffset, init.body.byteLength),
    );
  });
}

/** Reads a whole (small) body, refusing more than maxBytes. */
export async function readBody(response: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      response.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
