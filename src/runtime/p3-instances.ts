// Where each request of a WASI 0.3 service gets its instance, per
// `http_instance` mode. 0.3 handlers are async: one instance can serve
// several requests at once, and a request holds its instance until its
// response body has been sent, not just until handle() returns.
//
// - shared: one instance serves every request, concurrently. A trap
//   replaces it. jco 1.35's async runtime keeps state of every request it
//   ever ran (its global stream and future tables are never emptied), so a
//   shared instance is also replaced after RECYCLE_AFTER requests: new
//   requests go to a fresh instance while the old one finishes those in
//   flight. State a guest keeps in a shared 0.3 instance lives for that
//   many requests, not for the life of the task.
// - per-request: a fresh instance for every request, thrown away after it.
//   The 0.2 path resets one instance instead (instance-reset.ts), but the
//   reset cannot put jco's async runtime state back, so 0.3 pays an
//   instantiation per request; SPARES instances are made ahead, off the
//   request path. Nothing of one request can reach the next: they never
//   share an instance.
import type { ImportObject } from '../wasi/host.js';
import type { PreparedComponent } from './component-cache.js';
import { instantiateComponent, type InstantiateOptions } from './instantiate.js';

export interface HandlerP3 {
  handle(request: unknown): Promise<unknown>;
}

export interface P3Lease {
  readonly handler: HandlerP3;
  /** The request is over (its response sent, or failed); `trapped`: the instance must not be used again. */
  release(outcome: { readonly trapped: boolean }): void;
}

export interface P3Instances {
  take(): Promise<P3Lease>;
  /** Fresh instances from now on (SIGHUP); requests in flight finish on theirs. */
  reload(): Promise<void>;
}

/** Requests a shared instance serves before it is replaced (see above). */
export const RECYCLE_AFTER = 1000;
/** Instances a per-request service keeps made ahead. */
const SPARES = 2;

export async function p3Instances(
  component: PreparedComponent,
  imports: ImportObject,
  options: InstantiateOptions,
  mode: 'shared' | 'per-request',
): Promise<P3Instances> {
  const fresh = async (): Promise<HandlerP3> => handlerIn(await instantiateComponent(component, imports, options));
  // Instantiating up front also proves the component can start at all.
  const first = await fresh();
  return mode === 'shared' ? sharedInstance(first, fresh) : freshPerRequest(first, fresh);
}

export function handlerIn(exports: Record<string, unknown>): HandlerP3 {
  const handler = exports['handler'] as HandlerP3 | undefined;
  if (typeof handler?.handle !== 'function') throw new Error('the component has no wasi:http/handler@0.3 export');
  return handler;
}

function sharedInstance(first: HandlerP3, fresh: () => Promise<HandlerP3>): P3Instances {
  let current: Promise<HandlerP3> = Promise.resolve(first);
  let served = 0;
  const replace = (): void => {
    served = 0;
    const next = fresh();
    // A failed instantiation is retried by the next request rather than kept.
    next.catch(() => {
      if (current === next) current = fresh();
    });
    current = next;
  };
  return {
    async take() {
      const instance = current;
      const handler = await instance;
      if (++served >= RECYCLE_AFTER) replace();
      return {
        handler,
        release({ trapped }) {
          if (trapped && current === instance) replace();
        },
      };
    },
    async reload() {
      const next = fresh();
      await next;
      current = next;
      served = 0;
    },
  };
}

function freshPerRequest(first: HandlerP3, fresh: () => Promise<HandlerP3>): P3Instances {
  const ready: Promise<HandlerP3>[] = [Promise.resolve(first)];
  const topUp = (): void => {
    while (ready.length < SPARES) {
      const next = fresh();
      next.catch(() => undefined); // the request that takes it sees the failure
      ready.push(next);
    }
  };
  setImmediate(topUp);
  return {
    async take() {
      const next = ready.shift() ?? fresh();
      setImmediate(topUp);
      return { handler: await next, release: () => undefined };
    },
    async reload() {
      const next = fresh();
      await next;
      ready.splice(0, ready.length, next);
      setImmediate(topUp);
    },
  };
}
