// A fault-injecting HTTP proxy in front of a real registry, for failures a
// healthy registry does not produce on demand: a 503 before recovering, a
// blob with one byte flipped in transit. Everything else is forwarded as is
// (Host header included, so the registry's upload Locations point back here).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { Transform } from 'node:stream';

export type Fault =
  | { kind: 'status'; status: number; body?: string | Buffer; headers?: Record<string, string> }
  /** Forward, but flip the first byte of the response body. */
  | { kind: 'flip-byte' }
  /** Forward, but drop Content-Length so the body arrives chunked, size unannounced. */
  | { kind: 'chunked' }
  /** Close the connection without answering. */
  | { kind: 'reset' };

export interface FaultProxy {
  readonly host: string;
  /** Every request seen, in order: "METHOD /path". */
  readonly seen: string[];
  /** Decides per request; undefined forwards untouched. */
  fault: (req: IncomingMessage) => Fault | undefined;
  stop(): Promise<void>;
}

function flipFirstByte(): Transform {
  let flipped = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!flipped && chunk.length > 0) {
        const copy = Buffer.from(chunk);
        copy[0] = (copy[0] ?? 0) ^ 0xff;
        flipped = true;
        callback(null, copy);
        return;
      }
      callback(null, chunk);
    },
  });
}

export async function startFaultProxy(upstreamHost: string): Promise<FaultProxy> {
  const [upstreamName, upstreamPort] = upstreamHost.split(':');
  const proxy: FaultProxy = {
    host: '',
    seen: [],
    fault: () => undefined,
    stop: async () => {},
  };
  const server: Server = createServer((req, res) => {
    proxy.seen.push(`${req.method} ${req.url}`);
    const fault = proxy.fault(req);
    if (fault?.kind === 'status') {
      req.resume();
      res
        .writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers })
        .end(fault.body ?? 'injected fault');
      return;
    }
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const upstream = request(
      { host: upstreamName, port: Number(upstreamPort), method: req.method, path: req.url, headers: req.headers },
      (upstreamRes) => {
        const headers = { ...upstreamRes.headers };
        if (fault?.kind === 'chunked') delete headers['content-length'];
        res.writeHead(upstreamRes.statusCode ?? 502, headers);
        if (fault?.kind === 'flip-byte') upstreamRes.pipe(flipFirstByte()).pipe(res);
        else upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return Object.assign(proxy, {
    host: `127.0.0.1:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
