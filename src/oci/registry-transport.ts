// Requests to one registry with everything the distribution API needs around
// them: http vs https, authentication (basic, or bearer tokens cached per
// scope), redirects to blob storage, per-request timeouts, and retries with
// backoff on connection errors, 5xx and 429.
import type { IncomingMessage } from 'node:http';
import { DriverError, isDriverError } from '../errors.js';
import { parseAuthChallenge } from './auth-challenge.js';
import { Backoff, parseRetryAfter } from './backoff.js';
import { basicAuthorization, describeCredentials, type RegistryCredentials } from './credentials.js';
import { httpRequest, type HttpAgents } from './http-request.js';
import { errorFromResponse } from './registry-error.js';
import { fetchBearerToken, type BearerToken } from './token-service.js';

export interface TransportOptions {
  readonly credentials: RegistryCredentials;
  readonly insecureRegistries: readonly string[];
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBaseDelayMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
}

export interface RetryInfo {
  readonly registry: string;
  /** 1 for the first retry. */
  readonly retry: number;
  readonly reason: string;
}

export interface TransportRequest {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST';
  /** A path under the registry (`/v2/...`) or an absolute URL it handed out (an upload location). */
  readonly target: string;
  readonly repository: string;
  /** `pull` for reads, `pull,push` for writes. */
  readonly actions: 'pull' | 'pull,push';
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array;
  /** Names the request in error messages, e.g. `manifest oci://host/app:1`. */
  readonly what: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRY_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function hostOf(registry: string): string {
  return registry.replace(/:\d+$/, '');
}

export function registryScheme(registry: string, insecureRegistries: readonly string[]): 'http' | 'https' {
  return insecureRegistries.includes(registry) || LOOPBACK_HOSTS.has(hostOf(registry)) ? 'http' : 'https';
}

/** Connection-level failures worth another attempt (timeouts count; a user's abort does not). */
function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError') return true; // our per-request timeout
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && RETRY_NETWORK_CODES.has(code);
}

/** Whether a challenge's scope asks for nothing beyond ours (same resource, actions a subset). */
function coveredBy(challengeScope: string, ours: string): boolean {
  const split = (scope: string): [string, string[]] => {
    const last = scope.lastIndexOf(':');
    return [scope.slice(0, last), scope.slice(last + 1).split(',')];
  };
  const [resource, actions] = split(challengeScope);
  const [ourResource, ourActions] = split(ours);
  return resource === ourResource && actions.every((action) => ourActions.includes(action));
}

export class RegistryTransport {
  readonly baseUrl: URL;
  /** Per repository: the latest token and what it allows (a pull,push token serves pulls too). */
  private readonly tokens = new Map<string, { token: BearerToken; actions: TransportRequest['actions'] }>();
  /** Set once the registry asked for Basic auth, so later requests send it up front. */
  private basicRequired = false;

  constructor(
    readonly registry: string,
    private readonly options: TransportOptions,
    private readonly agents: HttpAgents,
  ) {
    this.baseUrl = new URL(`${registryScheme(registry, options.insecureRegistries)}://${registry}/`);
  }

  /**
   * Sends the request and returns the final response, whatever its status,
   * except: a refused login throws OCI_AUTH_FAILED, 5xx/429 still failing after
   * the retries throw OCI_REGISTRY_ERROR, and an unreachable registry throws
   * OCI_REGISTRY_UNREACHABLE. The caller must consume or destroy the body.
   */
  async send(request: TransportRequest): Promise<IncomingMessage> {
    const backoff = new Backoff({
      retries: this.options.retries,
      ...(this.options.retryBaseDelayMs === undefined ? {} : { baseMs: this.options.retryBaseDelayMs }),
      ...(this.options.signal === undefined ? {} : { signal: this.options.signal }),
    });
    for (;;) {
      let response: IncomingMessage;
      try {
        response = await this.sendAuthorized(request);
      } catch (err) {
        if (isDriverError(err)) throw err;
        if (this.options.signal?.aborted) throw this.options.signal.reason;
        const reason = err instanceof Error ? err.message : String(err);
        if (isTransient(err) && (await this.retry(backoff, reason))) continue;
        throw new DriverError(
          'OCI_REGISTRY_UNREACHABLE',
          `${request.what}: cannot reach registry ${this.baseUrl.origin} after ${backoff.attempts} attempt(s): ${reason}`,
          { cause: err },
        );
      }
      const status = response.statusCode ?? 0;
      if (status >= 500 || status === 429) {
        if (backoff.exhausted)
          throw await errorFromResponse(response, `${request.what} (after ${backoff.attempts} attempts)`);
        response.resume();
        await this.retry(backoff, `HTTP ${status}`, parseRetryAfter(response.headers['retry-after']));
        continue;
      }
      return response;
    }
  }

  private async retry(backoff: Backoff, reason: string, retryAfterMs?: number): Promise<boolean> {
    const retry = backoff.attempts;
    if (!(await backoff.next(retryAfterMs))) return false;
    this.options.onRetry?.({ registry: this.registry, retry, reason });
    return true;
  }

  /** One attempt, answering at most one auth challenge. */
  private async sendAuthorized(request: TransportRequest): Promise<IncomingMessage> {
    const scope = `repository:${request.repository}:${request.actions}`;
    const first = await this.exchange(request, this.authorization(request));
    const status = first.statusCode ?? 0;
    if (status !== 401) {
      if (status === 403) throw await this.authFailed(first, request, undefined);
      return first;
    }
    const challenge = parseAuthChallenge(first.headers['www-authenticate']);
    first.resume();
    const credentials = this.options.credentials;
    if (challenge?.scheme === 'bearer' && challenge.params.realm !== undefined) {
      const token = await fetchBearerToken(
        {
          realm: challenge.params.realm,
          service: challenge.params.service,
          // Our scope, not just the challenge's: a push's first request (HEAD)
          // is challenged for pull only, but the push needs pull,push.
          scopes: [
            ...new Set([
              scope,
              ...(challenge.params.scope === undefined || coveredBy(challenge.params.scope, scope)
                ? []
                : [challenge.params.scope]),
            ]),
          ],
          credentials,
          signal: this.requestSignal(),
          idleTimeoutMs: this.options.timeoutMs,
        },
        this.agents,
      );
      this.tokens.set(request.repository, { token, actions: request.actions });
      const second = await this.exchange(request, `Bearer ${token.value}`);
      const again = second.statusCode ?? 0;
      if (again === 401 || again === 403) throw await this.authFailed(second, request, challenge.params.realm);
      return second;
    }
    if (challenge?.scheme === 'basic' && credentials !== undefined && 'username' in credentials) {
      this.basicRequired = true;
      const second = await this.exchange(request, basicAuthorization(credentials));
      const again = second.statusCode ?? 0;
      if (again === 401 || again === 403) throw await this.authFailed(second, request, undefined);
      return second;
    }
    throw await this.authFailed(first, request, challenge?.params.realm);
  }

  private async authFailed(
    response: IncomingMessage,
    request: TransportRequest,
    realm: string | undefined,
  ): Promise<DriverError> {
    const cause = await errorFromResponse(response, request.what);
    const realmText = realm === undefined ? '' : ` (token realm ${realm})`;
    return new DriverError(
      'OCI_AUTH_FAILED',
      `${request.what}: registry ${this.registry} refused access ${describeCredentials(this.options.credentials)}${realmText}: HTTP ${response.statusCode ?? 0}`,
      { cause },
    );
  }

  private authorization(request: TransportRequest): string | undefined {
    const cached = this.tokens.get(request.repository);
    if (
      cached !== undefined &&
      cached.token.expiresAt > Date.now() &&
      (cached.actions === 'pull,push' || request.actions === 'pull')
    ) {
      return `Bearer ${cached.token.value}`;
    }
    const credentials = this.options.credentials;
    if (this.basicRequired && credentials !== undefined && 'username' in credentials)
      return basicAuthorization(credentials);
    return undefined;
  }

  private requestSignal(): AbortSignal {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    return this.options.signal === undefined ? timeout : AbortSignal.any([timeout, this.options.signal]);
  }

  /** Sends once, following redirects (credentials stay with the registry's own host). */
  private async exchange(request: TransportRequest, authorization: string | undefined): Promise<IncomingMessage> {
    let url = new URL(request.target, this.baseUrl);
    let method = request.method;
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = { 'user-agent': 'nomad-driver-wasm', ...request.headers };
      if (authorization !== undefined && url.host === this.baseUrl.host) headers.authorization = authorization;
      const response = await httpRequest(
        url,
        {
          method,
          headers,
          ...(request.body === undefined || method === 'GET' ? {} : { body: request.body }),
          signal: this.requestSignal(),
          idleTimeoutMs: this.options.timeoutMs,
        },
        this.agents,
      );
      const location = response.headers.location;
      if (!REDIRECTS.has(response.statusCode ?? 0) || location === undefined || redirects >= MAX_REDIRECTS)
        return response;
      if (method !== 'GET' && method !== 'HEAD') return response;
      response.resume();
      url = new URL(location, url);
      if (response.statusCode === 303) method = 'GET';
    }
  }
}
