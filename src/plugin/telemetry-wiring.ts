// The plugin's telemetry, started on first use with the node's settings:
// by the first Fingerprint (only the long-lived plugin instance streams
// fingerprints; SetConfig also runs in throw-away instances and must not
// bind a scrape listener) or the first StartTask. Task hosts' metric
// snapshots are kept for the scrape listener while their tasks run.
import type { Logger } from 'pino';
import type { PluginConfig } from '../config/plugin-config.js';
import { describeError } from '../errors.js';
import type { TaskManager } from '../task/task-manager.js';
import type { PluginTelemetry } from '../telemetry/plugin-telemetry.js';
import { telemetryEnabled } from '../telemetry/settings.js';

export interface PluginTelemetryHandle {
  /** The plugin's telemetry, started now if needed; undefined when the node configures none (or it failed to start). */
  readonly get: () => Promise<PluginTelemetry | undefined>;
  /** Keeps each task host's metric snapshots for the scrape listener. */
  feed(manager: TaskManager): void;
}

export function pluginTelemetryFor(config: () => PluginConfig, log: Logger): PluginTelemetryHandle {
  let started: Promise<PluginTelemetry | undefined> | undefined;
  const get = (): Promise<PluginTelemetry | undefined> => {
    const settings = config().telemetry;
    if (!telemetryEnabled(settings)) return Promise.resolve(undefined);
    started ??= import('../telemetry/plugin-telemetry.js')
      .then(({ PluginTelemetry }) => PluginTelemetry.start(settings, (message) => log.warn(message)))
      .then(
        (telemetry) => {
          log.info(
            { traces: settings.traces?.url, metrics: settings.metrics?.url, prometheus: settings.prometheus },
            'telemetry started',
          );
          return telemetry;
        },
        (err: unknown) => {
          // Tasks run without telemetry rather than not at all (a scrape port in use, say).
          log.error({ err: describeError(err) }, 'telemetry could not be started; tasks run without it');
          return undefined;
        },
      );
    return started;
  };
  return {
    get,
    feed(manager) {
      const watched = new Set<string>();
      manager.onHostMessage('metrics', (task, message) => {
        if (message.type !== 'metrics') return;
        void get().then((telemetry) => {
          if (!telemetry) return;
          telemetry.snapshots.put(task.id, message.snapshot);
          if (watched.has(task.id)) return;
          watched.add(task.id);
          void task.wait().then(() => {
            watched.delete(task.id);
            telemetry.snapshots.ended(task.id);
          });
        });
      });
    },
  };
}
