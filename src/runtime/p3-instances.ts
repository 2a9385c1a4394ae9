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
// - per-request: every request has an instance of its own, in the state
//   right after instantiation. As for 0.2 (request-instances.ts) an
//   instance is reset after its request (instance-reset.ts, with jco's
//   async runtime state: async-state-reset.ts) instead of being built
//   again; as requests run at once, several are kept, each serving one
//   request at a time. An instance is reset only once its guest task has
//   ended and it holds nothing of the request (no stream or future end,
//   no task, no trap); one that does not come to rest is thrown away, and
//   so is a trapped one. Glue that cannot be reset gets a fresh instance
//   for every request (a spare made ahead, off the request path). Either
//   way nothing of one request can reach the next.
//
// Either way a trap is noticed even after handle() has returned (a guest
// trapping while it writes its body): the lease's `trapped` signal fires, and a
// shared instance is replaced at once.
import type { ImportObject } from '../wasi/host.js';
import type { PreparedComponent } from './component-cache.js';
import { instantiateComponent, type InstantiateOptions } from './instantiate.js';
import { instantiateResettable, type ResettableInstance } from './instance-reset.js';
import { widenPolymorphicAccess } from './polymorphic-access.js';
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
/** Reset instances a per-request service keeps for the next requests: as many as ran at once, up to this. */
export const MAX_IDLE_RESET = 16;
/** Event-loop turns a released instance has to come to rest (its guest task ending) before it is thrown away. */
const REST_TURNS = 8;

export interface P3InstancesSettings {
  readonly mode: 'shared' | 'per-request';
  readonly onInstantiate?: OnInstantiate;
  /** Told once, at start, why per-request instances are instantiated afresh instead of reset. */
  readonly onFallback: (reason: string) => void;
  /** Told why an instance was thrown away after its request instead of reset (it never came to rest). */
  readonly onNotKept?: (reason: string) => void;
}

export async function p3Instances(
  component: PreparedComponent,
  imports: ImportObject,
  options: InstantiateOptions,
  settings: P3InstancesSettings,
): Promise<P3Instances> {
  /** Instantiates, told to telemetry, with the instance's trap signal. */
  const made = async <T>(
    reason: InstantiationReason,
    onTrap: (() => void) | undefined,
    make: (options: InstantiateOptions) => Promise<T>,
  ): Promise<{ made: T; trapped: TrapSignal }> => {
    const trapped = new TrapSignal();
    const done = settings.onInstantiate?.(reason);
    try {
      const result = await make({
        ...options,
        onTrap: (err) => {
          trapped.fire(err);
          onTrap?.();
        },
      });
      done?.();
      return { made: result, trapped };
    } catch (err) {
      done?.(err);
      throw err;
    }
  };
  const fresh: Fresh = async (reason, onTrap) => {
    const { made: exports, trapped } = await made(reason, onTrap, (opts) =>
      instantiateComponent(component, imports, opts),
    );
    return { handler: handlerIn(exports), trapped };
  };
  if (settings.mode === 'shared') {
    const recycleAfter = component.glueAsyncLeaks ? RECYCLE_AFTER.letsGo : RECYCLE_AFTER.keepsRequests;
    return sharedInstance(fresh, recycleAfter);
  }
  const resettable: MakeResettable = async (reason) => {
    const { made: instance, trapped } = await made(reason, undefined, (opts) =>
      instantiateResettable(component, imports, opts),
    );
    if ('unavailable' in instance) throw new NotResettableNow(instance.unavailable);
    return { handler: handlerIn(instance.exports), trapped, instance };
  };
  if (!component.glueStateHooks) {
    settings.onFallback('its jco glue has no state hooks (the GLUE_REWRITE_UNAVAILABLE event at start says why)');
    return freshPerRequest(fresh);
  }
  widenPolymorphicAccess(MAX_IDLE_RESET);
  try {
    return resetPerRequest(await resettable('start'), resettable, settings.onNotKept);
  } catch (err) {
    if (!(err instanceof NotResettableNow)) throw err;
    settings.onFallback(err.message);
    return freshPerRequest(fresh);
  }
}

/** An instance that could be reset at start cannot be now (or the first one could not). */
class NotResettableNow extends Error {}

/** An instance of a per-request service that is put back after each request. */
interface ResetInstance extends Instance {
  readonly instance: ResettableInstance;
}
type MakeResettable = (reason: InstantiationReason) => Promise<ResetInstance>;

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

/**
 * Per-request instances reset after each request. A request takes an idle
 * instance; if none is idle but one is coming to rest (its last request
 * ended a turn or two ago), it waits for that one rather than have a new
 * one made: each instance brings its own copy of jco's runtime, so the
 * fewer there are, the faster all of them run. Otherwise it takes the
 * spare, made ahead, or has an instance made.
 */
function resetPerRequest(
  first: ResetInstance,
  make: MakeResettable,
  onNotKept: (reason: string) => void = () => undefined,
): P3Instances {
  let idle: ResetInstance[] = [first];
  /** Requests waiting for an instance coming to rest: given it, or undefined when it was thrown away. */
  let waiting: ((instance: ResetInstance | undefined) => void)[] = [];
  let resting = 0;
  let spare: Promise<ResetInstance> | undefined;
  /** Bumped by reload(): an instance of an earlier generation is not kept. */
  let generation = 0;
  const makeSpare = (): void => {
    if (spare || idle.length > 0 || resting > 0) return;
    const next = make('per-request');
    next.catch(() => undefined); // the request that takes it sees the failure
    spare = next;
  };
  /** An instance at rest and reset goes to a waiting request, else to idle; one that is not is thrown away. */
  const rested = (instance: ResetInstance | undefined, from: number): void => {
    resting--;
    if (from !== generation) instance = undefined;
    const next = waiting.shift();
    if (next) next(instance);
    else if (instance && idle.length < MAX_IDLE_RESET) idle.push(instance);
  };
  const putBack = (instance: ResetInstance, from: number, turn: number): void => {
    const current = from === generation && !instance.trapped.fired;
    const busy = current ? instance.instance.busy() : undefined;
    if (busy !== undefined && turn < REST_TURNS) {
      setImmediate(() => putBack(instance, from, turn + 1));
      return;
    }
    if (busy !== undefined) onNotKept(busy);
    rested(current && busy === undefined && instance.instance.reset() ? instance : undefined, from);
  };
  const takeInstance = async (): Promise<ResetInstance> => {
    const ready = idle.pop();
    if (ready) return ready;
    if (resting > waiting.length) {
      const handed = await new Promise<ResetInstance | undefined>((resolve) => waiting.push(resolve));
      if (handed) return handed;
    }
    const next = spare ?? make('per-request');
    spare = undefined;
    return next;
  };
  return {
    async take() {
      const taken = await takeInstance();
      const from = generation;
      if (idle.length === 0) setImmediate(makeSpare);
      return {
        handler: taken.handler,
        trapped: taken.trapped,
        release({ trapped }) {
          resting++;
          if (trapped) rested(undefined, from);
          else putBack(taken, from, 0);
        },
      };
    },
    async reload() {
      const next = await make('reload');
      generation++;
      idle = [next];
      spare = undefined;
      const woken = waiting;
      waiting = [];
      for (const wake of woken) wake(undefined);
    },
  };
}
