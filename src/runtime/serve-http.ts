// Serves a wasi:http/incoming-handler component on a TCP address, one
// shared instance for all requests.
//
// This uses preview2-shim's HTTPServer, which runs the socket in the shim's
// I/O worker and calls the handler on this thread: correct, but about 20x
// slower than plain node:http (see js-wasm-stack-notes). A guest that fails
// to respond makes the shim end this process, which Nomad sees as the task
// failing: this task only, since each task has its own process.
import * as shimHttp from '@bytecodealliance/preview2-shim/http';
import { DriverError } from '../errors.js';
import type { PreparedComponent } from './component-cache.js';
import type { Grants } from './grants.js';
import { instantiateComponent } from './instantiate.js';
import { sandboxedImports } from './wasi-imports.js';

export interface HttpService {
  readonly port: number;
  close(): Promise<void>;
  /** Swaps in a fresh instance (SIGHUP); in-flight requests finish on the old one. */
  reload(): Promise<void>;
}

interface IncomingHandler {
  handle(request: unknown, responseOut: unknown): void;
}

// The package's type map points TypeScript at the browser build, which has
// no HTTPServer; the Node build (what runs) does.
interface StockHttpServer {
  listen(port: number, host: string): void;
  stop(): void;
}
const { HTTPServer } = shimHttp as unknown as { HTTPServer: new (handler: IncomingHandler) => StockHttpServer };

export async function serveHttp(component: PreparedComponent, grants: Grants, listen: { host: string; port: number }): Promise<HttpService> {
  let handler = await instantiateHandler(component, grants);
  // One stable handler object for the server; it forwards to the current instance.
  const server = new HTTPServer({ handle: (request: unknown, out: unknown) => handler.handle(request, out) });
  try {
    server.listen(listen.port, listen.host);
  } catch (err) {
    throw new DriverError('HTTP_LISTEN_FAILED', `cannot listen on ${listen.host}:${listen.port}: ${(err as Error).message}`, { cause: err });
  }
  return {
    port: listen.port,
    close: async () => server.stop(),
    reload: async () => {
      handler = await instantiateHandler(component, grants);
    },
  };
}

async function instantiateHandler(component: PreparedComponent, grants: Grants): Promise<IncomingHandler> {
  const instance = await instantiateComponent(component, sandboxedImports(grants));
  const handler = (instance['incomingHandler'] ?? instance['wasi:http/incoming-handler@0.2.12']) as IncomingHandler | undefined;
  if (!handler) throw new DriverError('COMPONENT_WORLD_UNSUPPORTED', 'component has no wasi:http/incoming-handler export');
  return handler;
}
