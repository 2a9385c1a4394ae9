// wasi:http/client@0.3: outbound requests under the task's grants, through
// the same decision (src/wasi/outbound-target.ts: allow_http, services by
// name, denials with HTTP-request-denied), the same direct fetch and the
// same service routing and retries as the 0.2 host's outgoing-handler.
// 0.3's `send` is async: the guest (and every other request of the
// instance) runs on while the request is out.
//
// Bodies are read whole both ways, up to the 0.2 host's limits: a request
// body so that a service call can be retried on another instance, a
// response body because the fetch helpers return it so.
import { Fields } from '../wasi/http-fields.js';
import { methodToString, type HttpErrorCode } from '../wasi/http-types.js';
import {
  DEFAULT_OUTBOUND_TIMEOUT_MS,
  fetchErrorCode,
  MAX_OUTBOUND_RESPONSE_BYTES,
  outboundTarget,
  serviceNameOf,
  withObservedHeaders,
  type OutboundPolicy,
} from '../wasi/outbound-target.js';
import { sendToServiceAsync } from '../wasi/service-routing.js';
import type { SyncFetchResult } from '../wasi/sync-fetch.js';
import { drain, Response, type Body, type Request } from './http-types.js';
import { BodyTooLarge, bytesStream, OK, readGuestBytes } from './streams.js';

/** The largest outbound request body (the same as an incoming one of the 0.2 host). */
const MAX_REQUEST_BODY = 64 * 1024 * 1024;

export function httpClient(policy: OutboundPolicy): { send(request: Request): Promise<Response> } {
  return {
    async send(request) {
      try {
        const response = await send(policy, request);
        request.markSent(OK);
        return response;
      } catch (err) {
        // Thrown values that are not errors are the guest's error-code; anything else is a host bug.
        if (err instanceof Error) throw err;
        request.markSent({ tag: 'err', val: err as HttpErrorCode });
        throw err;
      }
    },
  };
}

async function send(policy: OutboundPolicy, request: Request): Promise<Response> {
  const { url, service } = outboundTarget(
    policy,
    request.getScheme(),
    request.getAuthority(),
    request.getPathWithQuery(),
  );
  const method = methodToString(request.getMethod());
  // Telemetry (when on) is told of the call as of a 0.2 one (its duration metric, the service
  // attempts; a client span and trace headers only where a span is current: see README, WASI 0.3).
  const observed = policy.observe?.({ method, url, ...(service ? { service: serviceNameOf(url.hostname) } : {}) });
  // Request trailers are not sent (the fetch helpers cannot): read so the guest is not left writing them.
  const [contents, trailers] = request.takeBody();
  drain(trailers);
  let body: Uint8Array;
  try {
    body = await readBody(contents);
  } catch (err) {
    observed?.end({ error: 'HTTP-request-body-size' });
    if (err instanceof BodyTooLarge) throw { tag: 'HTTP-request-body-size', val: BigInt(err.maxBytes) };
    throw err;
  }
  const options = request.options;
  const timeoutMs = options?.totalTimeoutMs(DEFAULT_OUTBOUND_TIMEOUT_MS) ?? DEFAULT_OUTBOUND_TIMEOUT_MS;
  const connectNs = options?.getConnectTimeout();
  const guestHeaders = request.headers
    .entries()
    .map(([name, value]): [string, string] => [name, Buffer.from(value).toString('latin1')]);
  const outbound = {
    url: url.href,
    method,
    headers: withObservedHeaders(guestHeaders, observed),
    body,
    timeoutMs,
    maxBytes: MAX_OUTBOUND_RESPONSE_BYTES,
  };
  const result: SyncFetchResult = service
    ? await sendToServiceAsync(
        service,
        { ...outbound, connectTimeoutMs: connectNs === undefined ? undefined : Math.ceil(Number(connectNs) / 1e6) },
        observed,
      )
    : await (await import('../wasi/direct-fetch.js')).performDirect(outbound);
  observed?.end(result.ok ? { status: result.status } : { error: result.code });
  if (!result.ok) throw fetchErrorCode(result.code, result.message);
  return Response.fetched(result.status, Fields.fromHost(result.headers, true), bytesStream(result.body));
}

function readBody(contents: Body): Promise<Uint8Array> {
  if ('read' in contents) return readGuestBytes(contents, MAX_REQUEST_BODY);
  return (async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of contents) chunks.push(chunk);
    return Buffer.concat(chunks);
  })();
}
