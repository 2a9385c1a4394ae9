// wasi:config/store reads as telemetry sees them: a span per read with the
// key and whether a value came back (never the value), and a key the job
// did not grant counted as a denied capability.
import type { ConfigGrants } from '../ipc/grants.js';
import type { TaskTelemetryHooks } from '../telemetry/hooks.js';
import type { ConfigSource } from '../wasi/config-store.js';
import { secretKeyGranted } from './config-view.js';

export function observedConfig(
  source: ConfigSource,
  grants: ConfigGrants | undefined,
  telemetry: TaskTelemetryHooks,
): ConfigSource {
  const granted = (key: string): boolean =>
    grants !== undefined && (key in grants.values || secretKeyGranted(grants, key));
  return {
    get: (key) => {
      let value: string | undefined;
      try {
        value = source.get(key);
      } finally {
        telemetry.configRead('get', key, value !== undefined);
      }
      if (value === undefined && !granted(key)) telemetry.denied('config', key);
      return value;
    },
    getAll: () => {
      let all: [string, string][] | undefined;
      try {
        all = source.getAll();
      } finally {
        telemetry.configRead('get-all', undefined, (all?.length ?? 0) > 0);
      }
      return all;
    },
  };
}
