// The `fields` resource of wasi:http/types: ordered header name/value pairs.
// Names compare case-insensitively; values are bytes. Fields the host hands
// to a guest (request headers) are immutable, as the spec requires.
//
// One class serves WASI 0.2 and 0.3 (src/wasi-p3/): 0.3 kept the resource
// and renamed `entries` to `copy-all` and added `get-and-delete`.

export type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Connection-level headers belong to the host's HTTP implementation.
const FORBIDDEN = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'host',
  'http2-settings',
]);

function checkName(name: string): void {
  if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
  if (FORBIDDEN.has(name.toLowerCase())) throw { tag: 'forbidden' } satisfies HeaderError;
}

function checkValue(value: Uint8Array): void {
  for (const byte of value) {
    // No CR, LF or NUL: they would split or truncate a header on the wire.
    if (byte === 0x0d || byte === 0x0a || byte === 0x00) throw { tag: 'invalid-syntax' } satisfies HeaderError;
  }
}

const encoder = new TextEncoder();

/** A header value: bytes, or the text the host received (encoded when the guest reads it). */
type Value = Uint8Array | string;

const bytesOf = (value: Value): Uint8Array => (typeof value === 'string' ? encoder.encode(value) : value);

export class Fields {
  #entries: [string, Value][] = [];
  #immutable = false;

  /** Host-side constructor for headers received from the network (not validated against FORBIDDEN). */
  static fromHost(pairs: Iterable<[string, string]>, immutable: boolean): Fields {
    const fields = new Fields();
    // Kept as text: most guests read few request headers, if any.
    for (const [name, value] of pairs) fields.#entries.push([name.toLowerCase(), value]);
    fields.#immutable = immutable;
    return fields;
  }

  static fromList(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) {
      checkName(name);
      checkValue(value);
      fields.#entries.push([name.toLowerCase(), value]);
    }
    return fields;
  }

  #mutable(): void {
    if (this.#immutable) throw { tag: 'immutable' } satisfies HeaderError;
  }

  /** Freezes these fields (they were handed to a request or response that is on its way). */
  lock(): void {
    this.#immutable = true;
  }

  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    return this.#entries.filter(([n]) => n === key).map(([, v]) => bytesOf(v));
  }
  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.#entries.some(([n]) => n === key);
  }
  set(name: string, values: Uint8Array[]): void {
    this.#mutable();
    checkName(name);
    values.forEach(checkValue);
    const key = name.toLowerCase();
    this.#entries = this.#entries.filter(([n]) => n !== key);
    for (const value of values) this.#entries.push([key, value]);
  }
  delete(name: string): void {
    this.#mutable();
    checkName(name);
    const key = name.toLowerCase();
    this.#entries = this.#entries.filter(([n]) => n !== key);
  }
  append(name: string, value: Uint8Array): void {
    this.#mutable();
    checkName(name);
    checkValue(value);
    this.#entries.push([name.toLowerCase(), value]);
  }
  /** WASI 0.3: the values removed, or `immutable`. */
  getAndDelete(name: string): Uint8Array[] {
    const values = this.get(name);
    this.delete(name);
    return values;
  }
  entries(): [string, Uint8Array][] {
    return this.#entries.map(([n, v]) => [n, bytesOf(v)]);
  }
  /** WASI 0.3's name for `entries`. */
  copyAll(): [string, Uint8Array][] {
    return this.entries();
  }
  /** Whether the guest may still change these fields. */
  get immutable(): boolean {
    return this.#immutable;
  }
  clone(): Fields {
    const copy = new Fields();
    copy.#entries = this.#entries.map(([n, v]) => [n, v]);
    return copy;
  }

  /**
   * For node:http: `[name, value, name, value, ...]`, one character per byte
   * (node:http writes them as latin1), a repeated name once per value. A flat
   * list, not an object keyed by name: the names are fresh strings decoded
   * from guest memory on every response, and a keyed store with them
   * deoptimised this function a few hundred times a run, on every response path.
   */
  toNodeHeaderList(): string[] {
    const list: string[] = [];
    for (const [name, value] of this.#entries)
      list.push(
        name,
        typeof value === 'string'
          ? value
          : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'),
      );
    return list;
  }

  /** The same as `[name, value]` pairs (node:http's addTrailers, an outgoing request's headers). */
  toNodeHeaderPairs(): [string, string][] {
    const list = this.toNodeHeaderList();
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < list.length; i += 2) pairs.push([list[i] as string, list[i + 1] as string]);
    return pairs;
  }
}
