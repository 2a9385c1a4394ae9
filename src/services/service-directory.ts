// The task host's view of the services its task granted: the last healthy
// set of each (from the launch spec, then pushed by the plugin's watches),
// which instance to use next, and which ones just failed. Everything is in
// memory: picking an instance never waits on I/O.
//
// Sets are kept while the plugin restarts or the catalog is unreachable:
// only a new set from the plugin replaces one.
import { instanceKey, normalizeInstances, type ServiceInstance } from './service-instance.js';
import { sameService, type ServiceRef } from './service-ref.js';

/** How long an instance that refused a connection is tried only as a last resort. */
export const EJECT_MS = 10_000;

export interface KnownServiceSet {
  readonly ref: ServiceRef;
  /** null: no answer from the catalog yet. */
  readonly instances: readonly ServiceInstance[] | null;
}

export type Pick =
  | { readonly kind: 'instance'; readonly instance: ServiceInstance }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'none-healthy' }
  | { readonly kind: 'all-tried' };

interface Entry {
  readonly ref: ServiceRef;
  instances: readonly ServiceInstance[] | null;
  next: number;
}

export class ServiceDirectory {
  private readonly entries: Entry[];
  /** instance key -> time until which it is avoided */
  private readonly ejected = new Map<string, number>();

  constructor(
    grants: readonly ServiceRef[],
    initial: readonly KnownServiceSet[] = [],
    private readonly now: () => number = Date.now,
  ) {
    this.entries = grants.map((ref) => ({
      ref,
      instances: initial.find((set) => sameService(set.ref, ref))?.instances ?? null,
      // Tasks start at different instances, so a fleet of them does not pile onto the first one.
      next: Math.floor(Math.random() * 1024),
    }));
  }

  find(ref: ServiceRef): ServiceRef | undefined {
    return this.entry(ref)?.ref;
  }

  instances(ref: ServiceRef): readonly ServiceInstance[] | null {
    return this.entry(ref)?.instances ?? null;
  }

  /** Replaces the set of a granted service; sets of others are ignored. */
  update(ref: ServiceRef, instances: readonly ServiceInstance[]): boolean {
    const entry = this.entry(ref);
    if (!entry) return false;
    entry.instances = normalizeInstances(instances);
    return true;
  }

  /** Round robin over the set, skipping `tried` and, while others remain, recently failed instances. */
  pick(ref: ServiceRef, tried: ReadonlySet<string>): Pick {
    const entry = this.entry(ref);
    if (!entry || entry.instances === null) return { kind: 'unknown' };
    const candidates = entry.instances.filter((instance) => !tried.has(instanceKey(instance)));
    if (entry.instances.length === 0) return { kind: 'none-healthy' };
    if (candidates.length === 0) return { kind: 'all-tried' };
    const now = this.now();
    const fresh = candidates.filter((instance) => (this.ejected.get(instanceKey(instance)) ?? 0) <= now);
    const pool = fresh.length > 0 ? fresh : candidates;
    const instance = pool[entry.next++ % pool.length] as ServiceInstance;
    return { kind: 'instance', instance };
  }

  failed(instance: ServiceInstance): void {
    this.ejected.set(instanceKey(instance), this.now() + EJECT_MS);
    // Forget expired entries so the map stays as small as the failures.
    for (const [key, until] of this.ejected) if (until <= this.now()) this.ejected.delete(key);
  }

  private entry(ref: ServiceRef): Entry | undefined {
    return this.entries.find((entry) => sameService(entry.ref, ref));
  }
}
