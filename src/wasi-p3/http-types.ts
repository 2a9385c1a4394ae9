// wasi:http/types@0.3: requests and responses, both directions. Fields and
// request options are the 0.2 host's classes (src/wasi/), which serve both
// versions.
//
// A 0.3 request or response carries its body as a stream and its trailers
// as a future, and `new` hands back a second future the host resolves once
// it has sent the message (or failed to). Headers given to `new` are frozen
// (the message owns them); `get-headers` returns a frozen copy each time,
// since each call hands the guest a new handle.
import { Fields } from '../wasi/http-fields.js';
import { RequestOptions, type HttpErrorCode, type Method, type Scheme } from '../wasi/http-types.js';
import { deferred, emptyStream, OK, type GuestStream, type Outcome } from './streams.js';

/** A body: the guest's stream, or one the host makes (an incoming request, a fetched response). */
export type Body = GuestStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
export type TrailersFuture = PromiseLike<Outcome<HttpErrorCode> | { tag: 'ok'; val: Fields | undefined }>;
export type SentFuture = Promise<Outcome<HttpErrorCode>>;

const NO_TRAILERS: TrailersFuture = Promise.resolve({ tag: 'ok', val: undefined });

/**
 * Reads a future the guest hands over and the host has no use for: a guest
 * writing into it waits until the host reads (a future is a rendezvous), and
 * would otherwise keep its task, and the instance's state for it, forever.
 */
export function drain(future: PromiseLike<unknown> | undefined): void {
  if (future) Promise.resolve(future).then(ignore, ignore);
}
const ignore = (): undefined => undefined;

/** What a request or response has in common: headers, body, trailers, and the "sent" future. */
abstract class Message {
  readonly #headers: Fields;
  #contents: Body | undefined;
  #trailers: TrailersFuture;
  readonly #sent = deferred<Outcome<HttpErrorCode>>();

  constructor(headers: Fields, contents: Body | undefined, trailers: TrailersFuture | undefined) {
    headers.lock();
    this.#headers = headers;
    this.#contents = contents;
    this.#trailers = trailers ?? NO_TRAILERS;
  }
  getHeaders(): Fields {
    const copy = this.#headers.clone();
    copy.lock();
    return copy;
  }
  /** Host side: the headers themselves (read-only). */
  get headers(): Fields {
    return this.#headers;
  }
  /** Host side: the body and trailers, once (the guest's consume-body and the host share this). */
  takeBody(): [Body, TrailersFuture] {
    const contents = this.#contents ?? emptyStream();
    this.#contents = undefined;
    const trailers = this.#trailers;
    this.#trailers = NO_TRAILERS;
    return [contents, trailers];
  }
  /** The future `new` returned: resolved once the host has sent this message, or could not. */
  get sent(): SentFuture {
    return this.#sent.promise;
  }
  markSent(result: Outcome<HttpErrorCode>): void {
    this.#sent.resolve(result);
  }
}

export class Request extends Message {
  #method: Method = { tag: 'get' };
  #pathWithQuery: string | undefined;
  #scheme: Scheme | undefined;
  #authority: string | undefined;
  readonly #options: RequestOptions | undefined;

  constructor(
    headers: Fields,
    contents: Body | undefined,
    trailers: TrailersFuture | undefined,
    options: RequestOptions | undefined,
  ) {
    super(headers, contents, trailers);
    this.#options = options;
  }

  /** The guest makes an outbound request. */
  static new(
    headers: Fields,
    contents: Body | undefined,
    trailers: TrailersFuture,
    options: RequestOptions | undefined,
  ): [Request, SentFuture] {
    const request = new Request(headers, contents, trailers, options);
    return [request, request.sent];
  }

  /** The host hands the guest a request it received. */
  static incoming(
    parts: { method: Method; pathWithQuery: string; scheme: Scheme; authority: string | undefined },
    headers: Fields,
    contents: Body,
    trailers: TrailersFuture,
  ): Request {
    const request = new Request(headers, contents, trailers, undefined);
    request.#method = parts.method;
    request.#pathWithQuery = parts.pathWithQuery;
    request.#scheme = parts.scheme;
    request.#authority = parts.authority;
    return request;
  }

  static consumeBody(request: Request, done: PromiseLike<unknown>): [Body, TrailersFuture] {
    drain(done); // the guest's word that it read the body: nothing for the host to do with it
    return request.takeBody();
  }

  getMethod(): Method {
    return this.#method;
  }
  setMethod(method: Method): void {
    if (method.tag === 'other' && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method.val)) throw undefined;
    this.#method = method;
  }
  getPathWithQuery(): string | undefined {
    return this.#pathWithQuery;
  }
  setPathWithQuery(path: string | undefined): void {
    this.#pathWithQuery = path;
  }
  getScheme(): Scheme | undefined {
    return this.#scheme;
  }
  setScheme(scheme: Scheme | undefined): void {
    this.#scheme = scheme;
  }
  getAuthority(): string | undefined {
    return this.#authority;
  }
  setAuthority(authority: string | undefined): void {
    this.#authority = authority;
  }
  getOptions(): RequestOptions | undefined {
    return this.#options?.clone();
  }
  /** Host side: the guest's timeouts. */
  get options(): RequestOptions | undefined {
    return this.#options;
  }
}

export class Response extends Message {
  #status = 200;

  /** The guest makes a response (to its request) . */
  static new(headers: Fields, contents: Body | undefined, trailers: TrailersFuture): [Response, SentFuture] {
    const response = new Response(headers, contents, trailers);
    return [response, response.sent];
  }

  /** The host hands the guest a response it fetched. */
  static fetched(status: number, headers: Fields, contents: Body): Response {
    const response = new Response(headers, contents, undefined);
    response.#status = status;
    response.markSent(OK);
    return response;
  }

  static consumeBody(response: Response, done: PromiseLike<unknown>): [Body, TrailersFuture] {
    drain(done);
    return response.takeBody();
  }

  getStatusCode(): number {
    return this.#status;
  }
  setStatusCode(status: number): void {
    if (!Number.isInteger(status) || status < 100 || status > 999) throw undefined;
    this.#status = status;
  }
}

export const httpP3Types = { Fields, Request, Response, RequestOptions };
