// A small reader of Nomad's HTTP API (GET, JSON), for what the driver and its
// CLI ask Nomad directly: a job's versions and an allocation's job version
// (the policy input's drift), and the running allocations `nomad-wasm
// evidence` reports on. The token travels in a header, never in a URL.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DriverError, describeError } from '../errors.js';

export interface NomadApiEndpoint {
  /** `http://127.0.0.1:4646` */
  readonly url: string;
  readonly token: string | undefined;
  readonly caCertPem: string | undefined;
}

const MAX_BODY = 32 * 1024 * 1024;

export class NomadApi {
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(
    readonly endpoint: NomadApiEndpoint,
    private readonly timeoutMs = 10_000,
  ) {
    this.agent = endpoint.url.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true, ...(endpoint.caCertPem ? { ca: endpoint.caCertPem } : {}) })
      : new HttpAgent({ keepAlive: true });
  }

  /** GET <path> with query parameters; 404 resolves undefined, anything else but 200 is NOMAD_API_FAILED. */
  async get(path: string, query: Readonly<Record<string, string>> = {}): Promise<unknown> {
    const url = new URL(path, this.endpoint.url);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const what = `Nomad at ${this.endpoint.url}: GET ${url.pathname}${url.search}`;
    let response: { status: number; body: string };
    try {
      response = await this.send(url);
    } catch (err) {
      throw new DriverError('NOMAD_API_FAILED', `${what}: ${describeError(err)}`, { cause: err });
    }
    if (response.status === 404) return undefined;
    if (response.status === 401 || response.status === 403)
      throw new DriverError(
        'NOMAD_API_FAILED',
        `${what}: refused (HTTP ${response.status}: ${response.body.trim().slice(0, 200)}); the token needs read-job in the namespace`,
      );
    if (response.status !== 200)
      throw new DriverError(
        'NOMAD_API_FAILED',
        `${what}: HTTP ${response.status}: ${response.body.trim().slice(0, 200)}`,
      );
    try {
      return JSON.parse(response.body) as unknown;
    } catch (err) {
      throw new DriverError('NOMAD_API_FAILED', `${what}: the answer is not JSON`, { cause: err });
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private send(url: URL): Promise<{ status: number; body: string }> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        agent: this.agent,
        timeout: this.timeoutMs,
        headers: this.endpoint.token ? { 'x-nomad-token': this.endpoint.token } : {},
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
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
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end();
    });
  }
}
