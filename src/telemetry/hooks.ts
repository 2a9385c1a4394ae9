// What the runtime tells telemetry, at its few choke points: a request
// arrives and is answered, an instance is made or reset, the guest is
// called, an outbound request goes out, a config key is read, a capability
// is denied, a command runs. Interfaces only: the runtime imports nothing of
// the SDK, and with telemetry off it holds `undefined` and calls nothing.
import type { IncomingMessage } from 'node:http';

export type DeniedKind = 'http' | 'service' | 'filesystem' | 'config';

export interface TaskTelemetryHooks {
  /** A request arrived: its server span starts (continuing an incoming traceparent). */
  request(req: IncomingMessage, port: number): RequestTelemetry;
  /** An instance is being made (`start`, `replace`, `per-request`, `reload`); call the result when it is ready or failed. */
  instantiation(reason: InstantiationReason): (error?: unknown) => void;
  /** An outbound wasi:http request is about to be sent (allowed). */
  outbound(call: OutboundStart): OutboundTelemetry;
  /** A wasi:config/store read; `found` says whether a value was returned (never the value). */
  configRead(operation: 'get' | 'get-all', key: string | undefined, found: boolean): void;
  /** The guest was refused a capability. */
  denied(kind: DeniedKind, target: string): void;
  /** A wasi:cli command's run starts; the result ends it with the exit code. */
  commandRun(): (exitCode: number) => void;
  /** The host side of wasi:otel for this task's guests. */
  readonly guest: GuestSpanSink;
}

export type InstantiationReason = 'start' | 'replace' | 'per-request' | 'reload';

export interface RequestTelemetry {
  /** Runs the guest's handler inside the guest-call span. */
  guestCall<T>(call: () => T): T;
  /**
   * The same as guestCall for a handler run synchronously by the caller,
   * without a closure per request: the handler starts, then returns (or
   * throws). A return without a start is ignored.
   */
  guestEntered(): void;
  guestReturned(): void;
  guestThrew(error: unknown): void;
  /** The instance is reset after the request (per-request mode); the result ends the reset span. */
  reset(): () => void;
  /** The response is complete (or the connection gone): ends the server span and records the duration. */
  end(statusCode: number, error?: string): void;
}

export interface OutboundStart {
  readonly method: string;
  readonly url: URL;
  /** A granted service name (`allow_services`) when the request goes to one. */
  readonly service?: string;
}

export interface OutboundTelemetry {
  /** Headers the host adds to the request (`traceparent`, `tracestate`); any the guest set are replaced. */
  readonly headers: readonly [string, string][];
  /** A service instance was tried (attempt 1, 2, ...). */
  attempt(instance: string, attempt: number): void;
  /** An instance could not be reached and is avoided for a while. */
  ejected(instance: string, reason: string): void;
  end(outcome: { readonly status?: number; readonly error?: string }): void;
}

/** wasi:otel/tracing, as plain values (src/wasi/otel.ts converts the WIT shapes). */
export interface GuestSpanSink {
  /** `current-span-context` (wasi-otel main): the innermost active span, the guest's own included. */
  currentSpanContext(): GuestSpanContext;
  /** `outer-span-context` (released rc.2): the host's span around the guest call. */
  hostSpanContext(): GuestSpanContext;
  onStart(context: GuestSpanContext): void;
  onEnd(span: GuestSpanData): void;
}

export interface GuestSpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly isRemote: boolean;
  readonly traceState: readonly [string, string][];
}

export interface GuestSpanData {
  readonly context: GuestSpanContext;
  readonly parentSpanId: string;
  readonly kind: 'client' | 'server' | 'producer' | 'consumer' | 'internal';
  readonly name: string;
  /** Milliseconds since the epoch. */
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly events: readonly {
    readonly name: string;
    readonly timeMs: number;
    readonly attributes: Readonly<Record<string, unknown>>;
  }[];
  readonly links: readonly {
    readonly context: GuestSpanContext;
    readonly attributes: Readonly<Record<string, unknown>>;
  }[];
  readonly status: { readonly code: 'unset' | 'ok' | 'error'; readonly message?: string };
  readonly scope: { readonly name: string; readonly version?: string };
}

/** What a guest sees as its parent when telemetry is off or nothing is active: an invalid, unsampled context. */
export const NO_SPAN_CONTEXT: GuestSpanContext = {
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  sampled: false,
  isRemote: false,
  traceState: [],
};

/** The guest half when telemetry is off: the interface exists, nothing is recorded. */
export const NO_GUEST_SPANS: GuestSpanSink = {
  currentSpanContext: () => NO_SPAN_CONTEXT,
  hostSpanContext: () => NO_SPAN_CONTEXT,
  onStart: () => undefined,
  onEnd: () => undefined,
};
