// What the WASI 0.2 and 0.3 HTTP servers (serve-http.ts, serve-http-p3.ts)
// share on the node:http side: listening with a coded error, the service
// handle the task host holds, each request's server span, and a plain error
// answer that never pretends a half-sent response is complete.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { DriverError } from '../errors.js';
import type { RequestTelemetry, TaskTelemetryHooks } from '../telemetry/hooks.js';

export interface HttpService {
  readonly port: number;
  close(): Promise<void>;
  /** Closes at once, cutting in-flight requests (a pooled task killed: nothing else may run for it). */
  abort(): void;
  /** Swaps in a fresh instance (SIGHUP); in-flight requests finish on the old one. */
  reload(): Promise<void>;
}

/** The handle of a listening server: close drains, abort cuts, reload is the instances'. */
export function httpService(server: Server, port: number, reload: () => Promise<void>): HttpService {
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
    abort: () => {
      server.close();
      server.closeAllConnections();
    },
    reload,
  };
}

/** The request's server span and metrics, ended when the response is done or the connection gone. */
export function traceRequest(
  telemetry: TaskTelemetryHooks,
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
): RequestTelemetry {
  const traced = telemetry.request(req, port);
  // A response emits 'close' after 'finish', or alone when the connection went first: one listener.
  res.on('close', () => traced.end(res.statusCode, res.writableFinished ? undefined : 'connection_closed'));
  return traced;
}

const encoder = new TextEncoder();

/** Listens on the task's port; a port Nomad gave us that is taken is HTTP_LISTEN_FAILED. */
export function listenOn(server: Server, listen: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new DriverError('HTTP_LISTEN_FAILED', `cannot listen on ${listen.host}:${listen.port}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
}

/** A plain-text error answer, or a cut connection once the headers are out. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(encoder.encode(`${message}\n`));
}
