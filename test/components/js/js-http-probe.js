// world: http-probe
// Calls wasi:http/outgoing-handler once for each URL in the environment
// variable PROBE_URLS (space-separated) and prints one line per URL with what
// the guest observed: the status and body, or the exact error-code tag.
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { handle } from 'wasi:http/outgoing-handler@0.2.12';
import { Fields, OutgoingBody, OutgoingRequest } from 'wasi:http/types@0.2.12';

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
      return new TextDecoder().decode(Uint8Array.from(chunks)); // closed: end of body
    }
  }
}

function probe(url) {
  const request = new OutgoingRequest(new Fields());
  request.setScheme({ tag: url.protocol === 'https:' ? 'HTTPS' : 'HTTP' });
  request.setAuthority(url.host);
  request.setPathWithQuery(url.pathname + url.search);
  OutgoingBody.finish(request.body(), undefined);
  let future;
  try {
    future = handle(request, undefined);
  } catch (err) {
    return `error ${errorTag(err)}`;
  }
  future.subscribe().block();
  const outer = future.get();
  if (!outer || outer.tag !== 'ok') return 'error no-response';
  if (outer.val.tag !== 'ok') return `error ${outer.val.val.tag}`;
  const response = outer.val.val;
  return `status ${response.status()} body ${readAll(response.consume().stream())}`;
}

export const run = {
  run() {
    const urls = (new Map(getEnvironment()).get('PROBE_URLS') ?? '').split(' ').filter(Boolean);
    for (const url of urls) console.log(`${url} -> ${probe(new URL(url))}`);
  },
};
