// One task's telemetry in its task host or pool host: the spans and metrics
// of the runtime's hooks (hooks.ts), on the task's resource, through the
// process's SDK (sdk.ts). Guest calls are synchronous, so "the span the
// guest is in" is a field set around the call, not an async context.
import type { IncomingMessage } from 'node:http';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Span,
  type SpanContext,
  TraceFlags,
  type Tracer,
} from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { ActiveGuestSpans, guestContextOf, readableGuestSpan } from './guest-spans.js';
import type {
  DeniedKind,
  GuestSpanContext,
  GuestSpanData,
  GuestSpanSink,
  InstantiationReason,
  OutboundStart,
  OutboundTelemetry,
  RequestTelemetry,
  TaskTelemetryHooks,
} from './hooks.js';
import { NO_SPAN_CONTEXT } from './hooks.js';
import type { TelemetrySdk } from './sdk.js';
import type { SamplerSettings } from './settings.js';
import * as sc from './semconv.js';
import { describeError } from '../errors.js';
import { contextOfTraceparent, extractContext, traceHeaders } from './trace-context.js';
import { RequestHistogram, type HistogramSeries, type HotPathMetrics } from './request-histogram.js';
import { newSpanId, UnsampledSpan } from './unsampled-span.js';
import { RequestSpan, type RequestSpanSink } from './request-span.js';

const SCOPE = 'nomad-driver-wasm';
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

interface Instruments {
  readonly serverDuration: RequestHistogram;
  readonly clientDuration: Histogram;
  readonly initDuration: Histogram;
  readonly coldStarts: Counter;
  readonly invokeDuration: Histogram;
  readonly phaseDuration: Histogram;
  readonly denied: Counter;
  readonly retries: Counter;
  readonly ejections: Counter;
  readonly renewals: Counter;
  readonly rotations: Counter;
}

export interface TaskTelemetryOptions {
  readonly sdk: TelemetrySdk;
  /** The task's trace resource attributes (identity.ts taskResourceAttributes). */
  readonly resource: Attributes;
  readonly startParent: string | undefined;
  readonly sampler?: Parameters<TelemetrySdk['tracerProvider']>[1];
  /**
   * Attributes every metric point carries: the Nomad labels in a pool host
   * (one meter for several tasks), none in a task host (its meter's resource
   * names the task).
   */
  readonly pointAttributes: Attributes;
}

export class TaskTelemetry implements TaskTelemetryHooks {
  readonly guest: GuestSpanSink;
  private readonly tracer: Tracer | undefined;
  /**
   * For spans whose sampling this class decides itself (a request's, and
   * the children of a sampled span): always records. An unsampled request
   * gets no SDK span at all, only the context it propagates.
   */
  private readonly decidedTracer: Tracer | undefined;
  /** Where the request path's own spans go (request-span.ts); undefined when traces are off. */
  private readonly requestSpans: RequestSpanSink | undefined;
  private readonly headSampler: SamplerSettings;
  private readonly resource: Resource | undefined;
  private readonly startContext: Context;
  private readonly metrics: Instruments | undefined;
  private readonly points: Attributes;
  private readonly activeAttributes: Attributes;
  /** Requests in flight (`http.server.active_requests`, read when metrics are collected). */
  private active = 0;
  /** The request-duration series of answered requests, by method and status. */
  private readonly seriesByMethod = new Map<string, Map<number, HistogramSeries>>();
  /** The span the guest is running in (a request's guest call, a command's run), while it runs. */
  private currentSpan: Span | undefined;
  private readonly guestSpans = new ActiveGuestSpans();

  constructor(private readonly options: TaskTelemetryOptions) {
    const provider = options.sdk.tracerProvider(options.resource, options.sampler);
    this.tracer = provider?.getTracer(SCOPE);
    this.decidedTracer = options.sdk
      .tracerProvider(options.resource, { kind: 'always_on', ratio: 1 })
      ?.getTracer(SCOPE);
    this.headSampler = options.sampler ?? options.sdk.settings.sampler;
    this.resource = provider ? options.sdk.resourceFor(options.resource) : undefined;
    const { sdk } = options;
    this.requestSpans = this.resource && {
      resource: this.resource,
      scope: { name: SCOPE },
      ended: (span) => sdk.exportSpan(span),
    };
    this.startContext = contextOfTraceparent(options.startParent);
    this.points = options.pointAttributes;
    this.activeAttributes = { ...this.points, [sc.ATTR_URL_SCHEME]: 'http' };
    this.metrics = options.sdk.meter ? instruments(options.sdk.meter, options.sdk.hotPath) : undefined;
    if (this.metrics)
      options.sdk.hotPath.addGauge(
        sc.METRIC_HTTP_SERVER_ACTIVE,
        '{request}',
        'Number of active HTTP server requests.',
        () => [{ value: this.active, attributes: this.activeAttributes }],
      );
    this.guest = {
      currentSpanContext: () => this.currentGuestParent(),
      hostSpanContext: () => (this.currentSpan ? guestContextOf(this.currentSpan.spanContext()) : NO_SPAN_CONTEXT),
      onStart: (context) => this.guestSpans.start(context),
      onEnd: (span) => this.guestSpanEnded(span),
    };
  }

  request(req: IncomingMessage, port: number): RequestTelemetry {
    const method = KNOWN_METHODS.has(req.method ?? '') ? (req.method as string) : '_OTHER';
    this.active++;
    // One object per request, its methods on the prototype: a sampled-out request allocates
    // this and (lazily) its ids, nothing else.
    return new ServedRequest(this, method, performance.now(), this.serverSpan(req, method, port));
  }

  /** A request is answered: the duration histogram, the in-flight count, and its span when sampled. */
  requestEnded(request: ServedRequest, status: number, error: string | undefined): void {
    const seconds = (performance.now() - request.started) / 1000;
    this.active--;
    const errorType = error ?? (status >= 500 ? String(status) : undefined);
    if (this.metrics) this.durationSeries(request.method, status, errorType).record(seconds);
    const span = request.span;
    if (!span?.isRecording()) return;
    span.setAttribute(sc.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (errorType) {
      span.setAttribute(sc.ATTR_ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }

  /** The duration series of a method and status (cached by both: no key is built per request). */
  private durationSeries(method: string, status: number, errorType: string | undefined): HistogramSeries {
    const histogram = (this.metrics as Instruments).serverDuration;
    const attributes = (): Attributes => ({
      ...this.points,
      [sc.ATTR_HTTP_REQUEST_METHOD]: method,
      [sc.ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
      [sc.ATTR_URL_SCHEME]: 'http',
      ...(errorType ? { [sc.ATTR_ERROR_TYPE]: errorType } : {}),
    });
    if (errorType !== undefined) return histogram.series(`${method} ${status} ${errorType}`, attributes);
    let byStatus = this.seriesByMethod.get(method);
    if (!byStatus) this.seriesByMethod.set(method, (byStatus = new Map<number, HistogramSeries>()));
    let series = byStatus.get(status);
    if (!series) byStatus.set(status, (series = histogram.series(`${method} ${status} `, attributes)));
    return series;
  }

  /**
   * The request's server span when it is sampled; when it is not, a span
   * that records nothing and makes its ids only if asked (a guest reading
   * its context, an outbound call propagating it as not sampled).
   */
  private serverSpan(req: IncomingMessage, method: string, port: number): Span | undefined {
    if (!this.decidedTracer) return undefined;
    const parent =
      req.headers['traceparent'] === undefined ? undefined : trace.getSpanContext(extractContext(req.headers));
    if (!this.sampleRequest(parent) || !this.requestSpans) return new UnsampledSpan(parent);
    return new RequestSpan(this.requestSpans, method, SpanKind.SERVER, parent, requestAttributes(req, method, port));
  }

  /** The head sampling decision of the task's sampler (job or node), taken once per request. */
  private sampleRequest(parent: SpanContext | undefined): boolean {
    const { kind, ratio } = this.headSampler;
    if (parent && kind.startsWith('parentbased_')) return (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
    switch (kind) {
      case 'always_on':
      case 'parentbased_always_on':
        return true;
      case 'always_off':
      case 'parentbased_always_off':
        return false;
      case 'traceidratio':
      case 'parentbased_traceidratio':
        return Math.random() < ratio;
    }
  }

  /** A span under the current parent when that parent is sampled; otherwise none, and the context to propagate. */
  private childOfCurrent(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
  ): { span: Span | undefined; propagate: SpanContext | undefined } {
    const context = this.parentContext();
    const parent = trace.getSpanContext(context);
    if (parent && (parent.traceFlags & TraceFlags.SAMPLED) !== 0 && this.decidedTracer)
      return { span: this.decidedTracer.startSpan(name, { kind, attributes }, context), propagate: undefined };
    const propagate =
      parent && trace.isSpanContextValid(parent)
        ? { traceId: parent.traceId, spanId: newSpanId(), traceFlags: TraceFlags.NONE }
        : undefined;
    return { span: undefined, propagate };
  }

  inGuestCall<T>(server: Span | undefined, call: () => T): T {
    const span = this.enterGuest(server);
    let result: T;
    try {
      result = call();
    } catch (err) {
      this.leaveGuest(server, span, { error: err });
      throw err;
    }
    this.leaveGuest(server, span);
    return result;
  }

  /** The guest's handler starts: its span (a child of a sampled server span, else the server's own) is the current one. */
  enterGuest(server: Span | undefined): Span | undefined {
    const span =
      server?.isRecording() && this.requestSpans
        ? new RequestSpan(this.requestSpans, sc.SPAN_GUEST_CALL, SpanKind.INTERNAL, server.spanContext(), {})
        : server;
    this.currentSpan = span;
    return span;
  }

  /** The guest's handler returned, or threw `failed.error` (a trap the runtime did not handle). */
  leaveGuest(server: Span | undefined, span: Span | undefined, failed?: { error: unknown }): void {
    if (failed) {
      span?.recordException(failed.error instanceof Error ? failed.error : String(failed.error));
      span?.setStatus({ code: SpanStatusCode.ERROR, message: 'the component trapped' });
    }
    this.currentSpan = undefined;
    this.guestSpans.clear();
    if (span !== server) span?.end();
  }

  childSpan(parent: Span | undefined, name: string): () => void {
    if (!parent?.isRecording() || !this.requestSpans) return noop;
    const span = new RequestSpan(this.requestSpans, name, SpanKind.INTERNAL, parent.spanContext(), {});
    return () => span.end();
  }

  /** The context host spans made now take as parent: an active guest span, else the guest's call, else the start. */
  private parentContext(): Context {
    const guest = this.guestSpans.innermost();
    if (guest) return trace.setSpanContext(ROOT_CONTEXT, guest);
    if (this.currentSpan) return trace.setSpan(ROOT_CONTEXT, this.currentSpan);
    return this.startContext;
  }

  private currentGuestParent(): GuestSpanContext {
    const guest = this.guestSpans.innermost();
    if (guest) return guestContextOf(guest);
    return this.currentSpan ? guestContextOf(this.currentSpan.spanContext()) : NO_SPAN_CONTEXT;
  }

  private guestSpanEnded(data: GuestSpanData): void {
    this.guestSpans.end(data.context.spanId);
    if (!data.context.sampled || !this.resource) return;
    this.options.sdk.exportSpan(readableGuestSpan(data, this.resource));
  }

  instantiation(reason: InstantiationReason): (error?: unknown) => void {
    const started = performance.now();
    const parent =
      reason === 'start'
        ? this.startContext
        : this.currentSpan
          ? trace.setSpan(ROOT_CONTEXT, this.currentSpan)
          : ROOT_CONTEXT;
    const span = this.tracer?.startSpan(
      sc.SPAN_INSTANTIATE,
      { attributes: { [sc.ATTR_WASM_INSTANCE_REASON]: reason } },
      parent,
    );
    return (error) => {
      const attributes = { ...this.points, [sc.ATTR_WASM_INSTANCE_REASON]: reason };
      this.metrics?.initDuration.record((performance.now() - started) / 1000, attributes);
      this.metrics?.coldStarts.add(1, attributes);
      if (error !== undefined) {
        span?.recordException(error instanceof Error ? error : describeError(error));
        span?.setStatus({ code: SpanStatusCode.ERROR });
      }
      span?.end();
    };
  }

  /** A start phase the host timed itself (compile or cache hit, Vault): a span under the plugin's start span. */
  phase(phase: string, startMs: number, endMs: number, attributes: Attributes = {}): void {
    this.metrics?.phaseDuration.record((endMs - startMs) / 1000, { ...this.points, [sc.ATTR_WASM_START_PHASE]: phase });
    this.tracer
      ?.startSpan(
        sc.SPAN_START_PHASE(phase),
        { startTime: startMs, attributes: { [sc.ATTR_WASM_START_PHASE]: phase, ...attributes } },
        this.startContext,
      )
      .end(endMs);
  }

  outbound(call: OutboundStart): OutboundTelemetry {
    const started = performance.now();
    const port = call.url.port === '' ? (call.url.protocol === 'https:' ? 443 : 80) : Number(call.url.port);
    const { span, propagate } = this.childOfCurrent(call.method, SpanKind.CLIENT, {
      [sc.ATTR_HTTP_REQUEST_METHOD]: call.method,
      // Without the query: it may carry tokens.
      [sc.ATTR_URL_FULL]: `${call.url.origin}${call.url.pathname}`,
      [sc.ATTR_SERVER_ADDRESS]: call.url.hostname,
      [sc.ATTR_SERVER_PORT]: port,
      ...(call.service ? { [sc.ATTR_WASM_SERVICE_NAME]: call.service } : {}),
    });
    const serviceAttributes = call.service
      ? { ...this.points, [sc.ATTR_WASM_SERVICE_NAME]: call.service }
      : this.points;
    return {
      // Sampled or not, the next hop continues this trace (a sampled-out one stays sampled out).
      headers: span ? traceHeaders(span.spanContext()) : propagate ? traceHeaders(propagate) : [],
      attempt: (instance, attempt) => {
        span?.addEvent(sc.EVENT_SERVICE_ATTEMPT, {
          [sc.ATTR_WASM_SERVICE_INSTANCE]: instance,
          [sc.ATTR_HTTP_REQUEST_RESEND_COUNT]: attempt - 1,
        });
        if (attempt > 1) this.metrics?.retries.add(1, serviceAttributes);
      },
      ejected: (instance, reason) => {
        span?.addEvent(sc.EVENT_SERVICE_EJECTED, {
          [sc.ATTR_WASM_SERVICE_INSTANCE]: instance,
          [sc.ATTR_ERROR_TYPE]: reason,
        });
        this.metrics?.ejections.add(1, serviceAttributes);
      },
      end: ({ status, error }) => {
        this.metrics?.clientDuration.record((performance.now() - started) / 1000, {
          ...this.points,
          [sc.ATTR_HTTP_REQUEST_METHOD]: call.method,
          [sc.ATTR_SERVER_ADDRESS]: call.url.hostname,
          [sc.ATTR_SERVER_PORT]: port,
          ...(status !== undefined ? { [sc.ATTR_HTTP_RESPONSE_STATUS_CODE]: status } : {}),
          ...(error ? { [sc.ATTR_ERROR_TYPE]: error } : {}),
        });
        if (!span) return;
        if (status !== undefined) span.setAttribute(sc.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        if (error || (status !== undefined && status >= 400)) {
          span.setAttribute(sc.ATTR_ERROR_TYPE, error ?? String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      },
    };
  }

  configRead(operation: 'get' | 'get-all', key: string | undefined, found: boolean): void {
    this.childOfCurrent(operation === 'get' ? sc.SPAN_CONFIG_GET : sc.SPAN_CONFIG_GET_ALL, SpanKind.CLIENT, {
      ...(key !== undefined ? { [sc.ATTR_WASM_CONFIG_KEY]: key } : {}),
      [sc.ATTR_WASM_CONFIG_FOUND]: found,
    }).span?.end();
  }

  denied(kind: DeniedKind, target: string): void {
    this.metrics?.denied.add(1, { ...this.points, [sc.ATTR_WASM_DENIED_KIND]: kind });
    this.currentSpan?.addEvent(sc.EVENT_DENIED, {
      [sc.ATTR_WASM_DENIED_KIND]: kind,
      [sc.ATTR_WASM_DENIED_TARGET]: target,
    });
  }

  commandRun(): (exitCode: number) => void {
    const started = performance.now();
    const span = this.tracer?.startSpan(sc.SPAN_COMMAND_RUN, { kind: SpanKind.INTERNAL }, this.startContext);
    this.currentSpan = span;
    return (exitCode) => {
      this.currentSpan = undefined;
      this.guestSpans.clear();
      this.metrics?.invokeDuration.record((performance.now() - started) / 1000, {
        ...this.points,
        [sc.ATTR_PROCESS_EXIT_CODE]: exitCode,
      });
      if (!span) return;
      span.setAttribute(sc.ATTR_PROCESS_EXIT_CODE, exitCode);
      if (exitCode !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `exit code ${exitCode}` });
      span.end();
    };
  }

  /** A Vault operation of the task's lease manager (paths and TTLs; never a value, a lease id or a token). */
  vault(
    operation: 'read' | 'renew' | 'revoke' | 'rotate',
    attributes: Attributes,
  ): (outcome: { error?: unknown; attributes?: Attributes }) => void {
    const span = this.tracer?.startSpan(
      sc.SPAN_VAULT(operation),
      { kind: SpanKind.CLIENT, attributes: { [sc.ATTR_VAULT_OPERATION]: operation, ...attributes } },
      operation === 'read' ? this.startContext : ROOT_CONTEXT,
    );
    return ({ error, attributes: more }) => {
      const outcome = error === undefined ? 'ok' : 'failed';
      if (operation === 'renew') this.metrics?.renewals.add(1, { ...this.points, [sc.ATTR_VAULT_OUTCOME]: outcome });
      if (operation === 'rotate' && error === undefined) this.metrics?.rotations.add(1, this.points);
      if (!span) return;
      if (more) span.setAttributes(more);
      span.setAttribute(sc.ATTR_VAULT_OUTCOME, outcome);
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
      span.end();
    };
  }

  /** A Vault operation that happened before telemetry was started (the reads at start), with its times. */
  vaultAt(
    operation: 'read' | 'renew' | 'revoke' | 'rotate',
    attributes: Attributes,
    startMs: number,
    endMs: number,
    outcome: { error?: unknown; attributes?: Attributes },
  ): void {
    const span = this.tracer?.startSpan(
      sc.SPAN_VAULT(operation),
      {
        kind: SpanKind.CLIENT,
        startTime: startMs,
        attributes: { [sc.ATTR_VAULT_OPERATION]: operation, ...attributes, ...outcome.attributes },
      },
      this.startContext,
    );
    span?.setAttribute(sc.ATTR_VAULT_OUTCOME, outcome.error === undefined ? 'ok' : 'failed');
    if (outcome.error !== undefined) span?.setStatus({ code: SpanStatusCode.ERROR });
    span?.end(endMs);
  }

  /** CPU of this process (a task host is one task): `process.cpu.time` by `cpu.mode`. */
  observeProcessCpu(): void {
    const meter = this.options.sdk.meter;
    if (!meter) return;
    meter
      .createObservableCounter(sc.METRIC_PROCESS_CPU_TIME, {
        unit: 's',
        description: 'CPU time of the task host process.',
      })
      .addCallback((result) => {
        const usage = process.cpuUsage();
        result.observe(usage.user / 1e6, { ...this.points, 'cpu.mode': 'user' });
        result.observe(usage.system / 1e6, { ...this.points, 'cpu.mode': 'system' });
      });
  }

  /** Linear memory gauges: the task's total and its largest single memory (an instance's). */
  observeMemory(measure: () => { bytes: number; largestBytes: number }): void {
    const meter = this.options.sdk.meter;
    if (!meter) return;
    const total = meter.createObservableGauge(sc.METRIC_LINEAR_MEMORY, {
      unit: 'By',
      description: "Linear memory of the task's component instances",
    });
    const largest = meter.createObservableGauge(sc.METRIC_INSTANCE_LINEAR_MEMORY, {
      unit: 'By',
      description: 'The largest linear memory of one instance of the task',
    });
    meter.addBatchObservableCallback(
      (result) => {
        const now = measure();
        result.observe(total, now.bytes, this.points);
        result.observe(largest, now.largestBytes, this.points);
      },
      [total, largest],
    );
  }
}

function noop(): void {}

/** One request's telemetry (RequestTelemetry), ended once: on `finish`, or on `close` when the connection went first. */
class ServedRequest implements RequestTelemetry {
  private ended = false;
  private inGuest = false;
  /** The guest-call span while the guest runs (guestEntered to guestReturned). */
  private guestSpan: Span | undefined = undefined;

  constructor(
    private readonly task: TaskTelemetry,
    readonly method: string,
    readonly started: number,
    /** The server span: recording when sampled, an UnsampledSpan when not, none when traces are off. */
    readonly span: Span | undefined,
  ) {}

  guestCall<T>(call: () => T): T {
    return this.task.inGuestCall(this.span, call);
  }

  guestEntered(): void {
    this.inGuest = true;
    this.guestSpan = this.task.enterGuest(this.span);
  }

  guestReturned(): void {
    if (!this.inGuest) return;
    this.inGuest = false;
    this.task.leaveGuest(this.span, this.guestSpan);
  }

  guestThrew(error: unknown): void {
    if (!this.inGuest) return;
    this.inGuest = false;
    this.task.leaveGuest(this.span, this.guestSpan, { error });
  }

  reset(): () => void {
    return this.task.childSpan(this.span, sc.SPAN_RESET);
  }

  end(status: number, error?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.task.requestEnded(this, status, error);
  }
}

function requestAttributes(req: IncomingMessage, method: string, port: number): Attributes {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return {
    [sc.ATTR_HTTP_REQUEST_METHOD]: method,
    [sc.ATTR_URL_PATH]: query < 0 ? url : url.slice(0, query),
    [sc.ATTR_URL_SCHEME]: 'http',
    [sc.ATTR_SERVER_PORT]: port,
    [sc.ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
    ...(req.socket.remoteAddress ? { [sc.ATTR_NETWORK_PEER_ADDRESS]: req.socket.remoteAddress } : {}),
    ...(req.headers['user-agent'] ? { [sc.ATTR_USER_AGENT_ORIGINAL]: req.headers['user-agent'] } : {}),
  };
}

function instruments(meter: import('@opentelemetry/api').Meter, hotPath: HotPathMetrics): Instruments {
  const seconds = (name: string, description: string, buckets: readonly number[]): Histogram =>
    meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: [...buckets] } });
  return {
    serverDuration: hotPath.add(
      new RequestHistogram(
        sc.METRIC_HTTP_SERVER_DURATION,
        'Duration of HTTP server requests.',
        sc.HTTP_DURATION_BUCKETS,
      ),
    ),
    clientDuration: seconds(
      sc.METRIC_HTTP_CLIENT_DURATION,
      'Duration of HTTP client requests.',
      sc.HTTP_DURATION_BUCKETS,
    ),
    initDuration: seconds(
      sc.METRIC_FAAS_INIT_DURATION,
      'Time to make a component instance ready (instantiation).',
      sc.START_DURATION_BUCKETS,
    ),
    coldStarts: meter.createCounter(sc.METRIC_FAAS_COLDSTARTS, {
      unit: '{coldstart}',
      description: 'Component instances made (task start, replacement, per-request).',
    }),
    invokeDuration: seconds(
      sc.METRIC_FAAS_INVOKE_DURATION,
      "Duration of a wasi:cli command's run.",
      sc.START_DURATION_BUCKETS,
    ),
    phaseDuration: seconds(
      sc.METRIC_START_PHASE_DURATION,
      'Duration of a task start phase.',
      sc.START_DURATION_BUCKETS,
    ),
    denied: meter.createCounter(sc.METRIC_DENIED, {
      unit: '{denial}',
      description: 'Capabilities a component was refused, by kind.',
    }),
    retries: meter.createCounter(sc.METRIC_SERVICE_RETRIES, {
      unit: '{retry}',
      description: 'Service calls retried on another instance.',
    }),
    ejections: meter.createCounter(sc.METRIC_SERVICE_EJECTIONS, {
      unit: '{ejection}',
      description: 'Service instances avoided after a failure.',
    }),
    renewals: meter.createCounter(sc.METRIC_VAULT_LEASE_RENEWALS, {
      unit: '{renewal}',
      description: 'Vault lease renewals, by outcome.',
    }),
    rotations: meter.createCounter(sc.METRIC_VAULT_ROTATIONS, {
      unit: '{rotation}',
      description: 'Vault secrets read again (rotated).',
    }),
  };
}
