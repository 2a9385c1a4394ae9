// The Consul catalog through the `consul` npm package: healthy instances of
// one service from `/v1/health/service/<name>?passing`, as a blocking query.
import { EventEmitter } from 'node:events';
import { Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Consul from 'consul';
import type { ConsulEndpoint } from '../config/services-config.js';
import { DriverError, describeError } from '../errors.js';
import { parseIndex, type CatalogAnswer, type CatalogQuery, type ServiceCatalog } from './catalog.js';
import type { ServiceInstance } from './service-instance.js';

/** What the package's constructor reads (its typings list only some of it). */
interface ClientOptions {
  readonly baseUrl: string;
  readonly headers: Record<string, string>;
  readonly agent: HttpAgent | HttpsAgent;
}

/** papi's request context: `cancel` aborts, `includeResponse` returns [response, body]. */
interface RequestContext extends EventEmitter {
  includeResponse: boolean;
}

interface ServiceQuery {
  readonly service: string;
  readonly passing: true;
  readonly index?: string;
  readonly wait?: string;
  readonly partition?: string;
  readonly ctx: RequestContext;
  readonly timeout: number;
}

/** Errors papi raises: HTTP status errors carry the response, socket errors a code. */
interface PapiError extends Error {
  readonly statusCode?: number;
  readonly isTimeout?: boolean;
  readonly isAbort?: boolean;
  readonly code?: string;
  readonly response?: { readonly body?: unknown };
}

export class ConsulCatalog implements ServiceCatalog {
  readonly provider = 'consul' as const;
  readonly address: string;
  private readonly client: Consul;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly partition: string | undefined;

  constructor(endpoint: ConsulEndpoint) {
    this.address = endpoint.url;
    this.partition = endpoint.partition;
    this.agent = endpoint.url.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true, ...(endpoint.caCertPem ? { ca: endpoint.caCertPem } : {}) })
      : new HttpAgent({ keepAlive: true });
    const headers: Record<string, string> = {};
    // Sent on every request as a header, never in a URL that could be logged.
    if (endpoint.token) headers['x-consul-token'] = endpoint.token;
    if (endpoint.namespace) headers['x-consul-namespace'] = endpoint.namespace;
    const options: ClientOptions = { baseUrl: `${endpoint.url}/v1`, headers, agent: this.agent };
    this.client = new Consul(options);
  }

  async lookup(query: CatalogQuery): Promise<CatalogAnswer> {
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const abort = (): void => {
      ctx.emit('cancel');
    };
    query.signal.addEventListener('abort', abort, { once: true });
    // Consul adds up to wait/16 of jitter; the socket may take as long again.
    const blocking = query.index > 0n;
    const request: ServiceQuery = {
      service: query.name,
      passing: true,
      ...(blocking ? { index: query.index.toString(), wait: `${query.waitSeconds}s` } : {}),
      ...(this.partition ? { partition: this.partition } : {}),
      ctx,
      timeout: (blocking ? query.waitSeconds * 1000 * (17 / 16) : 0) + 10_000,
    };
    try {
      const answer: unknown = await this.client.health.service(request);
      return this.toAnswer(query.name, answer);
    } catch (err) {
      // Aborted by the watch that asked (it is closing): not a failure of Consul.
      if (query.signal.aborted) throw query.signal.reason;
      throw this.failure(query.name, err);
    } finally {
      query.signal.removeEventListener('abort', abort);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private toAnswer(name: string, answer: unknown): CatalogAnswer {
    if (!Array.isArray(answer) || answer.length !== 2) throw this.unexpected(name, 'no response object');
    const [response, body] = answer as [IncomingMessage, unknown];
    if (!Array.isArray(body)) throw this.unexpected(name, 'the body is not a list');
    const instances = body
      .map((entry: unknown) => instanceOf(entry))
      .filter((instance): instance is ServiceInstance => instance !== undefined);
    // Consul answers 200 with the instances the token may not see left out.
    if (instances.length === 0 && response.headers['x-consul-results-filtered-by-acls'] === 'true') {
      throw new DriverError(
        'SERVICE_LOOKUP_DENIED',
        `Consul at ${this.address} hid the instances of service "${name}" from the plugin's token: its policy needs service "${name}" { policy = "read" } and node_prefix "" { policy = "read" }`,
      );
    }
    return { instances, index: parseIndex(response.headers['x-consul-index']) };
  }

  private failure(name: string, err: unknown): DriverError {
    if (err instanceof DriverError) return err;
    const error = err as PapiError;
    if (error.statusCode === 403 || error.statusCode === 401) {
      return new DriverError(
        'SERVICE_LOOKUP_DENIED',
        `Consul at ${this.address} refused to list service "${name}" (HTTP ${error.statusCode}: ${bodyText(error)}): the plugin's consul token needs service "${name}" { policy = "read" } and node_prefix "" { policy = "read" }`,
        { cause: err },
      );
    }
    const what = error.statusCode !== undefined ? `HTTP ${error.statusCode}: ${bodyText(error)}` : describeError(err);
    return new DriverError(
      'SERVICE_LOOKUP_FAILED',
      `Consul at ${this.address} could not list service "${name}": ${what}`,
      { cause: err },
    );
  }

  private unexpected(name: string, what: string): DriverError {
    return new DriverError(
      'SERVICE_LOOKUP_FAILED',
      `Consul at ${this.address} gave an unexpected answer for service "${name}": ${what}`,
    );
  }
}

function bodyText(error: PapiError): string {
  const body = error.response?.body;
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : error.message;
  return text.trim().slice(0, 200);
}

/** One /v1/health/service entry: the service's address, or its node's when the service has none. */
function instanceOf(entry: unknown): ServiceInstance | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { Service: service, Node: node } = entry as {
    Service?: { Address?: unknown; Port?: unknown };
    Node?: { Address?: unknown };
  };
  const port = service?.Port;
  const address = typeof service?.Address === 'string' && service.Address !== '' ? service.Address : node?.Address;
  if (typeof address !== 'string' || address === '' || typeof port !== 'number' || port <= 0) return undefined;
  return { address, port };
}
