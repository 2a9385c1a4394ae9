// Where each request of a WASI 0.3 service gets its instance, per
// `http_instance` mode. 0.3 handlers are async: one instance can serve
// several requests at once, and a request holds its instance until its
// response body has been sent, not just until handle() returns.
//
// - shared: one instance serves every request, concurrently. A trap
//   replaces it. It is also replaced after a number of requests: new
//   requests go to a fresh instance while the old one finishes those in
//   flight. jco 1.35's async runtime as generated keeps ~14 KB of every
//   request it ran, so on such glue that is every 500 requests; where the
//   glue lets go of it (glue-async-leaks.ts) it is every million, a safety
//   net only: each new instance brings its own copy of the runtime's
//   classes, and V8's caches over several of them serve every request
//   slower. State a guest keeps in a shared 0.3 instance lives that long,
//   not for the life of the task.
// - per-request: a fresh instance for every request, thrown away after it.
//   The 0.2 path resets one instance instead (instance-reset.ts), but the
//   reset cannot put jco's async runtime state back, so 0.3 pays an
//   instantiation per request; a spare is made ahead, off the request
//   path. Nothing of one request can reach the next: they never
//   share an instance.
//
// Either way a trap is noticed even after handle() has returned (a guest
// trapping while it writes its body): the lease's `trapped` signal fires, and a
// shared instance is replaced at once.
import type { ImportObject } from '../wasi/host.js';
import type { PreparedComponent } from './component-cache.js';
import { instantiateComponent, type InstantiateOptions } from './instantiate.js';
import type { InstantiationReason } from '../telemetry/hooks.js';
import { TrapSignal } from './trap-signal.js';

/** Told when an instance is being made and why; the result is called when it is ready or failed (telemetry). */
export type OnInstantiate = (reason: InstantiationReason) => (error?: unknown) => void;

export interface HandlerP3 {
  handle(request: unknown): Promise<unknown>;
}

export interface P3Lease {
  readonly handler: HandlerP3;
  /**
   * The instance's trap, also after handle() returned (a guest writing its
   * body): `race(work)` rejects with it, so whoever waits on the guest stops.
   */
  readonly trapped: TrapSignal;
  /** The request is over (its response sent, or failed); `trapped`: the instance must not be used again. */
  release(outcome: { readonly trapped: boolean }): void;
}

/** An instance and its trap signal. */
interface Instance {
  readonly handler: HandlerP3;
  readonly trapped: TrapSignal;
}

export interface P3Instances {
  take(): Promise<P3Lease>;
  /** Fresh instances from now on (SIGHUP); requests in flight finish on theirs. */
  reload(): Promise<void>;
}

/** Requests a shared instance serves before it is replaced (see above): on jco's glue as generated, on glue that lets go. */
export const RECYCLE_AFTER = { keepsRequests: 500, letsGo: 1_000_000 } as const;
/** Instances a per-request service keeps made ahead (each holds its own linear memory: a Python component's is tens of MiB). */
const SPARES = 1;

export async function p3Instances(
  component: PreparedComponent,
  imports: ImportObject,
  options: InstantiateOptions,
  mode: 'shared' | 'per-request',
  onInstantiate?: OnInstantiate,
): Promise<P3Instances> {
  const fresh = async (reason: InstantiationReason, onTrap?: () => void): Promise<Instance> => {
    const trapped = new TrapSignal();
    const made = onInstantiate?.(reason);
    let exports: Record<string, unknown>;
    try {
      exports = await instantiateComponent(component, imports, {
        ...options,
        onTrap: (err) => {
          trapped.fire(err);
          onTrap?.();
        },
      });
    } catch (err) {
      made?.(err);
      throw err;
    }
    made?.();
    return { handler: handlerIn(exports), trapped };
  };
  const recycleAfter = component.glueAsyncLeaks ? RECYCLE_AFTER.letsGo : RECYCLE_AFTER.keepsRequests;
  return mode === 'shared' ? sharedInstance(fresh, recycleAfter) : freshPerRequest(fresh);
}

type Fresh = (reason: InstantiationReason, onTrap?: () => void) => Promise<Instance>;

export function handlerIn(exports: Record<string, unknown>): HandlerP3 {
  const handler = exports['handler'] as HandlerP3 | undefined;
  if (typeof handler?.handle !== 'function') throw new Error('the component has no wasi:http/handler@0.3 export');
  return handler;
}

async function sharedInstance(fresh: Fresh, recycleAfter: number): Promise<P3Instances> {
  let current: Promise<Instance>;
  let served = 0;
  /** A new instance for the requests to come; `from`: only if that one is still current. */
  const replace = (from?: Promise<Instance>): void => {
    if (from !== undefined && current !== from) return;
    served = 0;
    const next: Promise<Instance> = fresh('replace', () => replace(next));
    next.catch(() => undefined); // take() reports it, and replaces it then
    current = next;
  };
  // Instantiating up front also proves the component can start at all.
  const first: Promise<Instance> = fresh('start', () => replace(first));
  await first;
  current = first;
  return {
    async take() {
      const taken = current;
      let instance: Instance;
      try {
        instance = await taken;
      } catch (err) {
        replace(taken); // the next request tries a new instantiation
        throw err;
      }
      if (++served >= recycleAfter) replace(taken);
      return {
        ...instance,
        release({ trapped }) {
          if (trapped) replace(taken);
        },
      };
    },
    async reload() {
      const next: Promise<Instance> = fresh('reload', () => replace(next));
      await next;
      current = next;
      served = 0;
    },
  };
}

async function freshPerRequest(fresh: Fresh): Promise<P3Instances> {
  // Instantiating up front also proves the component can start at all.
  const ready: Promise<Instance>[] = [Promise.resolve(await fresh('start'))];
  const topUp = (): void => {
    while (ready.length < SPARES) {
      const next = fresh('per-request');
      next.catch(() => undefined); // the request that takes it sees the failure
      ready.push(next);
    }
  };
  setImmediate(topUp);
  return {
    async take() {
      const next = ready.shift() ?? fresh('per-request');
      setImmediate(topUp);
      // Used for this request only: nothing to put back.
      return { ...(await next), release: () => undefined };
    },
    async reload() {
      const next = fresh('reload');
      await next;
      ready.length = 0;
      ready.push(next);
      setImmediate(topUp);
    },
  };
}
