// wasi:http/outgoing-handler: outbound requests, allow-listed per task
// (outbound-target.ts decides where a request may go).
//
// A request to an authority outside the allow-list gets the error code
// `HTTP-request-denied` back, like any other HTTP failure: the guest
// decides what to do, the host is unaffected. Allowed requests are sent
// once the guest asks for the response; bodies are buffered both ways.
import { Fields } from './http-fields.js';
import {
  DEFAULT_OUTBOUND_TIMEOUT_MS,
  fetchErrorCode,
  MAX_OUTBOUND_RESPONSE_BYTES,
  outboundTarget,
  serviceNameOf,
  withObservedHeaders,
  type OutboundPolicy,
} from './outbound-target.js';
import { sendToService } from './service-routing.js';
import { fetchSync, type SyncFetchResult } from './sync-fetch.js';
import {
  FutureIncomingResponse,
  IncomingResponse,
  methodToString,
  type OutgoingRequest,
  type RequestOptions,
} from './http-types.js';

export type { OutboundObservation, OutboundPolicy } from './outbound-target.js';

export function outgoingHandler(policy: OutboundPolicy): {
  handle(request: OutgoingRequest, options: RequestOptions | undefined): FutureIncomingResponse;
} {
  return {
    handle(request, options) {
      const { url, service } = outboundTarget(policy, request.scheme(), request.authority(), request.pathWithQuery());
      request.headers().lock();
      const body = request.bodyHandle.pipe;
      const timeoutMs = options?.totalTimeoutMs(DEFAULT_OUTBOUND_TIMEOUT_MS) ?? DEFAULT_OUTBOUND_TIMEOUT_MS;
      const connectNs = options?.connectTimeout();
      return new FutureIncomingResponse(() => {
        const method = methodToString(request.method());
        const observed = policy.observe?.({
          method,
          url,
          ...(service ? { service: serviceNameOf(url.hostname) } : {}),
        });
        const guestHeaders = request.headers().toNodeHeaderPairs();
        const outbound = {
          url: url.href,
          method,
          headers: withObservedHeaders(guestHeaders, observed),
          body: body.takeBuffered(),
          timeoutMs,
          maxBytes: MAX_OUTBOUND_RESPONSE_BYTES,
        };
        const result: SyncFetchResult = service
          ? sendToService(
              service,
              {
                ...outbound,
                connectTimeoutMs: connectNs === undefined ? undefined : Math.ceil(Number(connectNs) / 1e6),
              },
              observed,
            )
          : fetchSync(outbound);
        observed?.end(result.ok ? { status: result.status } : { error: result.code });
        if (!result.ok) return { tag: 'err', val: fetchErrorCode(result.code, result.message) };
        return {
          tag: 'ok',
          val: new IncomingResponse(result.status, Fields.fromHost(result.headers, true), result.body),
        };
      });
    },
  };
}
