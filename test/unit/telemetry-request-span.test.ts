// The request path's sampled spans (src/telemetry/request-span.ts) are made
// without the SDK's Tracer: what the span processor and the OTLP exporters
// read of them must be what they read of the SDK's own span made the same
// way, and they must reach the exporter through the SDK's processor.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { RequestSpan, type RequestSpanSink } from '../../src/telemetry/request-span.js';

const resource = resourceFromAttributes({ 'service.name': 'request-span-test' });

function exporting(): {
  sink: RequestSpanSink;
  exporter: InMemorySpanExporter;
  sdkTracer: ReturnType<TracerProvider['getTracer']>;
  /** Waits for the processor's exports (they are asynchronous). */
  flush: () => Promise<void>;
} {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  const sdkTracer = new TracerProvider({ resource, spanProcessors: [processor] }).getTracer('nomad-driver-wasm');
  return {
    sink: { resource, scope: { name: 'nomad-driver-wasm' }, ended: (span) => processor.onEnd(span) },
    exporter,
    sdkTracer,
    flush: () => processor.forceFlush(),
  };
}

/** What an exporter reads of a span, ids and times aside. */
function exported(span: ReadableSpan): unknown {
  return {
    name: span.name,
    kind: span.kind,
    traceFlags: span.spanContext().traceFlags,
    traceState: span.spanContext().traceState?.serialize(),
    parentIsRemote: span.parentSpanContext?.isRemote,
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
    links: span.links,
    status: span.status,
    ended: span.ended,
    resource: span.resource.attributes,
    scope: span.instrumentationScope.name,
    dropped: [span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount],
  };
}

const incoming: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
};

describe('RequestSpan', () => {
  it('continues a remote parent and is exported like the SDK span made the same way', async () => {
    const { sink, exporter, sdkTracer, flush } = exporting();
    const attributes = { 'http.request.method': 'GET', 'url.path': '/x', 'server.port': 8080 };
    const ours = new RequestSpan(sink, 'GET', SpanKind.SERVER, incoming, { ...attributes });
    const theirs = sdkTracer.startSpan('GET', { kind: SpanKind.SERVER }, trace.setSpanContext(ROOT_CONTEXT, incoming));
    theirs.setAttributes(attributes);
    for (const span of [ours, theirs]) {
      span.addEvent('wasm.capability.denied', { 'wasm.denied.kind': 'http' });
      span.recordException(new Error('boom'));
      span.setAttribute('http.response.status_code', 500);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the component trapped' });
      span.end();
      span.setAttribute('after.end', true); // ignored, as by the SDK
    }
    await flush();
    const [mine, sdk] = exporter.getFinishedSpans() as [ReadableSpan, ReadableSpan];
    expect(mine).toBe(ours);
    expect(exported(mine)).toEqual(exported(sdk));
    expect(mine.spanContext().traceId).toBe(incoming.traceId);
    expect(mine.parentSpanContext?.spanId).toBe(incoming.spanId);
    expect(mine.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(mine.spanContext().spanId).not.toBe(incoming.spanId);
    // Times since the epoch, start ≤ end, the duration their difference (to a microsecond).
    const nanos = (t: readonly [number, number]) => t[0] * 1e9 + t[1];
    expect(Math.abs(nanos(mine.startTime) / 1e6 - Date.now())).toBeLessThan(60_000);
    expect(nanos(mine.endTime)).toBeGreaterThanOrEqual(nanos(mine.startTime));
    expect(Math.abs(nanos(mine.duration) - (nanos(mine.endTime) - nanos(mine.startTime)))).toBeLessThan(1000);
  });

  it('without a valid parent starts a new trace; its child shares the trace and names it as parent', async () => {
    const { sink, exporter, flush } = exporting();
    const root = new RequestSpan(sink, 'GET', SpanKind.SERVER, undefined, {});
    const child = new RequestSpan(sink, 'wasm.guest.handle', SpanKind.INTERNAL, root.spanContext(), {});
    const invalid = new RequestSpan(sink, 'GET', SpanKind.SERVER, { ...incoming, traceId: '0'.repeat(32) }, {});
    child.end();
    root.end();
    invalid.end();
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.spanContext().traceId).toMatch(/^(?!0+$)[0-9a-f]{32}$/);
    expect(root.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
    expect(child.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(child.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(invalid.parentSpanContext).toBeUndefined();
    expect(invalid.spanContext().traceId).not.toBe('0'.repeat(32));
    await flush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['wasm.guest.handle', 'GET', 'GET']);
  });

  it('ends once; OK is final and UNSET changes nothing, as with the SDK', async () => {
    const { sink, exporter, flush } = exporting();
    const span = new RequestSpan(sink, 'GET', SpanKind.SERVER, undefined, {});
    span.setStatus({ code: SpanStatusCode.OK });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'late' });
    span.setStatus({ code: SpanStatusCode.UNSET });
    expect(span.isRecording()).toBe(true);
    span.end();
    span.end();
    expect(span.isRecording()).toBe(false);
    expect(span.status).toEqual({ code: SpanStatusCode.OK });
    await flush();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});
