// Serves a wasi:http/incoming-handler component with node:http, in this
// thread: a request is one synchronous call into the guest with host
// objects that answer from memory (no I/O worker, no cross-thread hop).
//
// Request bodies are read completely before the guest runs (WASI 0.2 calls
// are synchronous: a guest cannot wait for bytes still on the wire), up to
// MAX_REQUEST_BODY. Response bodies stream (response-sink.ts): a small body
// goes out in one write when the guest finishes it, a large or slow one
// in chunks as the guest writes.
//
// Instance modes (request-instances.ts): `shared` keeps one instance for
// all requests (a trap replaces it); `per-request` gives every request an
// instance in its state right after instantiation (no state survives
// between requests, as with Spin or wasmtime serve).
//
// A WASI 0.3 service (its world says so: component-world.ts) is served by
// serve-http-p3.ts: async handlers, streamed bodies both ways.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { DriverError } from '../errors.js';
import { httpService, listenOn, sendError, traceRequest, type HttpService } from './http-server-plumbing.js';
import { Fields } from '../wasi/http-fields.js';
import {
  IncomingRequest,
  methodFromString,
  ResponseOutparam,
  type HttpErrorCode,
  type OutgoingResponse,
} from '../wasi/http-types.js';
import type { PreparedComponent } from './component-cache.js';
import type { SecretKeys } from './config-view.js';
import type { Grants } from '../ipc/grants.js';
import type { KeyValueBackend } from '../spin/granted-stores.js';
import { keepGlueCode } from './glue-code-cache.js';
import { hostForTask, instantiateOptions } from './host-for-task.js';
import type { LinearMemoryMeter } from './linear-memory-meter.js';
import { requestInstances } from './request-instances.js';
import { ResponseSink } from './response-sink.js';
import { notice, taskOutput, type TaskOutput } from './task-output.js';
import { describeTrap } from './traps.js';
import type { RequestTelemetry, TaskTelemetryHooks } from '../telemetry/hooks.js';

/** Where task and pool hosts have always found it. */
export type { HttpService };

// Not `import { createServer } from 'node:http'`: the ESM facade of node:http
// reads every export, and its lazy fetch/WebSocket getters load undici
// (~35 ms of each service's start here); require() reads none of them.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

interface IncomingHandler {
  handle(request: IncomingRequest, responseOut: ResponseOutparam): void;
}

export const MAX_REQUEST_BODY = 64 * 1024 * 1024;

export async function serveHttp(
  component: PreparedComponent,
  grants: Grants,
  listen: { host: string; port: number },
  secrets?: SecretKeys,
  output: TaskOutput = taskOutput,
  meter?: LinearMemoryMeter,
  telemetry?: TaskTelemetryHooks,
  keyValue?: KeyValueBackend,
): Promise<HttpService> {
  if (component.wasi === '0.3') {
    const { serveHttpP3 } = await import('./serve-http-p3.js');
    return serveHttpP3(component, grants, listen, secrets, output, meter, telemetry, keyValue);
  }
  const instances = await requestInstances(
    component,
    hostForTask(grants, secrets, output, telemetry, keyValue, component.p3Imports),
    instantiateOptions(grants, meter),
    {
      mode: grants.httpInstance,
      onFallback: (reason) =>
        notice(`per-request instances are instantiated afresh for every request (slower): ${reason}`, output),
      ...(telemetry ? { onInstantiate: (reason) => telemetry.instantiation(reason) } : {}),
    },
  );
  // A component without the handler fails the start, not its first request.
  const first = instances.tryTake();
  try {
    handlerIn(first?.exports ?? {});
  } finally {
    first?.done({ trapped: false });
  }

  const failed = (res: ServerResponse, err: unknown): void => {
    notice(`request failed: ${describeError(err)}`, output);
    sendError(res, 500, 'internal error');
  };
  // Once the first request is answered, the glue's code is worth keeping (glue-code-cache.ts).
  let codeKept = false;
  // Callbacks rather than promises on this path: it runs for every request.
  const run = (req: IncomingMessage, res: ServerResponse, body: Uint8Array, traced?: RequestTelemetry): void => {
    const taken = instances.tryTake();
    if (!taken) {
      instances.ready().then(
        () => run(req, res, body, traced),
        (err: unknown) => failed(res, err),
      );
      return;
    }
    // From here to done() nothing yields: the instance serves this request alone.
    let trapped = false;
    try {
      const handler = handlerIn(taken.exports);
      // Entered and returned around the call, not a closure around it: this runs for every request.
      traced?.guestEntered();
      trapped = handleRequest(handler, req, res, body, grants, output);
      traced?.guestReturned();
    } catch (err) {
      traced?.guestThrew(err);
      failed(res, err);
    } finally {
      if (traced && grants.httpInstance === 'per-request') {
        const resetDone = traced.reset();
        taken.done({ trapped });
        resetDone();
      } else taken.done({ trapped });
    }
    if (!codeKept && !trapped) {
      codeKept = true;
      setImmediate(() => keepGlueCode(component));
    }
  };
  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    // With telemetry off this is one test per request and nothing else.
    const traced = telemetry ? traceRequest(telemetry, req, res, listen.port) : undefined;
    readBody(
      req,
      (body) =>
        body === undefined
          ? sendError(res, 413, `request body over ${MAX_REQUEST_BODY} bytes`)
          : run(req, res, body, traced),
      (err) => failed(res, err),
    );
  });
  await listenOn(server, listen);
  return httpService(server, listen.port, () => instances.reload());
}

function handlerIn(exports: Record<string, unknown>): IncomingHandler {
  const handler = (exports['incomingHandler'] ?? exports['wasi:http/incoming-handler@0.2.12']) as
    IncomingHandler | undefined;
  if (!handler)
    throw new DriverError('COMPONENT_WORLD_UNSUPPORTED', 'component has no wasi:http/incoming-handler export');
  return handler;
}

const NO_BODY = new Uint8Array(0);

/** Calls `onBody` with the whole request body, or undefined when it is over the limit. */
function readBody(
  req: IncomingMessage,
  onBody: (body: Uint8Array | undefined) => void,
  onError: (err: Error) => void,
): void {
  // Without Content-Length or Transfer-Encoding an HTTP/1.1 request has no body (RFC 9112 6.3):
  // no stream to read (node:http discards it when the response ends).
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    onBody(NO_BODY);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY) over = true;
    else chunks.push(chunk);
  });
  req.on('end', () => onBody(over ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
  req.on('error', onError);
}

/** Runs the guest for one request; returns whether it trapped. */
function handleRequest(
  handler: IncomingHandler,
  req: IncomingMessage,
  res: ServerResponse,
  body: Uint8Array,
  grants: Grants,
  output: TaskOutput,
): boolean {
  const headers = Fields.fromHost(headerPairs(req), true);
  const request = new IncomingRequest(
    methodFromString(req.method ?? 'GET'),
    req.url ?? '/',
    req.headers.host,
    headers,
    body,
  );
  let response: OutgoingResponse | undefined;
  let sink: ResponseSink | undefined;
  const outparam = new ResponseOutparam({
    respond(outgoing) {
      response = outgoing;
      sink = new ResponseSink(res, outgoing.statusCode(), outgoing.headers().toNodeHeaderList(), req.method === 'HEAD');
      outgoing.bodyHandle.pipe.attach(sink);
    },
    fail(error: HttpErrorCode) {
      sendError(res, 500, `the component reported ${error.tag}`);
    },
  });
  try {
    handler.handle(request, outparam);
  } catch (err) {
    notice(describeTrap(err, grants), output);
    sink?.abandon();
    // Once part of the response is out, the client must not mistake a cut-off body for a complete one.
    if (sink?.started || res.headersSent) res.destroy();
    else sendError(res, 500, 'the component trapped');
    return true;
  }
  if (!outparam.used) sendError(res, 500, 'the component returned without setting a response');
  // A synchronous guest cannot write after handle() returns: end what it left open.
  else if (response && !response.bodyHandle.pipe.finished) response.bodyHandle.pipe.finish();
  return false;
}

function headerPairs(req: IncomingMessage): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    pairs.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  return pairs;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
