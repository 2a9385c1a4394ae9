// Progress messages for `nomad alloc status` ("Compiling component", ...),
// fanned out to every open TaskEvents stream.
//
// An event that reports a failure or a warning carries its catalogue code as
// the `code` annotation (errors.ts codedEvent); the bus makes sure the text
// a user reads starts with `[CODE]` too, whichever process raised it, and
// puts it in the plugin log at warn level.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ERROR_CATALOGUE, codedText, type ErrorCode } from '../errors.js';

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

  constructor(private readonly log?: Logger) {
    // One listener per open TaskEvents stream; Nomad briefly holds two.
    this.emitter.setMaxListeners(0);
  }

  publish(event: Omit<TaskEvent, 'at'>): void {
    const code = event.annotations['code'];
    let message = event.message;
    if (code !== undefined && code in ERROR_CATALOGUE) {
      if (!message.startsWith(`[${code}] `)) message = codedText(code as ErrorCode, message);
      this.log?.warn({ task_id: event.taskId, alloc_id: event.allocId, code }, message);
    }
    this.emitter.emit('event', { ...event, message, at: new Date() } satisfies TaskEvent);
  }

  subscribe(listener: (event: TaskEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
