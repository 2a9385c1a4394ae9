// A task host's telemetry, when its launch spec has a telemetry section:
// the process's SDK (its resource names the task: a task host runs one),
// the task's hooks for the runtime, and the flush before the process exits.
// Imported only then: a task host without telemetry loads no SDK.
import { hostname } from 'node:os';
import { identityAttributes, taskResourceAttributes, type TaskTelemetrySpec } from '../telemetry/identity.js';
import { startTelemetrySdk, type TelemetrySdk } from '../telemetry/sdk.js';
import { ATTR_HOST_NAME, ATTR_PROCESS_PID, ATTR_WASM_DIGEST, ATTR_WASM_TIER } from '../telemetry/semconv.js';
import { TaskTelemetry } from '../telemetry/task-telemetry.js';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { HostMessage } from '../ipc/control-protocol.js';
import { forwardingExporter } from '../telemetry/metric-snapshot.js';

export interface HostTelemetry {
  readonly sdk: TelemetrySdk;
  readonly task: TaskTelemetry;
  /** Sends what is buffered before the process exits, bounded: a batch task loses nothing, a dead collector delays the exit by this at most. */
  flush(): Promise<void>;
}

/** How long a task host waits for its last spans and metrics to be sent before it exits. */
export const EXIT_FLUSH_MS = 3000;

export async function startHostTelemetry(
  spec: TaskTelemetrySpec,
  component: { readonly digest?: string; readonly world?: string },
  report: (message: string) => void,
  forwardMetrics?: PushMetricExporter,
): Promise<HostTelemetry> {
  const sdk = await startTelemetrySdk(spec.settings, {
    // A task host is one task: its metrics' resource names it (Nomad labels come from there).
    processAttributes: {
      ...identityAttributes(spec.identity, spec.settings.allocIdLabel),
      [ATTR_WASM_TIER]: spec.tier,
      ...(component.digest ? { [ATTR_WASM_DIGEST]: component.digest } : {}),
      [ATTR_HOST_NAME]: hostname(),
      [ATTR_PROCESS_PID]: process.pid,
    },
    report,
    ...(forwardMetrics ? { forwardMetrics } : {}),
  });
  const task = new TaskTelemetry({
    sdk,
    resource: taskResourceAttributes(spec, component),
    startParent: spec.startParent,
    ...(spec.sampler ? { sampler: spec.sampler } : {}),
    pointAttributes: {},
  });
  task.observeProcessCpu();
  return { sdk, task, flush: () => sdk.flush(EXIT_FLUSH_MS) };
}

/** Metrics for the plugin's scrape listener, over the control channel; labelled with the task's Nomad attributes. */
export function forwardToPlugin(send: (message: HostMessage) => void): PushMetricExporter {
  return forwardingExporter(
    (snapshot) => send({ type: 'metrics', snapshot }),
    (resource) => Object.fromEntries(Object.entries(resource.attributes).filter(([key]) => key.startsWith('nomad.'))),
  );
}
