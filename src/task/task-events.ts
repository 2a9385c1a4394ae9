// Progress messages for `nomad alloc status` ("Compiling component", ...),
// fanned out to every open TaskEvents stream.
import { EventEmitter } from 'node:events';

export interface TaskEvent {
  readonly taskId: string;
  readonly allocId: string;
  readonly taskName: string;
  readonly message: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly at: Date;
}

export class TaskEventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open TaskEvents stream; Nomad briefly holds two.
    this.emitter.setMaxListeners(0);
  }

  publish(event: Omit<TaskEvent, 'at'>): void {
    this.emitter.emit('event', { ...event, at: new Date() } satisfies TaskEvent);
  }

  subscribe(listener: (event: TaskEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
