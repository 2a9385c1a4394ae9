// The OpenTelemetry SDK of one process (the plugin, a task host, a pool host
// or a command worker), set up in this one file: one batch span processor
// and one meter provider per process, and a tracer provider per task that
// shares the processor (each task's spans carry that task's resource; a
// pool host runs several tasks).
//
// Nothing is registered globally (no global tracer provider, no context
// manager): spans are parented explicitly, so nothing here costs anything
// on code that does not ask for a span.
import type { Attributes, Meter } from '@opentelemetry/api';
import { resourceFromAttributes, defaultResource, type Resource } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricReader,
  type MetricProducer,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { metricExporterFor, spanExporterFor } from './exporters.js';
import { ExportHealthTracker, observedExporter, type HealthReporter } from './export-health.js';
import type { SamplerSettings, TelemetrySettings } from './settings.js';
import { HotPathMetrics } from './request-histogram.js';

export interface SdkOptions {
  /** Attributes of this process's resource (who exports: the plugin, a task host, a pool host). */
  readonly processAttributes: Attributes;
  /** One warning per collector outage, one notice on recovery. */
  readonly report: HealthReporter;
  /**
   * Metrics also (or only) go to the plugin, for its Prometheus scrape
   * listener: a host process's exporter that sends them over its channel.
   */
  readonly forwardMetrics?: PushMetricExporter;
  /** Metrics of other processes, served with this process's (the plugin's scrape listener). */
  readonly metricProducers?: MetricProducer[];
  /** A pull reader (the plugin's Prometheus scrape listener). */
  readonly pullReader?: MetricReader;
}

export interface TelemetrySdk {
  readonly settings: TelemetrySettings;
  /** undefined when metrics are off. */
  readonly meter: Meter | undefined;
  readonly meterProvider: MeterProvider | undefined;
  /** Histograms and gauges of the request path, aggregated outside the SDK and collected with it (request-histogram.ts). */
  readonly hotPath: HotPathMetrics;
  /** The resource of a task's spans: this process's, with the task's attributes. */
  resourceFor(taskResource: Attributes): Resource;
  /** A tracer provider for one task (its resource, its sampler); undefined when traces are off. */
  tracerProvider(resource: Attributes, sampler?: SamplerSettings): TracerProvider | undefined;
  /** Feeds a span made elsewhere (a guest's, through wasi:otel) into the export pipeline. */
  exportSpan(span: ReadableSpan): void;
  /** Sends what is buffered, waiting at most `timeoutMs` (a batch task before it exits). */
  flush(timeoutMs: number): Promise<void>;
  shutdown(timeoutMs: number): Promise<void>;
  readonly spanHealth: ExportHealthTracker | undefined;
  readonly metricHealth: ExportHealthTracker | undefined;
}

/** The SDK's own package version, for `telemetry.sdk.*` (from its default resource). */
let baseResource: Resource | undefined;

export function processResource(attributes: Attributes, settings: TelemetrySettings): Resource {
  baseResource ??= defaultResource();
  return baseResource.merge(resourceFromAttributes({ ...attributes, ...settings.resourceAttributes }));
}

export async function startTelemetrySdk(settings: TelemetrySettings, options: SdkOptions): Promise<TelemetrySdk> {
  const resource = processResource(options.processAttributes, settings);
  const hotPath = new HotPathMetrics();
  const { meterProvider, metricHealth } = await startMetrics(settings, resource, options, hotPath);
  let spanHealth: ExportHealthTracker | undefined;
  let processor: SpanProcessor | undefined;
  if (settings.traces) {
    spanHealth = new ExportHealthTracker('spans', settings.traces.url, options.report);
    const exporter = observedExporter(
      await spanExporterFor(settings.traces),
      spanHealth,
      (spans: ReadableSpan[]) => spans.length,
    );
    processor = new BatchSpanProcessor({
      exporter,
      scheduledDelayMillis: settings.batch.scheduleDelayMs,
      exportTimeoutMillis: settings.batch.exportTimeoutMs,
      maxQueueSize: settings.batch.maxQueueSize,
      maxExportBatchSize: settings.batch.maxExportBatchSize,
      // Drops of a full queue are counted as otel.sdk.processor.span.processed{error.type="queue_full"}.
      ...(meterProvider ? { selfObsMeterProvider: meterProvider } : {}),
    });
  }
  const defaultSampler = samplerFor(settings.sampler);
  const shared = processor;
  // One Resource object per task: the exporter groups a batch's spans by resource identity.
  const taskResources = new WeakMap<Attributes, Resource>();
  const resourceFor = (taskResource: Attributes): Resource => {
    let merged = taskResources.get(taskResource);
    if (!merged) {
      merged = resource.merge(resourceFromAttributes({ ...taskResource, ...settings.resourceAttributes }));
      taskResources.set(taskResource, merged);
    }
    return merged;
  };
  return {
    resourceFor,
    settings,
    meter: meterProvider?.getMeter('nomad-driver-wasm'),
    meterProvider,
    hotPath,
    tracerProvider(taskResource, sampler) {
      if (!shared) return undefined;
      return new TracerProvider({
        resource: resourceFor(taskResource),
        sampler: sampler ? samplerFor(sampler) : defaultSampler,
        spanProcessors: [shared],
      });
    },
    exportSpan(span) {
      shared?.onEnd(span);
    },
    async flush(timeoutMs) {
      await withTimeout(
        Promise.allSettled([shared?.forceFlush(), meterProvider?.forceFlush({ timeoutMillis: timeoutMs })]),
        timeoutMs,
      );
    },
    async shutdown(timeoutMs) {
      await withTimeout(
        Promise.allSettled([shared?.shutdown(), meterProvider?.shutdown({ timeoutMillis: timeoutMs })]),
        timeoutMs,
      );
    },
    spanHealth,
    metricHealth,
  };
}

async function startMetrics(
  settings: TelemetrySettings,
  resource: Resource,
  options: SdkOptions,
  hotPath: HotPathMetrics,
): Promise<{ meterProvider: MeterProvider | undefined; metricHealth: ExportHealthTracker | undefined }> {
  const readers: MetricReader[] = options.pullReader ? [options.pullReader] : [];
  const producers = { metricProducers: [hotPath, ...(options.metricProducers ?? [])] };
  let metricHealth: ExportHealthTracker | undefined;
  if (settings.metrics) {
    metricHealth = new ExportHealthTracker('metrics', settings.metrics.url, options.report);
    const exporter = observedExporter(await metricExporterFor(settings.metrics), metricHealth, pointCount);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: settings.metricIntervalMs,
        exportTimeoutMillis: Math.min(settings.metrics.timeoutMs, settings.metricIntervalMs),
        ...producers,
      }),
    );
  }
  if (settings.prometheus && options.forwardMetrics) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: options.forwardMetrics,
        exportIntervalMillis: FORWARD_INTERVAL_MS,
        exportTimeoutMillis: FORWARD_INTERVAL_MS,
        metricProducers: [hotPath],
      }),
    );
  }
  if (readers.length === 0) return { meterProvider: undefined, metricHealth };
  return { meterProvider: new MeterProvider({ resource, readers }), metricHealth };
}

/** How often a host process sends its metrics to the plugin's scrape listener. */
export const FORWARD_INTERVAL_MS = 5000;

function pointCount(metrics: ResourceMetrics): number {
  let count = 0;
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) count += metric.dataPoints.length;
  return count;
}

export function samplerFor(settings: SamplerSettings): Sampler {
  switch (settings.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(settings.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.ratio) });
  }
}

async function withTimeout(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}
