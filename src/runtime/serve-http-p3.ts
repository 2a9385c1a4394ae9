// Serves a WASI 0.3 wasi:http service (export `wasi:http/handler@0.3`)
// with node:http, in this thread. Unlike 0.2 (serve-http.ts), handle() is
// async and bodies are streams both ways: a request body reaches the guest
// as it arrives (nothing is buffered first, so there is no size limit),
// the response goes out as the guest writes it, trailers included (chunked
// encoding; a small body finished at once goes in one write with its
// length, response-writer-p3.ts). Several requests run at once, each on its instance
// (p3-instances.ts says which).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { DriverError } from '../errors.js';
import { httpService, listenOn, sendError, traceRequest, type HttpService } from './http-server-plumbing.js';
import { Fields } from '../wasi/http-fields.js';
import { methodFromString, type HttpErrorCode } from '../wasi/http-types.js';
import { Request, Response, type Body, type TrailersFuture } from '../wasi-p3/http-types.js';
import { emptyStream, OK, pumpGuestBytes } from '../wasi-p3/streams.js';
import type { PreparedComponent } from './component-cache.js';
import type { SecretKeys } from './config-view.js';
import type { Grants } from '../ipc/grants.js';
import { keepGlueCode } from './glue-code-cache.js';
import { hostForTask, instantiateOptions } from './host-for-task.js';
import { requireJspi } from './jspi.js';
import type { LinearMemoryMeter } from './linear-memory-meter.js';
import { p3Instances, type P3Instances } from './p3-instances.js';
import { ResponseWriterP3 } from './response-writer-p3.js';
import { notice, taskOutput, type TaskOutput } from './task-output.js';
import { describeTrap, guestErrorResult } from './traps.js';
import type { RequestTelemetry, TaskTelemetryHooks } from '../telemetry/hooks.js';
import type { KeyValueBackend } from '../spin/granted-stores.js';

// require(), not the ESM facade: see serve-http.ts.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export async function serveHttpP3(
  component: PreparedComponent,
  grants: Grants,
  listen: { host: string; port: number },
  secrets?: SecretKeys,
  output: TaskOutput = taskOutput,
  meter?: LinearMemoryMeter,
  telemetry?: TaskTelemetryHooks,
  keyValue?: KeyValueBackend,
): Promise<HttpService> {
  requireJspi();
  let instances: P3Instances;
  try {
    instances = await p3Instances(
      component,
      hostForTask(grants, secrets, output, telemetry, keyValue, true),
      instantiateOptions(grants, meter),
      {
        mode: grants.httpInstance,
        onFallback: (reason) =>
          notice(
            `WASI 0.3 service, http_instance = "per-request": every request gets a freshly instantiated instance (slower): ${reason}`,
            output,
          ),
        onNotKept: once((reason) =>
          notice(
            `a per-request instance was not reset after its request (${reason}): it was thrown away, and requests it would have served get a new instance (slower)`,
            output,
          ),
        ),
        ...(telemetry ? { onInstantiate: (reason) => telemetry.instantiation(reason) } : {}),
      },
    );
  } catch (err) {
    if (err instanceof DriverError) throw err;
    throw new DriverError('COMPONENT_WORLD_UNSUPPORTED', (err as Error).message, { cause: err });
  }
  let codeKept = false;
  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    const traced = telemetry ? traceRequest(telemetry, req, res, listen.port) : undefined;
    void serveOne(instances, req, res, grants, output, traced).then((answered) => {
      if (answered && !codeKept) {
        codeKept = true;
        setImmediate(() => keepGlueCode(component));
      }
    });
  });
  await listenOn(server, listen);
  return httpService(server, listen.port, () => instances.reload());
}

/** `fn` on its first call only (a notice a busy service would otherwise repeat for every request). */
function once(fn: (reason: string) => void): (reason: string) => void {
  let told = false;
  return (reason) => {
    if (told) return;
    told = true;
    fn(reason);
  };
}

/** One request on its instance; resolves true when the guest answered it. */
async function serveOne(
  instances: P3Instances,
  req: IncomingMessage,
  res: ServerResponse,
  grants: Grants,
  output: TaskOutput,
  traced: RequestTelemetry | undefined,
): Promise<boolean> {
  let lease;
  try {
    lease = await instances.take();
  } catch (err) {
    notice(`request failed: no instance: ${(err as Error).message}`, output);
    sendError(res, 500, 'internal error');
    return false;
  }
  let response: Response;
  try {
    // With telemetry the request has its server span and metrics; the guest-call span covers only
    // the call's start (jco enters the guest task asynchronously, and requests interleave), so
    // what the host does while the guest runs (an outbound call) is not a child of the request.
    const call = (): Promise<unknown> => lease.handler.handle(incomingRequest(req));
    response = (await lease.trapped.race(traced ? traced.guestCall(call) : call())) as Response;
  } catch (err) {
    const reported = guestErrorResult(err);
    if (reported) {
      lease.release({ trapped: false });
      sendError(
        res,
        500,
        `the component reported ${(reported.payload as HttpErrorCode | undefined)?.tag ?? 'an error'}`,
      );
      return true;
    }
    notice(describeTrap(err, grants), output);
    lease.release({ trapped: true });
    sendError(res, 500, 'the component trapped');
    return false;
  }
  try {
    await lease.trapped.race(writeResponse(req, res, response));
    lease.release({ trapped: false });
    return true;
  } catch (err) {
    // The guest trapped or failed its body while writing it, or the client went away.
    const failedBody = err instanceof BodyFailed;
    if (failedBody) notice(`response cut off: ${err.message}`, output);
    else if (!res.destroyed) notice(describeTrap(err, grants), output);
    response.markSent({ tag: 'err', val: { tag: 'connection-terminated' } });
    lease.release({ trapped: !failedBody && !res.destroyed });
    res.destroy(); // a cut-off body must not look complete to the client
    return false;
  }
}

/** The guest's trailers future said its body failed (`err`). */
class BodyFailed extends Error {}

function incomingRequest(req: IncomingMessage): Request {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    pairs.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  // Without Content-Length or Transfer-Encoding an HTTP/1.1 request has no body (RFC 9112 6.3).
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  return Request.incoming(
    {
      method: methodFromString(req.method ?? 'GET'),
      pathWithQuery: req.url ?? '/',
      scheme: { tag: 'HTTP' },
      authority: req.headers.host,
    },
    Fields.fromHost(pairs, true),
    hasBody ? (req as AsyncIterable<Uint8Array>) : emptyStream(),
    hasBody ? requestTrailers(req) : Promise.resolve({ tag: 'ok', val: undefined }),
  );
}

/** The request's trailers once its body has been read (none: `ok(none)`). */
function requestTrailers(req: IncomingMessage): TrailersFuture {
  return new Promise((resolve) => {
    req.once('end', () => {
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < req.rawTrailers.length; i += 2)
        pairs.push([req.rawTrailers[i] as string, req.rawTrailers[i + 1] as string]);
      resolve({ tag: 'ok', val: pairs.length > 0 ? Fields.fromHost(pairs, true) : undefined });
    });
    req.once('error', () => resolve({ tag: 'err', val: { tag: 'connection-terminated' } }));
  });
}

/** Status and headers, then the body as the guest writes it, then its trailers (response-writer-p3.ts). */
async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const [body, trailers] = response.takeBody();
  const writer = new ResponseWriterP3(
    res,
    response.getStatusCode(),
    response.headers.toNodeHeaderList(),
    req.method === 'HEAD',
  );
  let trailersRead = false;
  try {
    await pumpBody(body, (chunk) => writer.write(chunk));
    trailersRead = true;
    const sentTrailers = await trailers;
    if (sentTrailers.tag === 'err') {
      const code = (sentTrailers.val as HttpErrorCode | undefined)?.tag ?? 'an error';
      throw new BodyFailed(`the component reported ${code} for its body`);
    }
    writer.end(sentTrailers.val instanceof Fields ? sentTrailers.val.toNodeHeaderPairs() : undefined);
  } finally {
    writer.abandon();
    if (!trailersRead) letGo(trailers);
  }
  response.markSent(OK);
}

/**
 * Reads the trailers of a response whose body was cut off (the client went away), for nothing:
 * the guest's write of them then completes and its task can end. jco's host side of a future
 * has no drop; unread, the guest would wait on that write for ever (a shared instance keeps
 * every such task, a per-request one is thrown away instead of reset).
 */
function letGo(trailers: TrailersFuture): void {
  trailers.then(
    () => undefined,
    () => undefined, // a failed body: the response is already cut off
  );
}

function pumpBody(body: Body, write: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  if ('read' in body) return pumpGuestBytes(body, write);
  return (async () => {
    for await (const chunk of body) await write(chunk);
  })();
}
