// The node's service watches: one ServiceWatch per service (per Nomad
// namespace for Nomad services), shared by every task that granted it.
// A watch nobody uses any more lingers a while before it stops, so a task
// restart or a plugin reconnecting does not tear it down and start over.
import type { Logger } from 'pino';
import type { ServiceCatalog } from './catalog.js';
import type { ServiceProvider, ServiceRef } from './service-ref.js';
import { DEFAULT_WATCH_TIMING, ServiceWatch, type WatchTiming } from './service-watch.js';

export interface WatchTarget {
  readonly ref: ServiceRef;
  /** The task's Nomad namespace: Nomad services are looked up in it. */
  readonly namespace: string;
}

export interface WatchLease {
  readonly watch: ServiceWatch;
  release(): void;
}

export interface ServiceWatchesOptions {
  readonly timing?: WatchTiming;
  /** How long an unused watch keeps running. */
  readonly lingerMs?: number;
}

interface Entry {
  readonly watch: ServiceWatch;
  users: number;
  linger: NodeJS.Timeout | undefined;
}

export function watchKey(target: WatchTarget): string {
  return target.ref.provider === 'nomad' ? `nomad/${target.namespace}/${target.ref.name}` : `consul/${target.ref.name}`;
}

export class ServiceWatches {
  private readonly entries = new Map<string, Entry>();
  private readonly catalogs = new Map<ServiceProvider, ServiceCatalog>();

  constructor(
    private readonly catalogFor: (provider: ServiceProvider) => ServiceCatalog,
    private readonly log: Logger,
    private readonly options: ServiceWatchesOptions = {},
  ) {}

  /** Number of running watches (tests check the sharing). */
  get size(): number {
    return this.entries.size;
  }

  find(target: WatchTarget): ServiceWatch | undefined {
    return this.entries.get(watchKey(target))?.watch;
  }

  acquire(target: WatchTarget): WatchLease {
    const key = watchKey(target);
    let entry = this.entries.get(key);
    if (!entry) {
      const watch = new ServiceWatch(
        describe(target),
        this.catalog(target.ref.provider),
        { name: target.ref.name, namespace: target.namespace },
        this.log,
        this.options.timing ?? DEFAULT_WATCH_TIMING,
      );
      entry = { watch, users: 0, linger: undefined };
      this.entries.set(key, entry);
      watch.start();
    }
    const held = entry;
    clearTimeout(held.linger);
    held.linger = undefined;
    held.users++;
    let released = false;
    return {
      watch: held.watch,
      release: () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.users > 0) return;
        held.linger = setTimeout(() => {
          if (held.users > 0 || this.entries.get(key) !== held) return;
          this.entries.delete(key);
          void held.watch.stop();
        }, this.options.lingerMs ?? 60_000);
        held.linger.unref();
      },
    };
  }

  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) clearTimeout(entry.linger);
    await Promise.all(entries.map((entry) => entry.watch.stop()));
    for (const catalog of this.catalogs.values()) catalog.close();
    this.catalogs.clear();
  }

  private catalog(provider: ServiceProvider): ServiceCatalog {
    let catalog = this.catalogs.get(provider);
    if (!catalog) {
      catalog = this.catalogFor(provider);
      this.catalogs.set(provider, catalog);
    }
    return catalog;
  }
}

function describe(target: WatchTarget): string {
  return target.ref.provider === 'nomad'
    ? `Nomad service "${target.ref.name}" (namespace ${target.namespace})`
    : `Consul service "${target.ref.name}"`;
}
