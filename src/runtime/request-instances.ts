// Where each request's instance comes from, per `http_instance` mode.
//
// - shared: one instance for every request; a trap replaces it.
// - per-request: every request starts from the state right after
//   instantiation. One instance is reset after each request
//   (instance-reset.ts), which costs a memory copy instead of an
//   instantiation. When it cannot be reset exactly (it trapped, or its
//   memory grew), it is thrown away and replaced: by a spare instantiated
//   ahead of time once that has happened, so that a component that does
//   this often is not instantiated on the request path every time.
//   Components whose glue or core modules cannot be reset are instantiated
//   afresh for every request, as before.
//
// Guest calls are synchronous: a request takes an instance, runs the guest
// and gives the instance back without yielding (tryTake ... done), so one
// instance serves every request in turn.
import type { ImportObject } from '../wasi/host.js';
import type { PreparedComponent } from './component-cache.js';
import { instantiateComponent, type InstantiateOptions } from './instantiate.js';
import { instantiateResettable, type ResettableInstance } from './instance-reset.js';
import type { InstantiationReason } from '../telemetry/hooks.js';

export interface RequestInstances {
  /** An instance to run one request on now, or undefined (then await `ready()`). Give it back with `done` before yielding. */
  tryTake(): TakenInstance | undefined;
  /** Resolves when tryTake() may have an instance. */
  ready(): Promise<void>;
  /** Replaces the instance(s) with fresh ones (SIGHUP). */
  reload(): Promise<void>;
}

export interface TakenInstance {
  readonly exports: Record<string, unknown>;
  done(outcome: { readonly trapped: boolean }): void;
}

export interface RequestInstancesOptions {
  readonly mode: 'shared' | 'per-request';
  /** Told once why per-request instances are instantiated afresh. */
  readonly onFallback: (reason: string) => void;
  /** Told of every instantiation (telemetry); the result is called when it is done. */
  readonly onInstantiate?: (reason: InstantiationReason) => (error?: unknown) => void;
}

type Exports = Record<string, unknown>;

export async function requestInstances(
  component: PreparedComponent,
  imports: ImportObject,
  options: InstantiateOptions,
  settings: RequestInstancesOptions,
): Promise<RequestInstances> {
  const observed = <T>(reason: InstantiationReason, make: () => Promise<T>): Promise<T> => {
    const done = settings.onInstantiate?.(reason);
    if (!done) return make();
    return make().then(
      (made) => {
        done();
        return made;
      },
      (err: unknown) => {
        done(err);
        throw err;
      },
    );
  };
  const fresh = (reason: InstantiationReason) => (): Promise<Exports> =>
    observed(reason, () => instantiateComponent(component, imports, options));
  // Instantiating up front also proves the component can start at all.
  if (settings.mode === 'shared') return sharedInstance(await fresh('start')(), fresh('replace'), fresh('reload'));
  const first = await observed('start', () => instantiateResettable(component, imports, options));
  if ('unavailable' in first) {
    settings.onFallback(first.unavailable);
    return freshPerRequest(await fresh('start')(), fresh('per-request'), fresh('reload'));
  }
  const create = (reason: InstantiationReason) => () =>
    observed(reason, async () => {
      const next = await instantiateResettable(component, imports, options);
      if ('unavailable' in next) throw new Error(`the instance could be reset before but not now: ${next.unavailable}`);
      return next;
    });
  return resetPerRequest(first, create('replace'), create('reload'));
}

function sharedInstance(
  first: Exports,
  fresh: () => Promise<Exports>,
  reloaded: () => Promise<Exports>,
): RequestInstances {
  let current: Exports | undefined = first;
  let replacing: Promise<void> | undefined;
  const replace = (): Promise<void> =>
    (replacing ??= fresh().then(
      (next) => {
        current = next;
        replacing = undefined;
      },
      (err: unknown) => {
        replacing = undefined;
        throw err;
      },
    ));
  return {
    tryTake() {
      const exports = current;
      if (!exports) return undefined;
      return {
        exports,
        done({ trapped }) {
          // A trapped instance cannot be entered again: replace it.
          if (trapped && current === exports) {
            current = undefined;
            void replace().catch(() => undefined); // ready() reports the failure
          }
        },
      };
    },
    ready: () => (current ? Promise.resolve() : replace()),
    async reload() {
      current = await reloaded();
    },
  };
}

function freshPerRequest(
  first: Exports,
  fresh: () => Promise<Exports>,
  reloaded: () => Promise<Exports>,
): RequestInstances {
  const unused: Exports[] = [first];
  return {
    tryTake() {
      const exports = unused.shift();
      return exports && { exports, done: () => undefined };
    },
    ready: async () => {
      unused.push(await fresh());
    },
    async reload() {
      unused.splice(0, unused.length, await reloaded());
    },
  };
}

function resetPerRequest(
  first: ResettableInstance,
  create: () => Promise<ResettableInstance>,
  reloaded: () => Promise<ResettableInstance>,
): RequestInstances {
  let current: ResettableInstance | undefined = first;
  let replacing: Promise<void> | undefined;
  let spare: Promise<ResettableInstance> | undefined;

  const makeSpare = (): void => {
    const made = create();
    made.catch(() => {
      if (spare === made) spare = undefined;
    });
    spare = made;
  };
  /** The spare if there is one, else a new instance; then a spare behind it. */
  const replace = (): Promise<void> => {
    if (replacing) return replacing;
    const next = spare ?? create();
    spare = undefined;
    const settled: Promise<void> = next.then(
      (instance) => {
        if (replacing === settled) replacing = undefined;
        current = instance;
        // A component that had to be replaced once may well need it again.
        makeSpare();
      },
      (err: unknown) => {
        if (replacing === settled) replacing = undefined;
        throw err;
      },
    );
    replacing = settled;
    return settled;
  };

  return {
    tryTake() {
      const instance = current;
      if (!instance) return undefined;
      return {
        exports: instance.exports,
        done({ trapped }) {
          if (current !== instance) return; // replaced meanwhile (reload)
          if (!trapped && instance.reset()) return;
          current = undefined;
          void replace().catch(() => undefined); // ready() reports the failure
        },
      };
    },
    ready: () => (current ? Promise.resolve() : replace()),
    async reload() {
      const next = await reloaded();
      spare = undefined;
      current = next;
    },
  };
}
