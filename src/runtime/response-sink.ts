// Sends a guest's response on a node:http response. A small body the guest
// finishes within HOLD_LIMIT bytes goes out with a Content-Length in one
// write (headers included), as a plain node:http server answers; a larger
// one, or one still open when the guest blocks (sleeps, polls, waits for an
// outbound response), streams in chunks from then on, flushed to the socket
// each time the guest blocks. On this project's
// 2-core machine, write-then-end in chunked encoding cost node:http itself
// about a third of its hello-world throughput (scripts/bench/http-throughput.ts).
import type { ServerResponse } from 'node:http';
import { onBeforeBlocking } from '../wasi/before-blocking.js';
import type { BodySink } from '../wasi/http-bodies.js';

export const HOLD_LIMIT = 64 * 1024;

export class ResponseSink implements BodySink {
  readonly #res: ServerResponse;
  readonly #status: number;
  /** `[name, value, name, value, ...]` (Fields.toNodeHeaderList). */
  readonly #headers: string[];
  /** HEAD, 1xx, 204, 304: no body, and no Content-Length the guest did not set. */
  readonly #bodiless: boolean;
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #streaming = false;
  readonly #unhook: () => void;

  constructor(res: ServerResponse, status: number, headers: string[], head: boolean) {
    this.#res = res;
    this.#status = status;
    this.#headers = headers;
    this.#bodiless = head || status < 200 || status === 204 || status === 304;
    this.#unhook = onBeforeBlocking(() => this.#flush());
  }

  /** Whether anything reached node:http yet (after that, only cutting the connection can signal a failure). */
  get started(): boolean {
    return this.#streaming;
  }

  write(bytes: Uint8Array): void {
    if (this.#streaming) {
      this.#res.write(bytes);
      return;
    }
    this.#held.push(bytes);
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > HOLD_LIMIT) this.#stream();
  }

  end(): void {
    this.#unhook();
    if (this.#streaming) {
      this.#res.end();
      return;
    }
    this.#streaming = true;
    sendWhole(this.#res, this.#status, this.#headers, this.#bodiless, this.#held);
    this.#held = [];
  }

  /** Gives up on holding: headers and what is held go out with the next write, the rest streams. */
  #stream(): void {
    if (this.#streaming) return;
    this.#streaming = true;
    this.#res.writeHead(this.#status, this.#headers);
    for (const chunk of this.#held) this.#res.write(chunk);
    if (this.#held.length === 0) this.#res.flushHeaders();
    this.#held = [];
  }

  /**
   * Before the thread blocks: everything written so far onto the socket.
   * node:http corks the socket on a write and uncorks it on the next tick,
   * which does not come while a guest blocks the thread.
   */
  #flush(): void {
    this.#stream();
    const socket = this.#res.socket;
    if (socket?.writableCorked) socket.uncork();
  }

  /** The guest stopped (trapped) before finishing: drop the hook, keep nothing. */
  abandon(): void {
    this.#unhook();
    this.#held = [];
  }
}

/**
 * A response held whole: status, headers and body in one write, with a
 * Content-Length unless the guest declared its own framing (that stands:
 * node:http holds the body to it) or the response has no body.
 */
export function sendWhole(
  res: ServerResponse,
  status: number,
  headers: string[],
  bodiless: boolean,
  held: Uint8Array[],
): void {
  const body = held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held);
  if (!bodiless && !declaresFraming(headers)) headers.push('content-length', String(body.length));
  res.writeHead(status, headers);
  res.end(body); // node:http sends no body for HEAD
}

/** Whether a flat header list names its own framing. */
function declaresFraming(headers: string[]): boolean {
  for (let i = 0; i < headers.length; i += 2)
    if (/^(content-length|transfer-encoding)$/i.test(headers[i] as string)) return true;
  return false;
}
