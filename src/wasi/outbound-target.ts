// Where an outbound request may go, decided once for WASI 0.2
// (http-outgoing.ts) and 0.3 (src/wasi-p3/http-client.ts): the task's
// allow-list, or a service it granted by name. Anything else is
// `HTTP-request-denied`, returned to the guest like any HTTP failure.
import { isAllowed, type AllowEntry } from './http-allow-list.js';
import type { HttpErrorCode, Scheme } from './http-types.js';
import type { ServiceAttemptObserver, ServiceRoute, ServiceRouter } from './service-routing.js';

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

export interface OutboundTarget {
  readonly url: URL;
  /** The granted service the host names; undefined for an allow-listed host. */
  readonly service: ServiceRoute | undefined;
}

export const DEFAULT_OUTBOUND_TIMEOUT_MS = 30_000;
export const MAX_OUTBOUND_RESPONSE_BYTES = 64 * 1024 * 1024;

function denied(): never {
  throw { tag: 'HTTP-request-denied' } satisfies HttpErrorCode;
}

/** Decides a request's target; throws the guest's error code when it may not go. */
export function outboundTarget(
  policy: OutboundPolicy,
  scheme: Scheme | undefined,
  authority: string | undefined,
  pathWithQuery: string | undefined,
): OutboundTarget {
  const schemeName =
    scheme === undefined || scheme.tag === 'HTTPS' ? 'https' : scheme.tag === 'HTTP' ? 'http' : undefined;
  if (!schemeName || !authority) denied();
  let url: URL;
  try {
    url = new URL(`${schemeName}://${authority}${pathWithQuery ?? '/'}`);
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
  return { url, service };
}

/** `payments` of `payments.service.consul` (or `.service.nomad`): the service a route names. */
export function serviceNameOf(host: string): string {
  return host.replace(/\.service\.(consul|nomad)$/i, '');
}

/** The guest's headers with the observer's added in place of any of the same name. */
export function withObservedHeaders(
  headers: [string, string][],
  observed: OutboundObservation | undefined,
): [string, string][] {
  if (!observed || observed.headers.length === 0) return headers;
  const replaced = new Set(observed.headers.map(([name]) => name));
  return [...headers.filter(([name]) => !replaced.has(name.toLowerCase())), ...observed.headers];
}

/** The error-code variant value for a failed request; some cases carry a payload. */
export function fetchErrorCode(code: string, message: string): HttpErrorCode {
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
