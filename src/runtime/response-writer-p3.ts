// Writes a WASI 0.3 guest's response on a node:http response, as
// ResponseSink does for 0.2: a small body the guest finishes quickly goes
// out with a Content-Length in one write, headers included; otherwise the
// status and headers go out and the body streams (chunked) as the guest
// writes it. A client gets the length it can check, and node:http one
// write instead of the head, chunk frames and the last chunk: ~4 % of a
// shared 0.3 hello-world request's CPU, ~10 % of its req/s in the bench.
//
// "Quickly" is within HOLD_MS of the head: a guest that writes and closes
// its body does it in well under that even on a loaded machine, one that
// waits for anything (a timer, an outbound response, the request body)
// takes longer, and what it wrote goes out then, so a streamed response is
// held back by HOLD_MS at most. (Counting event-loop turns instead held
// back four in five hello-world responses under load: with ten requests in
// flight, jco's runtime needs more than 16 turns to close a body.) Trailers
// need chunked encoding: a response with trailers always streams.
import type { ServerResponse } from 'node:http';
import { HOLD_LIMIT, sendWhole } from './response-sink.js';

const CLIENT_GONE = 'the client closed the connection';

/** How long a response may stay held while the guest has not finished it. */
export const HOLD_MS = 5;

export class ResponseWriterP3 {
  readonly #res: ServerResponse;
  readonly #status: number;
  /** `[name, value, name, value, ...]` (Fields.toNodeHeaderList). */
  readonly #headers: string[];
  /** HEAD, 1xx, 204, 304: no body, and no Content-Length the guest did not set. */
  readonly #bodiless: boolean;
  readonly #head: boolean;
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #streaming = false;
  #timer: NodeJS.Timeout | undefined;

  /** `holdMs`: HOLD_MS, but for tests. */
  constructor(res: ServerResponse, status: number, headers: string[], head: boolean, holdMs = HOLD_MS) {
    this.#res = res;
    this.#status = status;
    this.#headers = headers;
    this.#head = head;
    this.#bodiless = head || status < 200 || status === 204 || status === 304;
    this.#timer = setTimeout(this.#stream, holdMs);
  }

  /** A chunk of the body; resolves when node:http can take more (a slow client slows the guest). */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.#res.destroyed) throw new Error(CLIENT_GONE);
    if (!this.#streaming) {
      this.#held.push(chunk);
      this.#heldBytes += chunk.length;
      if (this.#heldBytes > HOLD_LIMIT) this.#stream();
      return;
    }
    if (!this.#head && !this.#res.write(chunk)) await drained(this.#res);
  }

  /** The body is complete; `trailers` as `[name, value]` pairs, if the guest sent any. */
  end(trailers?: [string, string][]): void {
    this.abandon();
    if (trailers) this.#stream();
    if (this.#streaming) {
      if (trailers) this.#res.addTrailers(trailers);
      this.#res.end();
      return;
    }
    this.#streaming = true;
    sendWhole(this.#res, this.#status, this.#headers, this.#bodiless, this.#held);
    this.#held = [];
  }

  /** Stops the hold's timer (the response failed, or ended). */
  abandon(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Gives up on holding: the head and what is held go out now, the rest streams. */
  readonly #stream = (): void => {
    if (this.#streaming || this.#res.destroyed) return;
    this.#streaming = true;
    this.abandon();
    this.#res.writeHead(this.#status, this.#headers);
    if (!this.#head) for (const chunk of this.#held) this.#res.write(chunk);
    if (this.#held.length === 0) this.#res.flushHeaders();
    this.#held = [];
  };
}

/**
 * Resolves when `res` can take more. Rejects when its connection closes first: no 'drain' comes
 * then, and a guest writing a long body to a client that went away would wait for ever (holding
 * its task, and in a shared instance everything the task holds).
 */
function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error(CLIENT_GONE));
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      reject(new Error(CLIENT_GONE));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
