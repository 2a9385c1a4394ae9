// Writes guest output to a file descriptor (the task's stdout/stderr FIFO).
//
// Synchronous, and waiting while the FIFO is full: a guest that floods its
// stdout is slowed to the pace at which Nomad's logmon drains it, instead of
// buffering without bound in this process.
import { writeSync } from 'node:fs';
import { sleepSync } from './io.js';

export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      sleepSync(1);
    }
  }
}
