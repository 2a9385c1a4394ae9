// One instance of a task's component with its WASI host (0.2, and 0.3 when
// the component imports it), as the command runners make it: the
// instantiation is a telemetry span when telemetry is on.
import type { PreparedComponent } from './component-cache.js';
import type { SecretKeys } from './config-view.js';
import type { Grants } from '../ipc/grants.js';
import { hostForTask, instantiateOptions } from './host-for-task.js';
import { instantiateComponent } from './instantiate.js';
import type { LinearMemoryMeter } from './linear-memory-meter.js';
import type { TaskOutput } from './task-output.js';
import type { TaskTelemetryHooks } from '../telemetry/hooks.js';
import type { KeyValueBackend } from '../spin/granted-stores.js';

export async function instantiateForTask(
  component: PreparedComponent,
  grants: Grants,
  secrets: SecretKeys | undefined,
  output: TaskOutput,
  meter: LinearMemoryMeter | undefined,
  telemetry: TaskTelemetryHooks | undefined,
  keyValue: KeyValueBackend | undefined,
): Promise<Record<string, unknown>> {
  const instantiated = telemetry?.instantiation('start');
  try {
    const instance = await instantiateComponent(
      component,
      hostForTask(grants, secrets, output, telemetry, keyValue, component.p3Imports),
      instantiateOptions(grants, meter),
    );
    instantiated?.();
    return instance;
  } catch (err) {
    instantiated?.(err);
    throw err;
  }
}
