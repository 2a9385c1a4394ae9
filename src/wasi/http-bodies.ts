// Bodies of wasi:http: `incoming-body` (bytes the host already has) and
// `outgoing-body` (bytes the guest writes, delivered to whoever the host
// attached: a node:http response, or a buffer for an outbound request).
import { BufferInputStream, Pollable, SinkOutputStream, type InputStream, type OutputStream } from './io.js';
import type { Fields } from './http-fields.js';

type Trailers = Fields | undefined;

export class FutureTrailers {
  #taken = false;
  subscribe(): Pollable {
    return new Pollable();
  }
  get(): { tag: 'ok'; val: { tag: 'ok'; val: Trailers } } | { tag: 'err'; val: undefined } {
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
}

export class IncomingBody {
  readonly #bytes: Uint8Array;
  #streamTaken = false;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  stream(): InputStream {
    if (this.#streamTaken) throw undefined;
    this.#streamTaken = true;
    return new BufferInputStream(this.#bytes);
  }
  static finish(_body: IncomingBody): FutureTrailers {
    return new FutureTrailers();
  }
}

/** Where the bytes of an outgoing body go; attached once the host knows. */
export interface BodySink {
  write(bytes: Uint8Array): void;
  end(): void;
}

/** Buffers until a sink is attached, then passes everything through. */
export class BodyPipe {
  #buffered: Uint8Array[] = [];
  #sink: BodySink | undefined;
  #finished = false;
  bytesWritten = 0;

  write(bytes: Uint8Array): void {
    if (this.#finished) throw { tag: 'closed' };
    // The guest may reuse its buffer after the call returns: copy.
    const copy = bytes.slice();
    this.bytesWritten += copy.length;
    if (this.#sink) this.#sink.write(copy);
    else this.#buffered.push(copy);
  }
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#sink?.end();
  }
  get finished(): boolean {
    return this.#finished;
  }
  attach(sink: BodySink): void {
    this.#sink = sink;
    for (const chunk of this.#buffered) sink.write(chunk);
    this.#buffered = [];
    if (this.#finished) sink.end();
  }
  /** All bytes written so far, for a buffered outbound request. */
  takeBuffered(): Uint8Array {
    const out = Buffer.concat(this.#buffered);
    this.#buffered = [];
    return out;
  }
}

export class OutgoingBody {
  readonly pipe = new BodyPipe();
  #streamTaken = false;
  write(): OutputStream {
    if (this.#streamTaken) throw undefined;
    this.#streamTaken = true;
    return new SinkOutputStream((bytes) => this.pipe.write(bytes));
  }
  static finish(body: OutgoingBody, _trailers: Fields | undefined): void {
    // Trailers are not sent (node:http would need chunked encoding and a
    // declared Trailer header); the body itself ends here.
    body.pipe.finish();
  }
}
