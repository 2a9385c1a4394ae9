// What the WASI 0.2 and 0.3 HTTP servers (serve-http.ts, serve-http-p3.ts)
// share on the node:http side: listening with a coded error, and a plain
// error answer that never pretends a half-sent response is complete.
import type { Server, ServerResponse } from 'node:http';
import { DriverError } from '../errors.js';

const encoder = new TextEncoder();

/** Listens on the task's port; a port Nomad gave us that is taken is HTTP_LISTEN_FAILED. */
export function listenOn(server: Server, listen: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new DriverError('HTTP_LISTEN_FAILED', `cannot listen on ${listen.host}:${listen.port}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
}

/** A plain-text error answer, or a cut connection once the headers are out. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(encoder.encode(`${message}\n`));
}
