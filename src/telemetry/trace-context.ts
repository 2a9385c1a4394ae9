// W3C Trace Context (`traceparent`, `tracestate`) in and out, with the
// OpenTelemetry propagator, over plain header records.
import { ROOT_CONTEXT, trace, type Context, type SpanContext, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

type HeaderRecord = Readonly<Record<string, string | string[] | undefined>>;

const getter: TextMapGetter<HeaderRecord> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** The context an incoming request continues (ROOT_CONTEXT without a valid `traceparent`). */
export function extractContext(headers: HeaderRecord): Context {
  if (headers['traceparent'] === undefined) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, headers, getter);
}

/** `traceparent` (and `tracestate`) for a span context. */
export function traceHeaders(spanContext: SpanContext): [string, string][] {
  const out: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), out, {
    set: (carrier: Record<string, string>, key: string, value: string) => {
      carrier[key] = value;
    },
  });
  return Object.entries(out);
}

/** A `traceparent` string for a span context (the launch spec's start parent). */
export function traceparentOf(spanContext: SpanContext): string | undefined {
  return traceHeaders(spanContext).find(([name]) => name === 'traceparent')?.[1];
}

/** The context a `traceparent` string names (ROOT_CONTEXT when absent or malformed). */
export function contextOfTraceparent(traceparent: string | undefined): Context {
  return traceparent ? extractContext({ traceparent }) : ROOT_CONTEXT;
}
