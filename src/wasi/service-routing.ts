// Outbound HTTP to a service by name (`http://payments.service.consul/...`):
// the host picks a healthy instance the task host already knows, sends the
// request there, and on a connection failure tries another instance. There
// is no lookup on the request path: the router answers from memory.
//
// The router (src/services/service-router.ts) decides which names the task
// granted and keeps the instance sets; this file only sends.
import { fetchSync, type SyncFetchResult } from './sync-fetch.js';

export interface ServiceInstanceAddress {
  readonly address: string;
  readonly port: number;
}

export interface ServiceRoute {
  /** The next instance to try (none in `tried`), or why there is none. */
  next(tried: ReadonlySet<string>): ServiceInstanceAddress | { readonly unavailable: string };
  /** The instance could not be reached: try others first for a while. */
  failed(instance: ServiceInstanceAddress): void;
}

export interface ServiceRouter {
  /** The route for a granted service host; undefined when the host names no granted service. */
  route(host: string): ServiceRoute | undefined;
}

export interface ServiceRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: [string, string][];
  readonly body: Uint8Array;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number | undefined;
  readonly maxBytes: number;
}

/** Told which instance each attempt went to, and which were found down (telemetry). */
export interface ServiceAttemptObserver {
  attempt(instance: string, attempt: number): void;
  ejected(instance: string, reason: string): void;
}

/** Instances tried per request at most (the first and two others). */
export const MAX_SERVICE_ATTEMPTS = 3;

export function instanceAddressKey(instance: ServiceInstanceAddress): string {
  return instance.address.includes(':')
    ? `[${instance.address}]:${instance.port}`
    : `${instance.address}:${instance.port}`;
}

export function sendToService(
  route: ServiceRoute,
  request: ServiceRequest,
  observer?: ServiceAttemptObserver,
): SyncFetchResult {
  const tried = new Set<string>();
  let last: SyncFetchResult | undefined;
  for (let attempt = 0; attempt < MAX_SERVICE_ATTEMPTS; attempt++) {
    const instance = route.next(tried);
    if ('unavailable' in instance) {
      return last ?? { ok: false, code: 'destination-unavailable', message: instance.unavailable };
    }
    const key = instanceAddressKey(instance);
    tried.add(key);
    observer?.attempt(key, attempt + 1);
    const { connectTimeoutMs, ...rest } = request;
    const result = fetchSync({
      ...rest,
      connect: {
        host: instance.address,
        port: instance.port,
        ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
      },
    });
    if (result.ok || !result.retryable) return result;
    if (result.instanceDown) {
      route.failed(instance);
      observer?.ejected(key, result.code);
    }
    last = result;
  }
  return last ?? { ok: false, code: 'destination-unavailable', message: 'no instance answered' };
}
