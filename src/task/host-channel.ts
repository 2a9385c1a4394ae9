// The plugin's end of a task's control channel (the task host's end is
// src/task-host/control-server.ts). Opened when a task is ready and again
// when a restarted plugin recovers it; while the task runs, a dropped
// connection is re-opened with backoff. Nothing here is secret, and
// payloads are never logged.
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseMessage, type HostMessage, type PluginMessage } from '../ipc/control-protocol.js';

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 2_000;

export interface HostChannelOptions {
  /** Socket to connect to (controlSocketPath(pid) for a real task host). */
  readonly path: string;
  /** False once the task has ended: stop reconnecting. */
  readonly isAlive: () => Promise<boolean>;
  readonly onMessage: (message: HostMessage) => void;
  /** After each successful (re)connection, e.g. to repeat what the task host must know. */
  readonly onConnect?: (channel: HostChannel) => void;
  /** Connection problems worth a debug line (never payloads). */
  readonly onProblem?: (what: string) => void;
}

export class HostChannel {
  private socket: Socket | undefined;
  private closed = false;
  /** Settles once the channel has stopped trying for good: closed, or the task ended. */
  readonly finished: Promise<void>;

  private constructor(private readonly options: HostChannelOptions) {
    this.finished = this.run();
  }

  /** Starts connecting in the background; never throws. */
  static open(options: HostChannelOptions): HostChannel {
    return new HostChannel(options);
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  /** Dropped when not connected: the task host asks again (onConnect) on reconnection. */
  send(message: PluginMessage): boolean {
    if (!this.connected || !this.socket) return false;
    return this.socket.write(`${JSON.stringify(message)}\n`);
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private async run(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (!this.closed && (await this.options.isAlive())) {
      const socket = await this.connectOnce();
      if (socket) {
        delay = FIRST_RETRY_MS;
        await this.serve(socket);
      } else {
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }

  private connectOnce(): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const socket = connect(this.options.path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        // ENOENT/ECONNREFUSED until the task host listens; anything else is worth a line.
        if (err.code !== 'ENOENT' && err.code !== 'ECONNREFUSED')
          this.options.onProblem?.(`connect: ${err.code ?? err.message}`);
        resolve(undefined);
      });
    });
  }

  /** Until the connection ends. */
  private serve(socket: Socket): Promise<void> {
    this.socket = socket;
    return new Promise((resolve) => {
      socket.on('error', (err: NodeJS.ErrnoException) =>
        this.options.onProblem?.(`connection: ${err.code ?? err.message}`),
      );
      socket.once('close', () => {
        if (this.socket === socket) this.socket = undefined;
        resolve();
      });
      createInterface({ input: socket })
        .on('line', (line) => {
          const message = parseMessage<HostMessage>(line);
          if (message) this.options.onMessage(message);
          else this.options.onProblem?.('unparsable line from task host');
        })
        // readline re-emits the socket's errors (ECONNRESET when a task host
        // exits); the socket's handler above reports them. Unhandled, this one
        // would end the plugin.
        .on('error', () => undefined);
      if (this.closed) socket.destroy();
      else this.options.onConnect?.(this);
    });
  }
}
