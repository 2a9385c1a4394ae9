// The host half of wasi:otel/tracing: a guest's spans, started and ended
// through `on-start` / `on-end`, become SDK spans of the task's resource and
// leave through the task's export pipeline. While a guest span is active,
// the host's own spans (outbound calls, config reads) are its children: a
// guest's outgoing call carries the guest's span as parent.
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type HrTime,
  type SpanContext,
} from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { GuestSpanContext, GuestSpanData } from './hooks.js';

const KINDS: Record<GuestSpanData['kind'], SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

/** Guest spans started and not yet ended, innermost last. */
export class ActiveGuestSpans {
  private readonly active: SpanContext[] = [];

  start(context: GuestSpanContext): void {
    this.active.push(spanContextOf(context));
  }

  end(spanId: string): void {
    const at = this.active.findLastIndex((c) => c.spanId === spanId);
    if (at >= 0) this.active.splice(at, 1);
  }

  innermost(): SpanContext | undefined {
    return this.active.at(-1);
  }

  /** After the guest call: spans it never ended are no longer anyone's parent. */
  clear(): void {
    // Most guests start no span: writing an empty array's length is a runtime call, testing it is not.
    if (this.active.length !== 0) this.active.length = 0;
  }
}

export function spanContextOf(context: GuestSpanContext): SpanContext {
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    traceFlags: context.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: context.isRemote,
  };
}

export function guestContextOf(context: SpanContext): GuestSpanContext {
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    sampled: (context.traceFlags & TraceFlags.SAMPLED) !== 0,
    isRemote: context.isRemote ?? false,
    traceState: [],
  };
}

/** A guest's ended span as the SDK's exporters take it. */
export function readableGuestSpan(data: GuestSpanData, resource: Resource): ReadableSpan {
  const context = spanContextOf(data.context);
  const startTime = hrTime(data.startMs);
  const endTime = hrTime(Math.max(data.endMs, data.startMs));
  return {
    name: data.name,
    kind: KINDS[data.kind],
    spanContext: () => context,
    ...(/^[0-9a-f]{16}$/.test(data.parentSpanId) && data.parentSpanId !== '0000000000000000'
      ? { parentSpanContext: { ...context, spanId: data.parentSpanId, isRemote: false } }
      : {}),
    startTime,
    endTime,
    status:
      data.status.code === 'error'
        ? { code: SpanStatusCode.ERROR, ...(data.status.message ? { message: data.status.message } : {}) }
        : { code: data.status.code === 'ok' ? SpanStatusCode.OK : SpanStatusCode.UNSET },
    attributes: attributesOf(data.attributes),
    links: data.links.map((link) => ({
      context: spanContextOf(link.context),
      attributes: attributesOf(link.attributes),
    })),
    events: data.events.map((event) => ({
      name: event.name,
      time: hrTime(event.timeMs),
      attributes: attributesOf(event.attributes),
    })),
    duration: hrTime(Math.max(0, data.endMs - data.startMs)),
    ended: true,
    resource,
    instrumentationScope: { name: data.scope.name, ...(data.scope.version ? { version: data.scope.version } : {}) },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** Attribute values a guest sent (already JSON-decoded): primitives and arrays of them; anything else as JSON text. */
function attributesOf(values: Readonly<Record<string, unknown>>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(values)) out[key] = attributeValue(value);
  return out;
}

function attributeValue(value: unknown): AttributeValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'boolean')) return value;
  return JSON.stringify(value);
}
