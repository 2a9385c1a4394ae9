// Nomad's own service catalog (`provider = "nomad"`): the registrations of
// one service in one namespace from `/v1/service/<name>`, as a blocking
// query. Nomad 1.6 keeps no health in this catalog: a registration exists
// while its task runs (checks only drive check_restart and deployments), so
// every registration counts as an instance, and a dead one is skipped by the
// task host's retry on connection failure.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { CatalogEndpoint } from '../config/services-config.js';
import { DriverError, describeError } from '../errors.js';
import { parseIndex, type CatalogAnswer, type CatalogQuery, type ServiceCatalog } from './catalog.js';
import type { ServiceInstance } from './service-instance.js';

const MAX_BODY = 8 * 1024 * 1024;

export class NomadCatalog implements ServiceCatalog {
  readonly provider = 'nomad' as const;
  readonly address: string;
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(private readonly endpoint: CatalogEndpoint) {
    this.address = endpoint.url;
    this.agent = endpoint.url.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true, ...(endpoint.caCertPem ? { ca: endpoint.caCertPem } : {}) })
      : new HttpAgent({ keepAlive: true });
  }

  async lookup(query: CatalogQuery): Promise<CatalogAnswer> {
    const url = new URL(`/v1/service/${encodeURIComponent(query.name)}`, this.endpoint.url);
    url.searchParams.set('namespace', query.namespace);
    const blocking = query.index > 0n;
    if (blocking) {
      url.searchParams.set('index', query.index.toString());
      url.searchParams.set('wait', `${query.waitSeconds}s`);
    }
    let response: { status: number; headers: IncomingMessage['headers']; body: string };
    try {
      response = await this.get(url, query.signal, (blocking ? query.waitSeconds * 1000 * (17 / 16) : 0) + 10_000);
    } catch (err) {
      // Aborted by the watch that asked (it is closing): not a failure of Nomad.
      if (query.signal.aborted) throw query.signal.reason;
      throw new DriverError(
        'SERVICE_LOOKUP_FAILED',
        `Nomad at ${this.address} could not list service "${query.name}": ${describeError(err)}`,
        { cause: err },
      );
    }
    if (response.status === 403 || response.status === 401) {
      throw new DriverError(
        'SERVICE_LOOKUP_DENIED',
        `Nomad at ${this.address} refused to list service "${query.name}" in namespace "${query.namespace}" (HTTP ${response.status}: ${response.body.trim().slice(0, 200)}): the plugin's nomad token needs namespace "${query.namespace}" { capabilities = ["read-job"] }`,
      );
    }
    if (response.status !== 200) {
      throw new DriverError(
        'SERVICE_LOOKUP_FAILED',
        `Nomad at ${this.address} could not list service "${query.name}": HTTP ${response.status}: ${response.body.trim().slice(0, 200)}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch (err) {
      throw new DriverError(
        'SERVICE_LOOKUP_FAILED',
        `Nomad at ${this.address} answered for service "${query.name}" with malformed JSON`,
        { cause: err },
      );
    }
    if (!Array.isArray(body))
      throw new DriverError(
        'SERVICE_LOOKUP_FAILED',
        `Nomad at ${this.address} answered for service "${query.name}" with something other than a list`,
      );
    return {
      instances: body.map(instanceOf).filter((instance): instance is ServiceInstance => instance !== undefined),
      index: parseIndex(response.headers['x-nomad-index']),
    };
  }

  close(): void {
    this.agent.destroy();
  }

  private get(
    url: URL,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        agent: this.agent,
        signal,
        timeout: timeoutMs,
        // A header, never the URL: the token must not show up in any log of a URL.
        headers: this.endpoint.token ? { 'x-nomad-token': this.endpoint.token } : {},
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) res.destroy(new Error(`answer larger than ${MAX_BODY} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      req.end();
    });
  }
}

function instanceOf(entry: unknown): ServiceInstance | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { Address: address, Port: port } = entry as { Address?: unknown; Port?: unknown };
  if (typeof address !== 'string' || address === '' || typeof port !== 'number' || port <= 0) return undefined;
  return { address, port };
}
