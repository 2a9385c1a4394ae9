// wasi:otel@0.2.0-rc.2 (WebAssembly/wasi-otel): a guest's own telemetry.
//
// Both shapes of rc.2 are served: the released one, whose tracing
// interface has `outer-span-context` (the host's span around the guest
// call), and the renamed one of wasi-otel's main branch,
// `current-span-context` (the innermost active span, the guest's own
// included). jco's glue asks for the interface without its version, and a
// component imports one name or the other, so one object answers both.
//
// This file only converts the WIT shapes; what happens to the spans is the
// sink's business (src/telemetry/, or nothing when telemetry is off).
// `metrics.export` and `logs.on-emit` are served so that a component built
// against the whole `wasi:otel/imports` world loads, but what they are given
// is not exported yet (README "Telemetry": what a guest using wasi:otel sees).
import type { GuestSpanContext, GuestSpanData, GuestSpanSink } from '../telemetry/hooks.js';

export const SERVED_OTEL_VERSIONS: readonly string[] = ['0.2.0-rc.2'];

/** WIT `datetime` as jco lifts it. */
interface Datetime {
  readonly seconds: bigint;
  readonly nanoseconds: number;
}

interface KeyValue {
  readonly key: string;
  /** JSON text (wasi-otel's AnyValue encoding). */
  readonly value: string;
}

interface WitSpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: { readonly sampled?: boolean };
  readonly isRemote: boolean;
  readonly traceState: [string, string][];
}

interface WitSpanData {
  readonly spanContext: WitSpanContext;
  readonly parentSpanId: string;
  readonly spanKind: GuestSpanData['kind'];
  readonly name: string;
  readonly startTime: Datetime;
  readonly endTime: Datetime;
  readonly attributes: KeyValue[];
  readonly events: { readonly name: string; readonly time: Datetime; readonly attributes: KeyValue[] }[];
  readonly links: { readonly spanContext: WitSpanContext; readonly attributes: KeyValue[] }[];
  readonly status: { readonly tag: 'unset' | 'ok' } | { readonly tag: 'error'; readonly val: string };
  readonly instrumentationScope: { readonly name: string; readonly version?: string };
}

export function otelInterfaces(sink: GuestSpanSink): Record<string, object> {
  return {
    'wasi:otel/types': {},
    'wasi:otel/tracing': {
      onStart: (context: WitSpanContext): void => sink.onStart(spanContextFromWit(context)),
      onEnd: (span: WitSpanData): void => sink.onEnd(spanDataFromWit(span)),
      outerSpanContext: (): WitSpanContext => spanContextToWit(sink.hostSpanContext()),
      currentSpanContext: (): WitSpanContext => spanContextToWit(sink.currentSpanContext()),
    },
    // Accepted (ok), not exported: see the header comment.
    'wasi:otel/metrics': { export: (): void => undefined },
    'wasi:otel/logs': { onEmit: (): void => undefined },
  };
}

function spanContextFromWit(context: WitSpanContext): GuestSpanContext {
  return {
    traceId: context.traceId.toLowerCase(),
    spanId: context.spanId.toLowerCase(),
    sampled: context.traceFlags.sampled === true,
    isRemote: context.isRemote,
    traceState: context.traceState,
  };
}

function spanContextToWit(context: GuestSpanContext): WitSpanContext {
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    traceFlags: { sampled: context.sampled },
    isRemote: context.isRemote,
    traceState: [...context.traceState],
  };
}

function spanDataFromWit(span: WitSpanData): GuestSpanData {
  return {
    context: spanContextFromWit(span.spanContext),
    parentSpanId: span.parentSpanId.toLowerCase(),
    kind: span.spanKind,
    name: span.name,
    startMs: millis(span.startTime),
    endMs: millis(span.endTime),
    attributes: attributesFromWit(span.attributes),
    events: span.events.map((event) => ({
      name: event.name,
      timeMs: millis(event.time),
      attributes: attributesFromWit(event.attributes),
    })),
    links: span.links.map((link) => ({
      context: spanContextFromWit(link.spanContext),
      attributes: attributesFromWit(link.attributes),
    })),
    status: span.status.tag === 'error' ? { code: 'error', message: span.status.val } : { code: span.status.tag },
    scope: {
      name: span.instrumentationScope.name,
      ...(span.instrumentationScope.version ? { version: span.instrumentationScope.version } : {}),
    },
  };
}

function millis(time: Datetime): number {
  return Number(time.seconds) * 1000 + time.nanoseconds / 1e6;
}

/** Values are JSON text; one that is not JSON is kept as the string it is. */
function attributesFromWit(values: readonly KeyValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of values) {
    try {
      out[key] = JSON.parse(value) as unknown;
    } catch {
      out[key] = value;
    }
  }
  return out;
}
