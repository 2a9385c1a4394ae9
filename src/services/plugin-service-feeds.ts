// The plugin's half of `allow_services`: what a starting task gets (the
// first answer for each service it granted, or a clear refusal), and what a
// running task gets over its control channel (every change of those sets,
// from the node's shared watches). Catalog problems become task events.
import type { Logger } from 'pino';
import type { KnownServiceSet } from './service-directory.js';
import type { ServiceInstancesMessage } from './service-messages.js';
import { serviceHost, type ServiceRef } from './service-ref.js';
import type { ServiceWatches, WatchLease } from './service-watches.js';
import type { WatchState } from './service-watch.js';

/** The task as this room needs it: ids for its events, the namespace for Nomad lookups. */
export interface ServiceTask {
  readonly id: string;
  readonly allocId: string;
  readonly name: string;
  readonly namespace: string;
}

export function serviceTaskOf(config: {
  readonly id: string;
  readonly alloc_id: string;
  readonly name: string;
  readonly namespace: string;
}): ServiceTask {
  return { id: config.id, allocId: config.alloc_id, name: config.name, namespace: config.namespace || 'default' };
}

export type PublishEvent = (task: ServiceTask, message: string, annotations: Record<string, string>) => void;

export interface PluginServiceFeedsOptions {
  /** How long a start waits for a catalog that does not answer before it goes on without the set. */
  readonly startWaitMs?: number;
}

export class PluginServiceFeeds {
  private readonly attached = new Map<string, Array<{ lease: WatchLease; unsubscribe: () => void }>>();

  constructor(
    private readonly watches: ServiceWatches,
    private readonly publish: PublishEvent,
    private readonly log: Logger,
    private readonly options: PluginServiceFeedsOptions = {},
  ) {}

  /**
   * The first answer for each service a starting task granted, waiting at
   * most `startWaitMs` for a catalog that does not answer. Rejects with
   * SERVICE_LOOKUP_DENIED when the catalog refuses the plugin's token.
   * The watches keep running (they linger) until the task host attaches.
   */
  async initialSets(task: ServiceTask, refs: readonly ServiceRef[]): Promise<KnownServiceSet[]> {
    const leases = refs.map((ref) => ({ ref, lease: this.watches.acquire({ ref, namespace: task.namespace }) }));
    try {
      const waitMs = this.options.startWaitMs ?? 10_000;
      const states = await Promise.all(
        leases.map(async ({ ref, lease }) => ({ ref, state: await lease.watch.firstAnswer(waitMs) })),
      );
      for (const { state } of states) {
        if (state.kind === 'failing' && state.error.code === 'SERVICE_LOOKUP_DENIED') throw state.error;
      }
      return states.map(({ ref, state }) => {
        this.reportStartState(task, ref, state, waitMs);
        return { ref, instances: state.kind === 'pending' ? null : (state.instances ?? null) };
      });
    } finally {
      for (const { lease } of leases) lease.release();
    }
  }

  /**
   * A task's channel (re)connected: send the current sets, then every change,
   * until the task ends or the channel connects again.
   */
  attach(task: ServiceTask, refs: readonly ServiceRef[], send: (message: ServiceInstancesMessage) => boolean): void {
    this.detach(task.id);
    if (refs.length === 0) return;
    const subscriptions = refs.map((ref) => {
      const lease = this.watches.acquire({ ref, namespace: task.namespace });
      const push = (instances: ServiceInstancesMessage['instances']): void => {
        send({ type: 'service-instances', service: ref, instances });
      };
      const unsubscribe = lease.watch.subscribe({
        onInstances: push,
        onProblem: (error) =>
          this.publish(
            task,
            `Service lookup failed, keeping the last known instances of ${serviceHost(ref)}: ${error.message}`,
            { service: serviceHost(ref), code: error.code },
          ),
        onRecovered: () =>
          this.publish(task, `Service lookup of ${serviceHost(ref)} works again`, { service: serviceHost(ref) }),
      });
      const current = lease.watch.current;
      if (current.kind !== 'pending' && current.instances !== undefined) push(current.instances);
      return { lease, unsubscribe };
    });
    this.attached.set(task.id, subscriptions);
    this.log.debug({ task_id: task.id, services: refs.map(serviceHost) }, 'task subscribed to service instances');
  }

  detach(taskId: string): void {
    const subscriptions = this.attached.get(taskId);
    if (!subscriptions) return;
    this.attached.delete(taskId);
    for (const { lease, unsubscribe } of subscriptions) {
      unsubscribe();
      lease.release();
    }
  }

  private reportStartState(task: ServiceTask, ref: ServiceRef, state: WatchState, waitMs: number): void {
    const name = serviceHost(ref);
    if (state.kind === 'pending') {
      const catalog = ref.provider === 'consul' ? 'Consul' : 'Nomad';
      this.publish(
        task,
        `${catalog} did not answer for ${name} within ${waitMs / 1000} s; the task starts without its instances and gets them when ${catalog} answers`,
        { service: name },
      );
    } else if (state.kind === 'failing') {
      const known =
        state.instances === undefined ? 'none known yet' : `keeping the ${state.instances.length} last known`;
      this.publish(task, `Service lookup failed for ${name} (${known}): ${state.error.message}`, {
        service: name,
        code: state.error.code,
      });
    } else if (state.instances.length === 0) {
      this.publish(
        task,
        `No healthy instance of ${name} yet; requests to it fail with destination-unavailable until one passes its checks`,
        { service: name },
      );
    }
  }
}
