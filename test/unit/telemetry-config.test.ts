// The plugin's `telemetry { }` block and the standard OTEL_* variables,
// decoded from what Nomad sends (cty msgpack) and the plugin's environment:
// off unless configured, the block winning over the environment, and every
// malformed value failing the plugin config with its field or variable named.
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodePluginConfig } from '../../src/config/plugin-config.js';
import { decodeTaskConfig } from '../../src/config/task-config.js';
import { DriverError } from '../../src/errors.js';

type Env = Record<string, string>;
const plugin = (telemetry: Record<string, unknown> | undefined, env: Env = {}) =>
  decodePluginConfig(encode({ cache_dir: '/c', ...(telemetry ? { telemetry: [telemetry] } : {}) }), env).telemetry;

function failure(telemetry: Record<string, unknown> | undefined, env: Env = {}): DriverError {
  try {
    plugin(telemetry, env);
  } catch (err) {
    return err as DriverError;
  }
  throw new Error('expected the plugin config to be refused');
}

describe('plugin config: telemetry', () => {
  it('is off without a telemetry block and without OTLP endpoint variables', () => {
    expect(plugin(undefined)).toBeUndefined();
    expect(plugin(undefined, { OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBeUndefined();
    // Nomad sends nothing at all without a config block: the environment still counts.
    expect(decodePluginConfig(new Uint8Array(), {}).telemetry).toBeUndefined();
    expect(
      decodePluginConfig(new Uint8Array(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).telemetry?.traces?.url,
    ).toBe('http://c:4318/v1/traces');
  });

  it('an empty block exports to the OTLP default (http/protobuf on localhost:4318)', () => {
    const settings = plugin({});
    expect(settings?.traces).toEqual({
      url: 'http://localhost:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      timeoutMs: 10_000,
    });
    expect(settings?.metrics?.url).toBe('http://localhost:4318/v1/metrics');
    expect(settings?.sampler).toEqual({ kind: 'parentbased_always_on', ratio: 1 });
    expect(settings?.allocIdLabel).toBe(true);
    expect(settings?.prometheus).toBeUndefined();
  });

  it('takes endpoint, protocol, headers, sample ratio, export interval, scrape listener and the alloc id switch', () => {
    const settings = plugin({
      endpoint: 'http://collector:4317',
      protocol: 'grpc',
      headers: { 'x-api-key': 'k' },
      sample_ratio: 0.25,
      metric_export_interval: '15s',
      prometheus_listen: '127.0.0.1:9464',
      alloc_id_label: false,
    });
    // gRPC takes the collector's address as it is.
    expect(settings?.traces).toEqual({
      url: 'http://collector:4317',
      protocol: 'grpc',
      headers: { 'x-api-key': 'k' },
      timeoutMs: 10_000,
    });
    expect(settings?.sampler).toEqual({ kind: 'parentbased_traceidratio', ratio: 0.25 });
    expect(settings?.metricIntervalMs).toBe(15_000);
    expect(settings?.prometheus).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(settings?.allocIdLabel).toBe(false);
  });

  it('reads the standard OTEL_* variables, per signal where the spec has them', () => {
    const settings = plugin(undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318/',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://prom:9090/api/v1/otlp/v1/metrics',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=t1',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
      OTEL_BSP_SCHEDULE_DELAY: '250',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
      OTEL_BSP_EXPORT_TIMEOUT: '3000',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=edge',
      OTEL_SERVICE_NAME: 'wasm-node',
    });
    expect(settings?.traces).toEqual({
      url: 'http://base:4318/v1/traces',
      protocol: 'http/json',
      headers: { authorization: 'Bearer abc', 'x-tenant': 't1' },
      timeoutMs: 2500,
    });
    expect(settings?.metrics?.url).toBe('http://prom:9090/api/v1/otlp/v1/metrics');
    expect(settings?.sampler).toEqual({ kind: 'traceidratio', ratio: 0.01 });
    expect(settings?.batch).toEqual({
      scheduleDelayMs: 250,
      exportTimeoutMs: 3000,
      maxQueueSize: 100,
      maxExportBatchSize: 50,
    });
    expect(settings?.metricIntervalMs).toBe(5000);
    expect(settings?.resourceAttributes).toEqual({
      'deployment.environment': 'prod',
      team: 'edge',
      'service.name': 'wasm-node',
    });
  });

  it('traces_endpoint and metrics_endpoint name each signal’s URL as it is (Jaeger and Prometheus directly)', () => {
    const settings = plugin({
      endpoint: 'http://collector:4318',
      traces_endpoint: 'http://jaeger:4318/v1/traces',
      metrics_endpoint: 'http://prometheus:9090/api/v1/otlp/v1/metrics',
    });
    expect(settings?.traces?.url).toBe('http://jaeger:4318/v1/traces');
    expect(settings?.metrics?.url).toBe('http://prometheus:9090/api/v1/otlp/v1/metrics');
    expect(failure({ metrics_endpoint: 'prometheus:9090' }).message).toContain(
      'config field "telemetry.metrics_endpoint": must be an http:// or https:// URL',
    );
  });

  it('the block wins over the environment where both say something', () => {
    const settings = plugin(
      { endpoint: 'http://block:4318', protocol: 'http/protobuf', headers: { a: 'block' } },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_HEADERS: 'a=env,b=env',
      },
    );
    expect(settings?.traces?.url).toBe('http://block:4318/v1/traces');
    expect(settings?.traces?.protocol).toBe('http/protobuf');
    expect(settings?.traces?.headers).toEqual({ a: 'block', b: 'env' });
  });

  it('OTEL_SDK_DISABLED=true turns everything off, block or not; OTEL_*_EXPORTER=none one signal', () => {
    expect(plugin({ endpoint: 'http://c:4318' }, { OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    const tracesOnly = plugin({ endpoint: 'http://c:4318' }, { OTEL_METRICS_EXPORTER: 'none' });
    expect(tracesOnly?.traces).toBeDefined();
    expect(tracesOnly?.metrics).toBeUndefined();
  });

  it.each([
    [
      { protocol: 'udp' },
      {},
      'config field "telemetry.protocol": must be one of grpc, http/protobuf, http/json, got "udp"',
    ],
    [{ endpoint: 'collector:4318' }, {}, 'config field "telemetry.endpoint": must be an http:// or https:// URL'],
    [{ endpoint: 'not a url' }, {}, 'config field "telemetry.endpoint": must be a URL'],
    [{ sample_ratio: 2 }, {}, 'config field "telemetry.sample_ratio": must be between 0 and 1, got 2'],
    [{ metric_export_interval: 'soon' }, {}, 'config field "telemetry.metric_export_interval": must be a duration'],
    [{ prometheus_listen: '9464' }, {}, 'config field "telemetry.prometheus_listen": must be host:port'],
    [{ alloc_id_label: 'no' }, {}, 'config field "telemetry.alloc_id_label": expected a bool'],
    [{ headers: 'x' }, {}, 'config field "telemetry.headers": expected a map of strings'],
    [
      undefined,
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://c' },
      'environment variable OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL',
    ],
    [{}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }, 'environment variable OTEL_EXPORTER_OTLP_PROTOCOL: must be one of'],
    [
      {},
      { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' },
      'environment variable OTEL_EXPORTER_OTLP_HEADERS: expected key=value pairs',
    ],
    [{}, { OTEL_TRACES_SAMPLER: 'sometimes' }, 'environment variable OTEL_TRACES_SAMPLER: must be one of'],
    [
      {},
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '5' },
      'environment variable OTEL_TRACES_SAMPLER_ARG: must be a ratio',
    ],
    [
      {},
      { OTEL_BSP_MAX_QUEUE_SIZE: '-1' },
      'environment variable OTEL_BSP_MAX_QUEUE_SIZE: must be a positive whole number',
    ],
    [
      {},
      { OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20' },
      'environment variable OTEL_BSP_MAX_EXPORT_BATCH_SIZE: must not be larger',
    ],
    [{}, { OTEL_TRACES_EXPORTER: 'zipkin' }, 'environment variable OTEL_TRACES_EXPORTER: must be "otlp" or "none"'],
    [
      {},
      { OTEL_RESOURCE_ATTRIBUTES: 'a=%zz' },
      'environment variable OTEL_RESOURCE_ATTRIBUTES: the value of "a" is not valid percent-encoding',
    ],
  ])('refuses %j %j with the field named', (block, env, message) => {
    const err = failure(block, env);
    expect(err).toBeInstanceOf(DriverError);
    expect(err.code).toBe('PLUGIN_CONFIG_INVALID');
    expect(err.message).toContain(message);
  });
});

describe('task config: telemetry', () => {
  const task = (telemetry: Record<string, unknown>) =>
    decodeTaskConfig(encode({ component: 'local/a.wasm', telemetry: [telemetry] })).telemetry;

  it('takes a sampling ratio and extra resource attributes per job', () => {
    expect(task({ sample_ratio: 0.5, attributes: { team: 'payments' } })).toEqual({
      sampleRatio: 0.5,
      attributes: { team: 'payments' },
    });
  });

  it('refuses a ratio outside 0..1 with the field named', () => {
    expect(() => task({ sample_ratio: -0.1 })).toThrow(
      'config field "telemetry.sample_ratio": must be between 0 and 1',
    );
  });
});
