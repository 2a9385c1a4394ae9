// A pool host's telemetry: one SDK for the process (started with the first
// task that has telemetry; every task of a node has the node's settings),
// a TaskTelemetry per task whose spans carry the task's resource and whose
// metric points carry its Nomad labels (one meter serves several tasks),
// and the pool's occupancy.
import { hostname } from 'node:os';
import { labelAttributes, taskResourceAttributes, type TaskTelemetrySpec } from '../telemetry/identity.js';
import { startTelemetrySdk, type TelemetrySdk } from '../telemetry/sdk.js';
import {
  ATTR_HOST_NAME,
  ATTR_PROCESS_PID,
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_WASM_TIER,
  METRIC_POOL_TASKS,
} from '../telemetry/semconv.js';
import { TaskTelemetry } from '../telemetry/task-telemetry.js';

let sdk: Promise<TelemetrySdk> | undefined;

export async function poolTaskTelemetry(
  spec: TaskTelemetrySpec,
  component: { readonly digest?: string; readonly world?: string },
  report: (message: string) => void,
  tasksRunning: () => number,
): Promise<TaskTelemetry> {
  sdk ??= startTelemetrySdk(spec.settings, {
    processAttributes: {
      [ATTR_SERVICE_NAME]: 'nomad-driver-wasm-pool',
      [ATTR_SERVICE_INSTANCE_ID]: `${hostname()}/${process.pid}`,
      [ATTR_WASM_TIER]: 'pooled',
      [ATTR_HOST_NAME]: hostname(),
      [ATTR_PROCESS_PID]: process.pid,
    },
    report,
  }).then((started) => {
    started.meter
      ?.createObservableGauge(METRIC_POOL_TASKS, { unit: '{task}', description: 'Tasks running in this pool host.' })
      .addCallback((result) => result.observe(tasksRunning()));
    return started;
  });
  const started = await sdk;
  return new TaskTelemetry({
    sdk: started,
    resource: taskResourceAttributes(spec, component),
    startParent: spec.startParent,
    ...(spec.sampler ? { sampler: spec.sampler } : {}),
    pointAttributes: labelAttributes(spec.identity, spec.settings.allocIdLabel),
  });
}

/** Sends what the pool's SDK holds (a task ended: its last spans and metrics), bounded. */
export async function flushPoolTelemetry(timeoutMs: number): Promise<void> {
  await (await sdk)?.flush(timeoutMs);
}
