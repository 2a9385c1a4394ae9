// A granted key-value store backed by Consul KV: the keys under the store's
// prefix (`consul_prefix`), read and written through Consul's HTTP API with
// the node's Consul settings and the store's token. The guest's calls are
// synchronous in the 0.2 interfaces: each request goes through the same
// helper worker as outbound HTTP (src/wasi/sync-fetch.ts: a worker and an
// Atomics wait). The async 0.3 interfaces (spin:key-value@3.0.0) use
// `async`: the same request, sent from this thread without blocking it, so
// other requests of the instance run on while Consul answers.
//
// The token is sent as a header to the configured address only; redirects
// are never followed, so a key can never be turned into a request outside
// the prefix (keys with empty, `.` or `..` path segments are refused: Go's
// HTTP router would clean them into another path).
import type { FetchRequest } from '../wasi/direct-fetch.js';
import { performPinned } from '../wasi/pinned-fetch.js';
import { fetchSync, type SyncFetchResult } from '../wasi/sync-fetch.js';
import {
  KeyValueError,
  type AsyncKeyValueBucket,
  type KeyValueBucket,
  type VersionedValue,
} from './key-value-store.js';

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

type Answer = SyncFetchResult & { ok: true };

export class ConsulKvBucket implements KeyValueBucket {
  readonly label: string;
  readonly async: AsyncKeyValueBucket;
  private readonly base: string;

  constructor(private readonly options: ConsulKvOptions) {
    this.label = options.label;
    this.base = `${options.endpoint.url}/v1/kv/${encodePath(options.prefix)}/`;
    this.async = {
      get: async (key) => this.versionedOf(await this.sendAsync('GET', key), key).value,
      set: async (key, value) => {
        this.json<boolean>(await this.sendAsync('PUT', key, undefined, value), key);
      },
      delete: async (key) => {
        this.json<boolean>(await this.sendAsync('DELETE', key), key);
      },
      exists: async (key) => this.versionedOf(await this.sendAsync('GET', key), key).version !== 0n,
      keys: async () => this.keysOf(await this.sendAsync('GET', '', 'keys')),
    };
  }

  get(key: string): Uint8Array | undefined {
    return this.getVersioned(key).value;
  }

  getVersioned(key: string): VersionedValue {
    return this.versionedOf(this.send('GET', key), key);
  }

  set(key: string, value: Uint8Array): void {
    this.write(key, value);
  }

  setIfVersion(key: string, value: Uint8Array, version: bigint): boolean {
    return this.write(key, value, `cas=${version}`);
  }

  delete(key: string): void {
    this.json<boolean>(this.send('DELETE', key), key);
  }

  exists(key: string): boolean {
    return this.getVersioned(key).version !== 0n;
  }

  keys(): string[] {
    return this.keysOf(this.send('GET', '', 'keys'));
  }

  private write(key: string, value: Uint8Array, query?: string): boolean {
    return this.json<boolean>(this.send('PUT', key, query, value), key);
  }

  private versionedOf(result: Answer, key: string): VersionedValue {
    if (result.status === 404) return { value: undefined, version: 0n };
    const [entry] = this.json<ConsulKvEntry[]>(result, key);
    if (!entry) return { value: undefined, version: 0n };
    return {
      value: entry.Value === null ? new Uint8Array() : Buffer.from(entry.Value, 'base64'),
      version: BigInt(entry.ModifyIndex),
    };
  }

  private keysOf(result: Answer): string[] {
    if (result.status === 404) return [];
    const prefix = `${this.options.prefix}/`;
    return this.json<string[]>(result, '')
      .filter((name) => name.startsWith(prefix) && name.length > prefix.length)
      .map((name) => name.slice(prefix.length));
  }

  /** One request through the helper worker, blocking this thread (the 0.2 interfaces' synchronous calls). */
  private send(method: string, key: string, query?: string, body?: Uint8Array): Answer {
    return this.settle(fetchSync(this.prepare(method, key, query, body)), method);
  }

  /** The same request from this thread, without blocking it (the async 0.3 interfaces). */
  private async sendAsync(method: string, key: string, query?: string, body?: Uint8Array): Promise<Answer> {
    return this.settle(await performPinned(this.prepare(method, key, query, body)), method);
  }

  private prepare(method: string, key: string, query?: string, body: Uint8Array = new Uint8Array()): FetchRequest {
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
    return {
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
    };
  }

  /** Consul's answer, or the failure it means. */
  private settle(result: SyncFetchResult, method: string): Answer {
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

  private json<T>(result: Answer, key: string): T {
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
