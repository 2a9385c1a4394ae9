// Outbound HTTP to a service by name (`http://payments.service.consul/...`):
// the host picks a healthy instance the task host already knows, sends the
// request there, and on a connection failure tries another instance. There
// is no lookup on the request path: the router answers from memory.
//
// The router (src/services/service-router.ts) decides which names the task
// granted and keeps the instance sets; this file only sends. The attempts
// are one generator, driven synchronously for WASI 0.2 (fetchSync) and
// asynchronously for WASI 0.3 (performPinned): one retry policy for both.
import type { FetchRequest } from './direct-fetch.js';
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

/** Yields the request pinned to each instance to try; is sent each result; returns the final one. */
function* attempts(
  route: ServiceRoute,
  request: ServiceRequest,
  observer: ServiceAttemptObserver | undefined,
): Generator<FetchRequest, SyncFetchResult, SyncFetchResult> {
  const tried = new Set<string>();
  const { connectTimeoutMs, ...rest } = request;
  let last: SyncFetchResult | undefined;
  for (let attempt = 0; attempt < MAX_SERVICE_ATTEMPTS; attempt++) {
    const instance = route.next(tried);
    if ('unavailable' in instance) {
      return last ?? { ok: false, code: 'destination-unavailable', message: instance.unavailable };
    }
    const key = instanceAddressKey(instance);
    tried.add(key);
    observer?.attempt(key, attempt + 1);
    const result = yield {
      ...rest,
      connect: {
        host: instance.address,
        port: instance.port,
        ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
      },
    };
    if (result.ok || !result.retryable) return result;
    if (result.instanceDown) {
      route.failed(instance);
      observer?.ejected(key, result.code);
    }
    last = result;
  }
  return last ?? { ok: false, code: 'destination-unavailable', message: 'no instance answered' };
}

/** For a synchronous guest call (WASI 0.2): this thread waits for each attempt. */
export function sendToService(
  route: ServiceRoute,
  request: ServiceRequest,
  observer?: ServiceAttemptObserver,
): SyncFetchResult {
  const run = attempts(route, request, observer);
  let step = run.next();
  while (!step.done) step = run.next(fetchSync(step.value));
  return step.value;
}

/** For an async guest call (WASI 0.3): other requests run while it waits. */
export async function sendToServiceAsync(
  route: ServiceRoute,
  request: ServiceRequest,
  observer?: ServiceAttemptObserver,
): Promise<SyncFetchResult> {
  // Loaded on first use: a WASI 0.2 task (and a command's start) never needs node:http here.
  const { performPinned } = await import('./pinned-fetch.js');
  const run = attempts(route, request, observer);
  let step = run.next();
  while (!step.done) step = run.next(await performPinned(step.value));
  return step.value;
}
