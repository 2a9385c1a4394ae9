// Opens the stdout/stderr FIFOs Nomad's logmon reads from.
//
// Opening a FIFO for writing blocks until a reader exists, and a blocked
// fs.open would pin one of libuv's four pool threads, so we open with
// O_NONBLOCK and retry while the answer is ENXIO (no reader yet).
// We must keep that first descriptor: closing a writer makes logmon see EOF
// and stop copying. The task host makes its stdio blocking again when Node
// sets up process.stdout (Node writes stdio pipes synchronously on Linux).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DriverError } from '../errors.js';

export async function openLogSink(path: string, timeoutMs = 30_000): Promise<FileHandle> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 500)) {
    try {
      return await open(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_APPEND | constants.O_CREAT);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENXIO' || Date.now() > deadline) {
        throw new DriverError('LOG_FIFO_OPEN_FAILED', `cannot open task log ${path}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await sleep(delay);
    }
  }
}
