// world: service-probe
// A wasi:http service for the service-discovery tests and benchmark:
//   GET /health    200 "ok <NAME>", or 503 once told to fail
//   GET /fail      from now on /health answers 503 (a fresh instance is healthy again)
//   GET /recover   /health answers 200 again
//   GET /hang      from now on /health never answers (busy loop: the instance stops answering)
//   GET /call/<p>  GET <UPSTREAM>/<p> through wasi:http/outgoing-handler; answers
//                  with the upstream's status and body, or 502 "error <error-code tag>"
//   GET /to/<authority>/<p>  the same for http://<authority>/<p>
//   GET /tls/<authority>/<p> the same for https://<authority>/<p>
//   anything else  200 "hello from <NAME>"
// NAME and UPSTREAM come from the environment the job grants.
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { handle } from 'wasi:http/outgoing-handler@0.2.12';
import { Fields, OutgoingBody, OutgoingRequest, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();
// Read on first use: componentize-js pre-initializes the module at build time, without imports.
let env;
let name;
let failing = false;
let hanging = false;

function respond(responseOut, status, text) {
  const response = new OutgoingResponse(Fields.fromList([['content-type', encoder.encode('text/plain')]]));
  response.setStatusCode(status);
  const body = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const stream = body.write();
  const bytes = encoder.encode(text);
  for (let offset = 0; offset < bytes.length; offset += 4096)
    stream.blockingWriteAndFlush(bytes.subarray(offset, offset + 4096));
  stream[Symbol.dispose]();
  OutgoingBody.finish(body, undefined);
}

/** componentize-js throws a result's error case as an Error whose `payload` is the error-code variant. */
function errorTag(err) {
  const code = err && typeof err === 'object' && 'payload' in err ? err.payload : err;
  return code && typeof code === 'object' && 'tag' in code ? code.tag : `unexpected ${String(err)}`;
}

function readAll(stream) {
  const chunks = [];
  for (;;) {
    try {
      chunks.push(...stream.blockingRead(65536n));
    } catch {
      return new TextDecoder().decode(Uint8Array.from(chunks));
    }
  }
}

function call(target) {
  const url = new URL(target);
  const request = new OutgoingRequest(new Fields());
  request.setScheme({ tag: url.protocol === 'https:' ? 'HTTPS' : 'HTTP' });
  request.setAuthority(url.host);
  request.setPathWithQuery(url.pathname + url.search);
  OutgoingBody.finish(request.body(), undefined);
  let future;
  try {
    future = handle(request, undefined);
  } catch (err) {
    return { status: 502, text: `error ${errorTag(err)}\n` };
  }
  future.subscribe().block();
  const outer = future.get();
  if (!outer || outer.tag !== 'ok') return { status: 502, text: 'error no-response\n' };
  if (outer.val.tag !== 'ok') return { status: 502, text: `error ${outer.val.val.tag}\n` };
  const response = outer.val.val;
  return { status: response.status(), text: readAll(response.consume().stream()) };
}

export const incomingHandler = {
  handle(request, responseOut) {
    env ??= new Map(getEnvironment());
    name ??= env.get('NAME') ?? 'service-probe';
    const path = request.pathWithQuery() ?? '/';
    if (path === '/health') {
      if (hanging) for (;;) {}
      return respond(responseOut, failing ? 503 : 200, failing ? `failing ${name}\n` : `ok ${name}\n`);
    }
    if (path === '/fail') {
      failing = true;
      return respond(responseOut, 200, `${name} now fails its health check\n`);
    }
    if (path === '/recover') {
      failing = false;
      return respond(responseOut, 200, `${name} healthy again\n`);
    }
    if (path === '/hang') {
      hanging = true;
      return respond(responseOut, 200, `${name} stops answering /health\n`);
    }
    if (path.startsWith('/call/')) {
      const upstream = env.get('UPSTREAM') ?? '';
      const { status, text } = call(`${upstream}/${path.slice('/call/'.length)}`);
      return respond(responseOut, status, text);
    }
    if (path.startsWith('/tls/')) {
      const { status, text } = call(`https://${path.slice('/tls/'.length)}`);
      return respond(responseOut, status, text);
    }
    if (path.startsWith('/to/')) {
      const { status, text } = call(`http://${path.slice('/to/'.length)}`);
      return respond(responseOut, status, text);
    }
    return respond(responseOut, 200, `hello from ${name}\n`);
  },
};
