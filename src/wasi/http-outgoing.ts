// wasi:http/outgoing-handler: outbound requests, allow-listed per task.
//
// A request to an authority outside the allow-list gets the error code
// `HTTP-request-denied` back, like any other HTTP failure: the guest
// decides what to do, the host is unaffected. Allowed requests are sent
// once the guest asks for the response; bodies are buffered both ways.
import { Fields } from './http-fields.js';
import { isAllowed, type AllowEntry } from './http-allow-list.js';
import { sendToService, type ServiceRouter, type ServiceAttemptObserver } from './service-routing.js';
import { fetchSync, type SyncFetchResult } from './sync-fetch.js';
import {
  FutureIncomingResponse,
  IncomingResponse,
  methodToString,
  type HttpErrorCode,
  type OutgoingRequest,
  type RequestOptions,
} from './http-types.js';

export interface OutboundPolicy {
  readonly allow: readonly AllowEntry[];
  /** Services the task granted (`allow_services`): names routed to their instances. */
  readonly services?: ServiceRouter;
  /** Called for every decision, for the task's audit log. */
  readonly onDecision?: (decision: { allowed: boolean; authority: string; reason?: string }) => void;
  /** Told of every allowed request as it is sent (telemetry: a client span, trace headers to add). */
  readonly observe?: (request: { method: string; url: URL; service?: string }) => OutboundObservation;
}

/** One observed outbound request: headers the host adds, instance attempts, its end. */
export interface OutboundObservation extends ServiceAttemptObserver {
  /** Added to the request, replacing any of the same name the guest set (`traceparent`). */
  readonly headers: readonly [string, string][];
  end(outcome: { readonly status?: number; readonly error?: string }): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

function denied(): never {
  throw { tag: 'HTTP-request-denied' } satisfies HttpErrorCode;
}

export function outgoingHandler(policy: OutboundPolicy): {
  handle(request: OutgoingRequest, options: RequestOptions | undefined): FutureIncomingResponse;
} {
  return {
    handle(request, options) {
      const scheme = request.scheme();
      const schemeName =
        scheme === undefined || scheme.tag === 'HTTPS' ? 'https' : scheme.tag === 'HTTP' ? 'http' : undefined;
      const authority = request.authority();
      if (!schemeName || !authority) denied();
      let url: URL;
      try {
        url = new URL(`${schemeName}://${authority}${request.pathWithQuery() ?? '/'}`);
      } catch {
        throw { tag: 'HTTP-request-URI-invalid' } satisfies HttpErrorCode;
      }
      const port = url.port === '' ? (schemeName === 'https' ? 443 : 80) : Number(url.port);
      const service = policy.services?.route(url.hostname);
      if (service && url.port !== '') {
        // The catalog says which port each instance listens on.
        policy.onDecision?.({
          allowed: false,
          authority,
          reason: 'a service name takes its port from the catalog: leave the port out',
        });
        denied();
      }
      const allowed =
        service !== undefined || isAllowed(policy.allow, schemeName, url.hostname.replace(/^\[|\]$/g, ''), port);
      policy.onDecision?.({ allowed, authority });
      if (!allowed) denied();
      request.headers().lock();
      const body = request.bodyHandle.pipe;
      const timeoutMs = options?.totalTimeoutMs(DEFAULT_TIMEOUT_MS) ?? DEFAULT_TIMEOUT_MS;
      const connectNs = options?.connectTimeout();
      return new FutureIncomingResponse(() => {
        const method = methodToString(request.method());
        const observed = policy.observe?.({
          method,
          url,
          ...(service ? { service: serviceNameOf(url.hostname) } : {}),
        });
        let headers = Object.entries(request.headers().toNodeHeaders()).flatMap(([name, value]) =>
          (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v]),
        );
        if (observed && observed.headers.length > 0) {
          const replaced = new Set(observed.headers.map(([name]) => name));
          headers = [...headers.filter(([name]) => !replaced.has(name.toLowerCase())), ...observed.headers];
        }
        const outbound = {
          url: url.href,
          method,
          headers,
          body: body.takeBuffered(),
          timeoutMs,
          maxBytes: MAX_RESPONSE_BYTES,
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
        if (!result.ok) return { tag: 'err', val: errorCode(result.code, result.message) };
        return {
          tag: 'ok',
          val: new IncomingResponse(result.status, Fields.fromHost(result.headers, true), result.body),
        };
      });
    },
  };
}

/** `payments` of `payments.service.consul` (or `.service.nomad`): the service a route names. */
function serviceNameOf(host: string): string {
  return host.replace(/\.service\.(consul|nomad)$/i, '');
}

/** The error-code variant value for a failure; some cases carry a payload. */
function errorCode(code: string, message: string): HttpErrorCode {
  switch (code) {
    case 'internal-error':
      return { tag: code, val: message };
    case 'DNS-error':
      return { tag: code, val: { rcode: undefined, infoCode: undefined } };
    case 'HTTP-response-body-size':
      return { tag: code, val: undefined };
    default:
      return { tag: code };
  }
}
