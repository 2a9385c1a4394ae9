// The task host's end of the control channel: a unix socket the plugin
// connects to after the component is ready, and again after every plugin
// restart (src/task/host-channel.ts). Events published while no plugin is
// connected wait in a small buffer and go to the next one that connects.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseMessage, type HostMessage, type PluginMessage } from '../ipc/control-protocol.js';

/** Events kept for a plugin that is not there (restarting): the newest win. */
const BUFFERED_EVENTS = 64;

type Handler<T extends PluginMessage['type']> = (message: Extract<PluginMessage, { type: T }>) => void;

export interface ControlServer {
  /** A Nomad task event; buffered while no plugin listens. */
  publishEvent(message: string, annotations?: Readonly<Record<string, string>>): void;
  /** To every connected plugin; a message of type `event` is buffered while none is. */
  send(message: HostMessage): void;
  on<T extends PluginMessage['type']>(type: T, handler: Handler<T>): void;
  /** Called for each plugin that connects (e.g. to repeat what it must know). */
  onConnect(handler: () => void): void;
  close(): Promise<void>;
}

export async function startControlServer(path: string): Promise<ControlServer> {
  const connections = new Set<Socket>();
  const pending: HostMessage[] = [];
  const handlers = new Map<string, (message: PluginMessage) => void>();
  const connectHandlers: Array<() => void> = [];

  const write = (socket: Socket, message: HostMessage): void => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
  };

  const server: Server = createServer((socket) => {
    connections.add(socket);
    socket.on('error', () => socket.destroy()); // the plugin went away: it reconnects if it comes back
    socket.on('close', () => connections.delete(socket));
    for (const message of pending.splice(0)) write(socket, message);
    createInterface({ input: socket })
      .on('line', (line) => {
        const message = parseMessage<{ type: string }>(line);
        if (message) handlers.get(message.type)?.(message as PluginMessage);
      })
      .on('error', () => undefined); // re-emitted socket errors; handled above

    for (const handler of connectHandlers) handler();
  });
  rmSync(path, { force: true }); // a socket left by an earlier process in the same dir
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  // Only root (the plugin) may talk to the task host.
  chmodSync(path, 0o600);
  // The socket must not keep a finished command's task host alive.
  server.unref();

  const send = (message: HostMessage): void => {
    if (connections.size === 0) {
      if (message.type === 'event') {
        pending.push(message);
        if (pending.length > BUFFERED_EVENTS) pending.shift();
      }
      return;
    }
    for (const socket of connections) write(socket, message);
  };

  return {
    publishEvent: (message, annotations) => send({ type: 'event', message, ...(annotations ? { annotations } : {}) }),
    send,
    on: (type, handler) => handlers.set(type, handler as (message: PluginMessage) => void),
    onConnect: (handler) => connectHandlers.push(handler),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.end();
        server.close(() => resolve());
      }),
  };
}
