// Writes to a server stream honouring back-pressure: grpc-js buffers
// without limit if you ignore write()'s return value.
import type { ServerWritableStream } from '@grpc/grpc-js';

export function writeMessage<Req, Res>(call: ServerWritableStream<Req, Res>, message: Res): Promise<void> {
  if (call.cancelled || call.destroyed) return Promise.resolve();
  if (call.write(message)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

/** Resolves when the caller goes away; used to keep long-lived streams open. */
export function untilCancelled<Req, Res>(call: ServerWritableStream<Req, Res>): Promise<void> {
  if (call.cancelled || call.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    call.once('cancelled', () => resolve());
    call.once('close', () => resolve());
  });
}
