// The client agent's `telemetry { ... }` block inside `plugin "wasm" {
// config { ... } }`, merged with the standard OTEL_* environment variables
// of the plugin process (Nomad starts plugins with the agent's environment).
// The block wins where both say something; OTEL_SDK_DISABLED=true turns
// everything off. Telemetry is on when the block is present or an OTLP
// endpoint variable is set, and off otherwise.
//
// A malformed value fails the plugin config and names the block field or
// the environment variable.
import { attr, object, singleBlock, type Spec } from '../hclspec/spec.js';
import {
  DEFAULT_BATCH,
  DEFAULT_METRIC_INTERVAL_MS,
  DEFAULT_OTLP_TIMEOUT_MS,
  OTLP_PROTOCOLS,
  SAMPLER_KINDS,
  type BatchSettings,
  type OtlpProtocol,
  type OtlpTarget,
  type SamplerKind,
  type SamplerSettings,
  type TelemetrySettings,
} from '../telemetry/settings.js';
import { ConfigFieldError, type ConfigReader } from './config-reader.js';
import { parseDuration } from './duration.js';

export const telemetryConfigSpec: Spec = singleBlock(
  'telemetry',
  object({
    endpoint: attr('endpoint', 'string'),
    traces_endpoint: attr('traces_endpoint', 'string'),
    metrics_endpoint: attr('metrics_endpoint', 'string'),
    protocol: attr('protocol', 'string'),
    headers: attr('headers', 'map(string)'),
    sample_ratio: attr('sample_ratio', 'number'),
    metric_export_interval: attr('metric_export_interval', 'string'),
    prometheus_listen: attr('prometheus_listen', 'string'),
    alloc_id_label: attr('alloc_id_label', 'bool'),
  }),
);

type Env = Readonly<Record<string, string | undefined>>;

/** An environment variable with a bad value: the message names it. */
class EnvError extends Error {
  constructor(name: string, message: string) {
    super(`environment variable ${name}: ${message}`);
  }
}

export function decodeTelemetryConfig(block: ConfigReader | undefined, env: Env): TelemetrySettings | undefined {
  if (/^true$/i.test(env['OTEL_SDK_DISABLED']?.trim() ?? '')) return undefined;
  const envEndpoint =
    env['OTEL_EXPORTER_OTLP_ENDPOINT'] ??
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ??
    env['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'];
  if (!block && envEndpoint === undefined) return undefined;

  const endpoint = block?.optionalString('endpoint');
  const protocol = block ? blockProtocol(block) : undefined;
  const headers = block?.stringMap('headers') ?? {};
  const traces = otlpTarget('TRACES', 'traces', env, {
    endpoint,
    signalEndpoint: block?.optionalString('traces_endpoint'),
    protocol,
    headers,
  });
  const metrics = otlpTarget('METRICS', 'metrics', env, {
    endpoint,
    signalEndpoint: block?.optionalString('metrics_endpoint'),
    protocol,
    headers,
  });
  return {
    traces: exporterOn(env, 'OTEL_TRACES_EXPORTER') ? traces : undefined,
    metrics: exporterOn(env, 'OTEL_METRICS_EXPORTER') ? metrics : undefined,
    metricIntervalMs: metricInterval(block, env),
    prometheus: prometheusListen(block),
    sampler: sampler(block, env),
    batch: batch(env),
    resourceAttributes: resourceAttributes(env),
    allocIdLabel: block?.optionalBool('alloc_id_label') ?? true,
  };
}

function blockProtocol(block: ConfigReader): OtlpProtocol | undefined {
  const value = block.optionalString('protocol');
  if (value === undefined) return undefined;
  if (!isProtocol(value))
    throw new ConfigFieldError('telemetry.protocol', `must be one of ${OTLP_PROTOCOLS.join(', ')}, got "${value}"`);
  return value;
}

function isProtocol(value: string): value is OtlpProtocol {
  return (OTLP_PROTOCOLS as readonly string[]).includes(value);
}

/** OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER: `otlp` (default) or `none`. */
function exporterOn(env: Env, name: string): boolean {
  const value = env[name]?.trim();
  if (value === undefined || value === '' || value === 'otlp') return true;
  if (value === 'none') return false;
  throw new EnvError(name, `must be "otlp" or "none", got "${value}"`);
}

interface BlockTarget {
  readonly endpoint: string | undefined;
  /** `traces_endpoint` / `metrics_endpoint`: the whole signal URL, used as it is (Jaeger, Prometheus directly). */
  readonly signalEndpoint: string | undefined;
  readonly protocol: OtlpProtocol | undefined;
  readonly headers: Record<string, string>;
}

/** One signal's exporter target: block, then signal-specific env, then general env, then the OTLP defaults. */
function otlpTarget(signal: 'TRACES' | 'METRICS', path: string, env: Env, block: BlockTarget): OtlpTarget {
  const protocolVar = [`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, 'OTEL_EXPORTER_OTLP_PROTOCOL'].find((n) => env[n]);
  let protocol: OtlpProtocol = 'http/protobuf';
  if (block.protocol) protocol = block.protocol;
  else if (protocolVar) {
    const value = env[protocolVar]?.trim() ?? '';
    if (!isProtocol(value))
      throw new EnvError(protocolVar, `must be one of ${OTLP_PROTOCOLS.join(', ')}, got "${value}"`);
    protocol = value;
  }
  let url: string;
  let urlSource: string;
  const signalVar = `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`;
  if (block.signalEndpoint !== undefined) {
    urlSource = `telemetry.${path}_endpoint`;
    url = block.signalEndpoint;
  } else if (block.endpoint !== undefined) {
    urlSource = 'telemetry.endpoint';
    url = signalUrl(block.endpoint, protocol, path);
  } else if (env[signalVar]) {
    urlSource = signalVar;
    url = env[signalVar]?.trim() ?? '';
  } else if (env['OTEL_EXPORTER_OTLP_ENDPOINT']) {
    urlSource = 'OTEL_EXPORTER_OTLP_ENDPOINT';
    url = signalUrl(env['OTEL_EXPORTER_OTLP_ENDPOINT'].trim(), protocol, path);
  } else {
    urlSource = 'telemetry.endpoint';
    url = signalUrl(protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318', protocol, path);
  }
  checkUrl(url, urlSource);
  const headers = {
    ...parseHeaders(env, 'OTEL_EXPORTER_OTLP_HEADERS'),
    ...parseHeaders(env, `OTEL_EXPORTER_OTLP_${signal}_HEADERS`),
    ...block.headers,
  };
  const timeoutVar = [`OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`, 'OTEL_EXPORTER_OTLP_TIMEOUT'].find((n) => env[n]);
  const timeoutMs = timeoutVar ? positiveInt(env, timeoutVar) : DEFAULT_OTLP_TIMEOUT_MS;
  return { url, protocol, headers, timeoutMs };
}

/** The OTLP/HTTP signal path is appended to a base endpoint; gRPC takes the address as it is. */
function signalUrl(base: string, protocol: OtlpProtocol, path: string): string {
  if (protocol === 'grpc') return base;
  return `${base.replace(/\/+$/, '')}/v1/${path}`;
}

function checkUrl(url: string, source: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fieldError(source, `must be a URL like http://collector:4318, got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw fieldError(source, `must be an http:// or https:// URL, got "${url}"`);
}

function fieldError(source: string, message: string): Error {
  return source.startsWith('OTEL_') ? new EnvError(source, message) : new ConfigFieldError(source, message);
}

/** `key=value,key2=value2`, values percent-encoded (the OTel environment spec). */
function parseHeaders(env: Env, name: string): Record<string, string> {
  return parseKeyValues(env[name], name);
}

function parseKeyValues(text: string | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text?.trim()) return out;
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    const key = at > 0 ? part.slice(0, at).trim() : '';
    if (key === '') throw new EnvError(name, `expected key=value pairs separated by commas, got "${part.trim()}"`);
    try {
      out[key] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      throw new EnvError(name, `the value of "${key}" is not valid percent-encoding`);
    }
  }
  return out;
}

function positiveInt(env: Env, name: string): number {
  const text = env[name]?.trim() ?? '';
  const value = Number(text);
  if (!/^\d+$/.test(text) || !(value > 0)) throw new EnvError(name, `must be a positive whole number, got "${text}"`);
  return value;
}

function metricInterval(block: ConfigReader | undefined, env: Env): number {
  const text = block?.optionalString('metric_export_interval');
  if (text !== undefined) {
    const ms = parseDuration(text);
    if (ms === undefined || ms < 100)
      throw new ConfigFieldError(
        'telemetry.metric_export_interval',
        `must be a duration of at least 100ms like "15s", got "${text}"`,
      );
    return ms;
  }
  return env['OTEL_METRIC_EXPORT_INTERVAL']
    ? positiveInt(env, 'OTEL_METRIC_EXPORT_INTERVAL')
    : DEFAULT_METRIC_INTERVAL_MS;
}

function prometheusListen(block: ConfigReader | undefined): TelemetrySettings['prometheus'] {
  const text = block?.optionalString('prometheus_listen');
  if (text === undefined) return undefined;
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port > 0 && port < 65536))
    throw new ConfigFieldError('telemetry.prometheus_listen', `must be host:port like "127.0.0.1:9464", got "${text}"`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function sampler(block: ConfigReader | undefined, env: Env): SamplerSettings {
  const ratio = block?.optionalNumber('sample_ratio');
  if (ratio !== undefined) {
    if (!(ratio >= 0 && ratio <= 1))
      throw new ConfigFieldError('telemetry.sample_ratio', `must be between 0 and 1, got ${ratio}`);
    return { kind: 'parentbased_traceidratio', ratio };
  }
  const kindText = env['OTEL_TRACES_SAMPLER']?.trim();
  const kind = (kindText || 'parentbased_always_on') as SamplerKind;
  if (!SAMPLER_KINDS.includes(kind))
    throw new EnvError('OTEL_TRACES_SAMPLER', `must be one of ${SAMPLER_KINDS.join(', ')}, got "${kindText}"`);
  const argText = env['OTEL_TRACES_SAMPLER_ARG']?.trim();
  let samplerRatio = 1;
  if (kind.endsWith('traceidratio') && argText) {
    samplerRatio = Number(argText);
    if (!(samplerRatio >= 0 && samplerRatio <= 1))
      throw new EnvError('OTEL_TRACES_SAMPLER_ARG', `must be a ratio between 0 and 1, got "${argText}"`);
  }
  return { kind, ratio: samplerRatio };
}

function batch(env: Env): BatchSettings {
  const read = (name: string, fallback: number): number => (env[name] ? positiveInt(env, name) : fallback);
  const settings = {
    scheduleDelayMs: read('OTEL_BSP_SCHEDULE_DELAY', DEFAULT_BATCH.scheduleDelayMs),
    exportTimeoutMs: read('OTEL_BSP_EXPORT_TIMEOUT', DEFAULT_BATCH.exportTimeoutMs),
    maxQueueSize: read('OTEL_BSP_MAX_QUEUE_SIZE', DEFAULT_BATCH.maxQueueSize),
    maxExportBatchSize: read('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', DEFAULT_BATCH.maxExportBatchSize),
  };
  if (settings.maxExportBatchSize > settings.maxQueueSize)
    throw new EnvError(
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      `must not be larger than OTEL_BSP_MAX_QUEUE_SIZE (${settings.maxQueueSize})`,
    );
  return settings;
}

function resourceAttributes(env: Env): Record<string, string> {
  const attributes = parseKeyValues(env['OTEL_RESOURCE_ATTRIBUTES'], 'OTEL_RESOURCE_ATTRIBUTES');
  const serviceName = env['OTEL_SERVICE_NAME']?.trim();
  if (serviceName) attributes['service.name'] = serviceName;
  return attributes;
}
