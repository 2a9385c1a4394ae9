// Wires `allow_services` into the plugin: the node's service watches
// (one per service, shared by all tasks) feed every task that granted the
// service, over its control channel, from the moment the channel connects
// (after ready, and again after a plugin restart) until the task ends.
import type { Logger } from 'pino';
import { decodeTaskConfig } from '../config/task-config.js';
import type { PluginConfig } from '../config/plugin-config.js';
import { catalogFactory } from '../services/catalogs.js';
import { ServiceWatches } from '../services/service-watches.js';
import { serviceTaskOf, PluginServiceFeeds } from '../services/plugin-service-feeds.js';
import type { ServiceRef } from '../services/service-ref.js';
import type { TaskConfig__Output } from '../generated/hashicorp/nomad/plugins/drivers/proto/TaskConfig.js';
import type { TaskEventBus } from '../task/task-events.js';
import type { TaskManager } from '../task/task-manager.js';

export function createTaskServices(config: () => PluginConfig, events: TaskEventBus, log: Logger): PluginServiceFeeds {
  const watches = new ServiceWatches(
    catalogFactory(() => config().services),
    log,
  );
  return new PluginServiceFeeds(
    watches,
    (task, message, annotations) =>
      events.publish({ taskId: task.id, allocId: task.allocId, taskName: task.name, message, annotations }),
    log,
  );
}

export function feedTaskChannels(manager: TaskManager, services: PluginServiceFeeds, log: Logger): void {
  manager.onChannelConnect((task, channel) => {
    const refs = grantedServices(task.config, log);
    if (refs.length === 0) return;
    services.attach(serviceTaskOf(task.config), refs, (message) => channel.send(message));
    void task.wait().then(() => services.detach(task.id));
  });
}

/** The task's grant, read again from its config: after a plugin restart that is all there is. */
function grantedServices(config: TaskConfig__Output, log: Logger): readonly ServiceRef[] {
  try {
    return decodeTaskConfig(config.msgpack_driver_config).allowServices ?? [];
  } catch (err) {
    // It decoded at start, so this only happens with a handle from another driver version.
    log.warn({ task_id: config.id, err: (err as Error).message }, 'cannot read allow_services from the task config');
    return [];
  }
}
