// Requests and responses of wasi:http/types, both directions.
import { FutureTrailers, IncomingBody, OutgoingBody } from './http-bodies.js';
import { Fields } from './http-fields.js';
import { IoError, Pollable } from './io.js';

export type Method =
  | { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' }
  | { tag: 'other'; val: string };
export type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };
/** wasi:http's `error-code` variant (only the cases this host produces are spelled out). */
export type HttpErrorCode = { tag: string; val?: unknown };

const KNOWN_METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);

export function methodFromString(method: string): Method {
  const lower = method.toLowerCase();
  return KNOWN_METHODS.has(lower) ? ({ tag: lower } as Method) : { tag: 'other', val: method };
}

export function methodToString(method: Method): string {
  return method.tag === 'other' ? method.val : method.tag.toUpperCase();
}

export class IncomingRequest {
  readonly #method: Method;
  readonly #pathWithQuery: string;
  readonly #authority: string | undefined;
  readonly #headers: Fields;
  #body: IncomingBody | undefined;

  constructor(method: Method, pathWithQuery: string, authority: string | undefined, headers: Fields, body: Uint8Array) {
    this.#method = method;
    this.#pathWithQuery = pathWithQuery;
    this.#authority = authority;
    this.#headers = headers;
    this.#body = new IncomingBody(body);
  }
  method(): Method {
    return this.#method;
  }
  pathWithQuery(): string {
    return this.#pathWithQuery;
  }
  scheme(): Scheme {
    return { tag: 'HTTP' };
  }
  authority(): string | undefined {
    return this.#authority;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    const body = this.#body;
    if (!body) throw undefined; // consumed already: result's error case carries no value
    this.#body = undefined;
    return body;
  }
}

export class OutgoingResponse {
  #status = 200;
  readonly #headers: Fields;
  #body: OutgoingBody | undefined;
  readonly bodyHandle = new OutgoingBody();

  constructor(headers: Fields) {
    this.#headers = headers;
    this.#body = this.bodyHandle;
  }
  statusCode(): number {
    return this.#status;
  }
  setStatusCode(status: number): void {
    if (!Number.isInteger(status) || status < 100 || status > 999) throw undefined;
    this.#status = status;
  }
  headers(): Fields {
    return this.#headers;
  }
  body(): OutgoingBody {
    const body = this.#body;
    if (!body) throw undefined;
    this.#body = undefined;
    return body;
  }
}

/** What the host does with the response a guest sets (or the error it reports). */
export interface ResponseReceiver {
  respond(response: OutgoingResponse): void;
  fail(error: HttpErrorCode): void;
}

export class ResponseOutparam {
  readonly #receiver: ResponseReceiver;
  #used = false;
  constructor(receiver: ResponseReceiver) {
    this.#receiver = receiver;
  }
  get used(): boolean {
    return this.#used;
  }
  static set(
    param: ResponseOutparam,
    response: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: HttpErrorCode },
  ): void {
    if (param.#used) return;
    param.#used = true;
    if (response.tag === 'ok') {
      response.val.headers().lock();
      param.#receiver.respond(response.val);
    } else {
      param.#receiver.fail(response.val);
    }
  }
}

export class OutgoingRequest {
  #method: Method = { tag: 'get' };
  #pathWithQuery: string | undefined;
  #scheme: Scheme | undefined;
  #authority: string | undefined;
  readonly #headers: Fields;
  #body: OutgoingBody | undefined;
  readonly bodyHandle = new OutgoingBody();

  constructor(headers: Fields) {
    this.#headers = headers;
    this.#body = this.bodyHandle;
  }
  body(): OutgoingBody {
    const body = this.#body;
    if (!body) throw undefined;
    this.#body = undefined;
    return body;
  }
  method(): Method {
    return this.#method;
  }
  setMethod(method: Method): void {
    this.#method = method;
  }
  pathWithQuery(): string | undefined {
    return this.#pathWithQuery;
  }
  setPathWithQuery(path: string | undefined): void {
    this.#pathWithQuery = path;
  }
  scheme(): Scheme | undefined {
    return this.#scheme;
  }
  setScheme(scheme: Scheme | undefined): void {
    this.#scheme = scheme;
  }
  authority(): string | undefined {
    return this.#authority;
  }
  setAuthority(authority: string | undefined): void {
    this.#authority = authority;
  }
  headers(): Fields {
    return this.#headers;
  }
}

/**
 * Timeouts a guest asks for on an outbound request. One class for WASI 0.2
 * and 0.3 (src/wasi-p3/): 0.3 prefixes the getters with `get-` and can
 * clone; the setters are the same.
 */
export class RequestOptions {
  #connectTimeout: bigint | undefined;
  #firstByteTimeout: bigint | undefined;
  #betweenBytesTimeout: bigint | undefined;
  connectTimeout(): bigint | undefined {
    return this.#connectTimeout;
  }
  setConnectTimeout(ns: bigint | undefined): void {
    this.#connectTimeout = ns;
  }
  firstByteTimeout(): bigint | undefined {
    return this.#firstByteTimeout;
  }
  setFirstByteTimeout(ns: bigint | undefined): void {
    this.#firstByteTimeout = ns;
  }
  betweenBytesTimeout(): bigint | undefined {
    return this.#betweenBytesTimeout;
  }
  setBetweenBytesTimeout(ns: bigint | undefined): void {
    this.#betweenBytesTimeout = ns;
  }
  getConnectTimeout(): bigint | undefined {
    return this.#connectTimeout;
  }
  getFirstByteTimeout(): bigint | undefined {
    return this.#firstByteTimeout;
  }
  getBetweenBytesTimeout(): bigint | undefined {
    return this.#betweenBytesTimeout;
  }
  clone(): RequestOptions {
    const copy = new RequestOptions();
    copy.#connectTimeout = this.#connectTimeout;
    copy.#firstByteTimeout = this.#firstByteTimeout;
    copy.#betweenBytesTimeout = this.#betweenBytesTimeout;
    return copy;
  }
  /** The total the host allows for a request, from the guest's first-byte timeout. */
  totalTimeoutMs(fallbackMs: number): number {
    const ns = this.#firstByteTimeout ?? this.#connectTimeout;
    return ns === undefined ? fallbackMs : Math.min(fallbackMs, Math.ceil(Number(ns) / 1e6));
  }
}

export class IncomingResponse {
  readonly #status: number;
  readonly #headers: Fields;
  #body: IncomingBody | undefined;
  constructor(status: number, headers: Fields, body: Uint8Array) {
    this.#status = status;
    this.#headers = headers;
    this.#body = new IncomingBody(body);
  }
  status(): number {
    return this.#status;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    const body = this.#body;
    if (!body) throw undefined;
    this.#body = undefined;
    return body;
  }
}

type ResponseResult = { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: HttpErrorCode };

/** An outbound request's response; performed on first use, synchronously. */
export class FutureIncomingResponse {
  readonly #perform: () => ResponseResult;
  #result: ResponseResult | undefined;
  #taken = false;
  constructor(perform: () => ResponseResult) {
    this.#perform = perform;
  }
  subscribe(): Pollable {
    return new Pollable();
  }
  get(): { tag: 'ok'; val: ResponseResult } | { tag: 'err'; val: undefined } {
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    this.#result ??= this.#perform();
    return { tag: 'ok', val: this.#result };
  }
}

export const httpTypes = {
  Fields,
  IncomingRequest,
  OutgoingRequest,
  RequestOptions,
  ResponseOutparam,
  IncomingResponse,
  IncomingBody,
  FutureTrailers,
  OutgoingResponse,
  OutgoingBody,
  FutureIncomingResponse,
  httpErrorCode: (_err: IoError): undefined => undefined,
};
