// What telemetry a node exports and where: the plugin resolves it once from
// its `telemetry` config block and the standard OTEL_* environment variables
// (src/config/telemetry-config.ts), and hands it to every task and pool host
// in their launch specs (task hosts get no environment of the plugin's).
//
// Plain data: it crosses the process boundary as JSON. OTLP headers may
// carry a collector's credentials: they travel on the launch-spec pipe only,
// are never logged and never reach a component.

export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';
export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];

export interface OtlpTarget {
  /** For http/*: the full signal URL (`…/v1/traces`); for grpc: the collector's address. */
  readonly url: string;
  readonly protocol: OtlpProtocol;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export type SamplerKind =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';
export const SAMPLER_KINDS: readonly SamplerKind[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

export interface SamplerSettings {
  readonly kind: SamplerKind;
  /** For the ratio samplers, 0..1. */
  readonly ratio: number;
}

/** The batch span processor's bounds (OTEL_BSP_*): what a slow or absent collector can cost at most. */
export interface BatchSettings {
  readonly scheduleDelayMs: number;
  readonly exportTimeoutMs: number;
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
}

export interface TelemetrySettings {
  /** Where spans go; undefined = no trace export. */
  readonly traces: OtlpTarget | undefined;
  /** Where metrics are pushed; undefined = not pushed (maybe only scraped). */
  readonly metrics: OtlpTarget | undefined;
  readonly metricIntervalMs: number;
  /** The plugin's Prometheus scrape listener (task metrics reach it through the plugin). */
  readonly prometheus: { readonly host: string; readonly port: number } | undefined;
  readonly sampler: SamplerSettings;
  readonly batch: BatchSettings;
  /** OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, added to every resource. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Whether metrics carry `nomad.alloc.id` (one series per allocation: cardinality). */
  readonly allocIdLabel: boolean;
}

export const DEFAULT_BATCH: BatchSettings = {
  scheduleDelayMs: 5000,
  exportTimeoutMs: 30_000,
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
};
export const DEFAULT_METRIC_INTERVAL_MS = 60_000;
export const DEFAULT_OTLP_TIMEOUT_MS = 10_000;

/** Whether anything is exported at all (off unless configured). */
export function telemetryEnabled(settings: TelemetrySettings | undefined): settings is TelemetrySettings {
  return (
    settings !== undefined &&
    (settings.traces !== undefined || settings.metrics !== undefined || settings.prometheus !== undefined)
  );
}

/** Whether metrics are collected at all (pushed, or scraped from the plugin). */
export function metricsEnabled(settings: TelemetrySettings): boolean {
  return settings.metrics !== undefined || settings.prometheus !== undefined;
}
