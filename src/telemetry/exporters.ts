// The OTLP exporters for one target, by protocol: the OpenTelemetry JS
// exporters themselves (grpc, http/protobuf, http/json), loaded only for the
// protocol in use (a task host with telemetry off loads none of them).
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpTarget } from './settings.js';

export async function spanExporterFor(target: OtlpTarget): Promise<SpanExporter> {
  switch (target.protocol) {
    case 'grpc': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
      return new OTLPTraceExporter({
        url: target.url,
        metadata: await grpcMetadata(target),
        timeoutMillis: target.timeoutMs,
      });
    }
    case 'http/protobuf': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter(httpOptions(target));
    }
    case 'http/json': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter(httpOptions(target));
    }
  }
}

export async function metricExporterFor(target: OtlpTarget): Promise<PushMetricExporter> {
  switch (target.protocol) {
    case 'grpc': {
      const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-grpc');
      return new OTLPMetricExporter({
        url: target.url,
        metadata: await grpcMetadata(target),
        timeoutMillis: target.timeoutMs,
      });
    }
    case 'http/protobuf': {
      const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
      return new OTLPMetricExporter(httpOptions(target));
    }
    case 'http/json': {
      const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
      return new OTLPMetricExporter(httpOptions(target));
    }
  }
}

function httpOptions(target: OtlpTarget): { url: string; headers: Record<string, string>; timeoutMillis: number } {
  return { url: target.url, headers: { ...target.headers }, timeoutMillis: target.timeoutMs };
}

async function grpcMetadata(target: OtlpTarget): Promise<import('@grpc/grpc-js').Metadata> {
  const { Metadata } = await import('@grpc/grpc-js');
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(target.headers)) metadata.set(key.toLowerCase(), value);
  return metadata;
}
