// The pool host's end of its control socket: plugins connect (again after
// every restart), send start and signal requests, and hear every task's
// progress, events and exit. Replies go to every connected plugin; while
// none is connected they are dropped, because each task's exit is also in
// its exit status file, and a plugin that connects is told the tasks
// still running.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseMessage } from '../ipc/control-protocol.js';
import type { PooledLaunchSpec, PoolReply, PoolRequest } from '../ipc/pool-protocol.js';

export interface PoolHandlers {
  running(): readonly string[];
  start(spec: PooledLaunchSpec): void;
  signal(taskId: string, signal: string): void;
  /** The task's linear memory now and at its peak; zeros for a task not (or no longer) here. */
  memory(taskId: string): { bytes: number; peakBytes: number };
  /** The last plugin went away. */
  onIdle(): void;
}

export interface PoolServer {
  send(reply: PoolReply): void;
  readonly connections: number;
}

export async function startPoolServer(path: string, handlers: PoolHandlers): Promise<PoolServer> {
  const sockets = new Set<Socket>();
  const write = (socket: Socket, reply: PoolReply): void => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy()); // the plugin went away: it reconnects if it comes back
    socket.on('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) handlers.onIdle();
    });
    write(socket, { type: 'tasks', running: handlers.running() });
    createInterface({ input: socket })
      .on('line', (line) => {
        const request = parseMessage<PoolRequest>(line);
        if (!request) return;
        if (request.type === 'start') handlers.start(request.spec);
        else if (request.type === 'signal') handlers.signal(request.taskId, request.signal);
        else if (request.type === 'ping') write(socket, { type: 'pong', id: request.id });
        else if (request.type === 'stats') {
          const memory = handlers.memory(request.taskId);
          write(socket, {
            type: 'stats',
            id: request.id,
            linearMemoryBytes: memory.bytes,
            peakLinearMemoryBytes: memory.peakBytes,
          });
        }
      })
      .on('error', () => undefined); // re-emitted socket errors; handled above
  });
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  // Only root (the plugin) may talk to the pool: launch specs travel here.
  chmodSync(path, 0o600);
  // The listening socket keeps the pool alive; it exits on purpose when unused (main.ts).
  return {
    send: (reply) => {
      for (const socket of sockets) write(socket, reply);
    },
    get connections() {
      return sockets.size;
    },
  };
}
