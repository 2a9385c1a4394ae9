// The plugin process's telemetry: the spans of a task's start phases that
// the plugin itself observes (fetch, signature verification, the launch up
// to "ready"), their durations as metrics, and the optional Prometheus
// scrape listener, which serves the plugin's metrics and the last ones each
// task host sent (metric-snapshot.ts).
//
// The start span's context goes to the task host in its launch spec (as a
// traceparent), so the host's own start spans (compile or cache hit,
// instantiation, the command's run) join the same trace.
import { hostname } from 'node:os';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Histogram,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { labelAttributes, type NomadIdentity } from './identity.js';
import { MetricSnapshots } from './metric-snapshot.js';
import { startTelemetrySdk, type TelemetrySdk } from './sdk.js';
import * as sc from './semconv.js';
import { describeError } from '../errors.js';
import type { TelemetrySettings } from './settings.js';
import { traceparentOf } from './trace-context.js';

export interface StartTrace {
  /** Runs one start phase inside its span (and records its duration). */
  phase<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** The launch phase begins: its traceparent goes in the launch spec; `end` when the task is ready or failed. */
  launch(): { readonly traceparent: string | undefined; end(error?: unknown): void };
  end(error?: unknown): void;
}

export class PluginTelemetry {
  private readonly tracer: Tracer | undefined;
  private readonly phaseDuration: Histogram | undefined;
  private readonly policyDuration: Histogram | undefined;

  private constructor(
    readonly sdk: TelemetrySdk,
    private readonly settings: TelemetrySettings,
    /** What task and pool hosts sent for the scrape listener. */
    readonly snapshots: MetricSnapshots,
  ) {
    this.tracer = sdk.tracerProvider({})?.getTracer('nomad-driver-wasm');
    this.phaseDuration = sdk.meter?.createHistogram(sc.METRIC_START_PHASE_DURATION, {
      unit: 's',
      description: 'Duration of a task start phase.',
      advice: { explicitBucketBoundaries: [...sc.START_DURATION_BUCKETS] },
    });
    this.policyDuration = sdk.meter?.createHistogram(sc.METRIC_POLICY_DURATION, {
      unit: 's',
      description: 'Time spent evaluating admission policy for a task start.',
      advice: { explicitBucketBoundaries: [...sc.START_DURATION_BUCKETS] },
    });
  }

  static async start(settings: TelemetrySettings, report: (message: string) => void): Promise<PluginTelemetry> {
    const snapshots = new MetricSnapshots();
    let pullReader;
    if (settings.prometheus) {
      const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
      pullReader = new PrometheusExporter({
        host: settings.prometheus.host,
        port: settings.prometheus.port,
        metricProducers: [snapshots],
      });
    }
    const sdk = await startTelemetrySdk(settings, {
      processAttributes: {
        [sc.ATTR_SERVICE_NAME]: 'nomad-driver-wasm',
        [sc.ATTR_SERVICE_INSTANCE_ID]: hostname(),
        [sc.ATTR_HOST_NAME]: hostname(),
        [sc.ATTR_PROCESS_PID]: process.pid,
      },
      report,
      ...(pullReader ? { pullReader } : {}),
    });
    return new PluginTelemetry(sdk, settings, snapshots);
  }

  /** A task's start, as the plugin sees it: a root span named for the task. */
  taskStart(identity: NomadIdentity, attributes: Attributes): StartTrace {
    const labels = labelAttributes(identity, this.settings.allocIdLabel);
    const spanLabels = labelAttributes(identity, true);
    const span = this.tracer?.startSpan(
      sc.SPAN_TASK_START,
      { kind: SpanKind.INTERNAL, attributes: { ...spanLabels, ...attributes } },
      ROOT_CONTEXT,
    );
    const child = (name: string): Span | undefined =>
      span &&
      this.tracer?.startSpan(
        sc.SPAN_START_PHASE(name),
        { attributes: { [sc.ATTR_WASM_START_PHASE]: name } },
        trace.setSpan(ROOT_CONTEXT, span),
      );
    const timed = (name: string): { span: Span | undefined; done: (error?: unknown) => void } => {
      const started = performance.now();
      const phaseSpan = child(name);
      return {
        span: phaseSpan,
        done: (error) => {
          this.phaseDuration?.record((performance.now() - started) / 1000, {
            ...labels,
            [sc.ATTR_WASM_START_PHASE]: name,
          });
          endSpan(phaseSpan, error);
        },
      };
    };
    return {
      phase: async (name, work) => {
        const { done } = timed(name);
        try {
          const result = await work();
          done();
          return result;
        } catch (err) {
          done(err);
          throw err;
        }
      },
      launch: () => {
        // The task host's spans (compile or cache hit, instantiation, the run) are this span's children.
        const { span: launchSpan, done } = timed('launch');
        return { traceparent: launchSpan ? traceparentOf(launchSpan.spanContext()) : undefined, end: done };
      },
      end: (error) => endSpan(span, error),
    };
  }

  /**
   * For admission policy (the policy engine): time one evaluation, as a
   * span under the task's start when given one, and as
   * `wasm.policy.evaluation.duration`.
   */
  async policyEvaluation<T>(
    start: StartTrace | undefined,
    attributes: Attributes,
    evaluate: () => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const run = start ? () => start.phase('policy', evaluate) : evaluate;
    try {
      return await run();
    } finally {
      this.policyDuration?.record((performance.now() - started) / 1000, attributes);
    }
  }

  shutdown(): Promise<void> {
    return this.sdk.shutdown(2000);
  }
}

function endSpan(span: Span | undefined, error: unknown): void {
  if (!span) return;
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : describeError(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
  }
  span.end();
}
