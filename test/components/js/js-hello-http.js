// world: http-handler
// A wasi:http handler in JavaScript (StarlingMonkey, built by componentize-js):
// the "large" component of the start benchmarks. It uses wasi:http/types
// directly rather than a fetch event, so one instance serves many requests.
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();
const body = encoder.encode('hello from js\n');

export const incomingHandler = {
  handle(request, responseOut) {
    const response = new OutgoingResponse(Fields.fromList([['content-type', encoder.encode('text/plain')]]));
    response.setStatusCode(200);
    const outgoing = response.body();
    ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
    const stream = outgoing.write();
    stream.blockingWriteAndFlush(body);
    stream[Symbol.dispose]();
    OutgoingBody.finish(outgoing, undefined);
  },
};
