// A granted key-value store backed by Consul KV: the keys under the store's
// prefix (`consul_prefix`), read and written through Consul's HTTP API with
// the node's Consul settings and the store's token. The guest's calls are
// synchronous: each request goes through the same helper worker as outbound
// HTTP (src/wasi/sync-fetch.ts: a worker and an Atomics wait).
//
// The token is sent as a header to the configured address only; redirects
// are never followed, so a key can never be turned into a request outside
// the prefix (keys with empty, `.` or `..` path segments are refused: Go's
// HTTP router would clean them into another path).
import { fetchSync, type SyncFetchResult } from '../wasi/sync-fetch.js';
import { KeyValueError, type KeyValueBucket, type VersionedValue } from './key-value-store.js';

/** Where Consul is, as the plugin's `consul { ... }` block says (no token here). */
export interface ConsulKvEndpoint {
  /** Base URL without a trailing slash: `http://127.0.0.1:8500`. */
  readonly url: string;
  readonly caCertPem?: string;
  /** Consul Enterprise namespace and admin partition. */
  readonly namespace?: string;
  readonly partition?: string;
}

export interface ConsulKvOptions {
  readonly label: string;
  /** Consul key prefix of the store, without leading or trailing `/`. */
  readonly prefix: string;
  readonly endpoint: ConsulKvEndpoint;
  /** The token for each request (read every time: a Vault-issued token rotates); undefined: none. */
  readonly token: () => string | undefined;
  /** Told of every failure, for the task's log (never with the token). */
  readonly onFailure?: (message: string) => void;
}

const TIMEOUT_MS = 10_000;
/** Consul refuses values over 512 KiB by default; keys listings can be larger. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_KEY_BYTES = 1024;

interface ConsulKvEntry {
  readonly Value: string | null;
  readonly ModifyIndex: number;
}

export class ConsulKvBucket implements KeyValueBucket {
  readonly label: string;
  private readonly base: string;

  constructor(private readonly options: ConsulKvOptions) {
    this.label = options.label;
    this.base = `${options.endpoint.url}/v1/kv/${encodePath(options.prefix)}/`;
  }

  get(key: string): Uint8Array | undefined {
    return this.getVersioned(key).value;
  }

  getVersioned(key: string): VersionedValue {
    const result = this.request('GET', key);
    if (result.status === 404) return { value: undefined, version: 0n };
    const [entry] = this.json<ConsulKvEntry[]>(result, key);
    if (!entry) return { value: undefined, version: 0n };
    return {
      value: entry.Value === null ? new Uint8Array() : Buffer.from(entry.Value, 'base64'),
      version: BigInt(entry.ModifyIndex),
    };
  }

  set(key: string, value: Uint8Array): void {
    this.write(key, value);
  }

  setIfVersion(key: string, value: Uint8Array, version: bigint): boolean {
    return this.write(key, value, `cas=${version}`);
  }

  delete(key: string): void {
    this.json<boolean>(this.request('DELETE', key), key);
  }

  exists(key: string): boolean {
    return this.getVersioned(key).version !== 0n;
  }

  keys(): string[] {
    const result = this.request('GET', '', 'keys');
    if (result.status === 404) return [];
    const prefix = `${this.options.prefix}/`;
    return this.json<string[]>(result, '')
      .filter((name) => name.startsWith(prefix) && name.length > prefix.length)
      .map((name) => name.slice(prefix.length));
  }

  private write(key: string, value: Uint8Array, query?: string): boolean {
    return this.json<boolean>(this.request('PUT', key, query, value), key);
  }

  private request(
    method: string,
    key: string,
    query?: string,
    body: Uint8Array = new Uint8Array(),
  ): SyncFetchResult & { ok: true } {
    if (key !== '' || method !== 'GET') checkKey(key);
    const { namespace, partition } = this.options.endpoint;
    const params = [
      ...(query ? [query] : []),
      ...(namespace ? [`ns=${encodeURIComponent(namespace)}`] : []),
      ...(partition ? [`partition=${encodeURIComponent(partition)}`] : []),
    ];
    const url = new URL(`${this.base}${encodePath(key)}${params.length > 0 ? `?${params.join('&')}` : ''}`);
    let token: string | undefined;
    try {
      token = this.options.token();
    } catch (err) {
      throw this.failure(
        `the Consul token of key-value store "${this.label}" is unavailable: ${(err as Error).message}`,
      );
    }
    const result = fetchSync({
      url: url.href,
      method,
      headers: token ? [['x-consul-token', token]] : [],
      body,
      timeoutMs: TIMEOUT_MS,
      maxBytes: MAX_RESPONSE_BYTES,
      connect: {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        ...(this.options.endpoint.caCertPem ? { caCertPem: this.options.endpoint.caCertPem } : {}),
      },
    });
    if (!result.ok)
      throw this.failure(`Consul at ${this.options.endpoint.url} did not answer (${result.code}): ${result.message}`);
    if (result.status === 404 && method === 'GET') return result;
    if (result.status === 403)
      throw this.failure(
        `Consul at ${this.options.endpoint.url} refused the store's token (403: ${text(result.body)}); it needs key_prefix "${this.options.prefix}/" { policy = "${method === 'GET' ? 'read' : 'write'}" }`,
      );
    if (result.status < 200 || result.status >= 300)
      throw this.failure(`Consul at ${this.options.endpoint.url} answered ${result.status}: ${text(result.body)}`);
    return result;
  }

  private json<T>(result: SyncFetchResult & { ok: true }, key: string): T {
    try {
      return JSON.parse(text(result.body)) as T;
    } catch {
      throw this.failure(`Consul's answer for key "${key}" is not JSON: ${text(result.body).slice(0, 200)}`);
    }
  }

  private failure(message: string): KeyValueError {
    const full = `key-value store "${this.label}": ${message}`;
    this.options.onFailure?.(full);
    return new KeyValueError('other', full);
  }
}

/** Keys become Consul paths below the prefix: refused where Consul's router would rewrite them. */
export function checkKey(key: string): void {
  const problem =
    key === ''
      ? 'it is empty'
      : Buffer.byteLength(key) > MAX_KEY_BYTES
        ? `it is longer than ${MAX_KEY_BYTES} bytes`
        : key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
          ? 'a key may not start or end with "/", or hold "//", "." or ".." segments'
          : undefined;
  if (problem) throw new KeyValueError('other', `key ${JSON.stringify(key)} is not allowed: ${problem}`);
}

/** Checks a `consul_prefix` the same way, for the task config. */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return 'it is empty';
  if (prefix.split('/').some((segment) => segment === '' || segment === '.' || segment === '..'))
    return 'it may not start or end with "/", or hold "//", "." or ".." segments';
  return undefined;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function text(body: Uint8Array): string {
  return Buffer.from(body).toString('utf8').trim();
}
