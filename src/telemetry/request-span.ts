// The recorded spans of the request path (a sampled request's server span,
// its guest call, the instance reset), made here instead of by the SDK's
// Tracer. The sampling decision is already taken (task-telemetry.ts), so
// none of what the Tracer does per span is needed: no sampler, no context
// lookups, no attribute sanitising (our own attributes, of known types), no
// span limits, no timers anchored per span. A span is one object that is
// both the API's Span (what the request path and the guest's wasi:otel
// calls touch) and the SDK's ReadableSpan (what the BatchSpanProcessor and
// the OTLP exporters read), handed to the process's span processor when it
// ends, like the SDK's own.
import {
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import { timeInputToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { newSpanId, newTraceId } from './unsampled-span.js';

/** Where a task's request spans go when they end: its resource, scope and the process's span processor. */
export interface RequestSpanSink {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  ended(span: ReadableSpan): void;
}

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime;

export class RequestSpan implements Span, ReadableSpan {
  readonly startTime: HrTime;
  endTime: HrTime = NOT_ENDED;
  duration: HrTime = NOT_ENDED;
  ended = false;
  status: SpanStatus = UNSET;
  links: Link[] = [];
  events: TimedEvent[] = [];
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  private readonly startMs = performance.now();
  private readonly context: SpanContext;

  /**
   * A sampled span: a child of `parent` (its trace, its trace state) when
   * that is a valid context, else the root of a new trace.
   */
  constructor(
    private readonly sink: RequestSpanSink,
    public name: string,
    readonly kind: SpanKind,
    parent: SpanContext | undefined,
    readonly attributes: Attributes,
  ) {
    this.resource = sink.resource;
    this.instrumentationScope = sink.scope;
    this.startTime = epochHrTime(this.startMs);
    const valid = parent !== undefined && parent.traceId !== INVALID_TRACE && parent.spanId !== INVALID_SPAN;
    this.parentSpanContext = valid ? parent : undefined;
    this.context = valid
      ? { traceId: parent.traceId, spanId: newSpanId(), traceFlags: TraceFlags.SAMPLED, traceState: parent.traceState }
      : { traceId: newTraceId(), spanId: newSpanId(), traceFlags: TraceFlags.SAMPLED };
  }

  readonly parentSpanContext: SpanContext | undefined;

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.ended) this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (!this.ended) Object.assign(this.attributes, attributes);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const attributes = isTimeInput(attributesOrTime) ? undefined : attributesOrTime;
    const at = isTimeInput(attributesOrTime) ? attributesOrTime : time;
    this.events.push({
      name,
      attributes: attributes ?? {},
      time: at === undefined ? epochHrTime(performance.now()) : timeInputToHrTime(at),
      droppedAttributesCount: 0,
    });
    return this;
  }

  addLink(link: Link): this {
    if (!this.ended) this.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  /** As the SDK's: UNSET changes nothing, OK is final, a message only with ERROR. */
  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  /** The semantic convention's `exception` event, as the SDK's recordException makes it. */
  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else {
      const type = exception.code !== undefined ? String(exception.code) : exception.name;
      if (type) attributes['exception.type'] = type;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    this.addEvent('exception', attributes, time);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    const endMs = performance.now();
    this.endTime = endTime === undefined ? epochHrTime(endMs) : timeInputToHrTime(endTime);
    this.duration =
      endTime === undefined ? durationHrTime(endMs - this.startMs) : durationBetween(this.startTime, this.endTime);
    this.ended = true;
    this.sink.ended(this);
  }
}

const INVALID_TRACE = '00000000000000000000000000000000';
const INVALID_SPAN = '0000000000000000';

/** A `performance.now()` reading as time since the epoch. */
function epochHrTime(now: number): HrTime {
  const ms = performance.timeOrigin + now;
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

function durationHrTime(ms: number): HrTime {
  const clamped = Math.max(0, ms);
  const seconds = Math.floor(clamped / 1000);
  return [seconds, Math.round((clamped - seconds * 1000) * 1e6)];
}

function durationBetween(start: HrTime, end: HrTime): HrTime {
  const nanos = (end[0] - start[0]) * 1e9 + (end[1] - start[1]);
  return nanos <= 0 ? [0, 0] : [Math.floor(nanos / 1e9), nanos % 1e9];
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || (Array.isArray(value) && value.length === 2);
}
