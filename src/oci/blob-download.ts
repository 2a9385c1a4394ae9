// Streams a blob response to disk and proves it is the blob that was asked
// for: hashed and counted while it flows (pipeline back-pressure keeps memory
// flat), written to a temp file beside the destination, renamed into place
// only when the digest matches. Any failure removes the temp file.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DriverError } from '../errors.js';

export interface DownloadProgress {
  readonly receivedBytes: number;
  /** Content-Length, or the expected size; 0 when neither is known. */
  readonly totalBytes: number;
}

export interface StreamToFileOptions {
  readonly digest: string;
  readonly maxBytes: number;
  readonly totalBytes: number;
  readonly what: string;
  readonly onProgress: ((p: DownloadProgress) => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

class VerifyingCounter extends Transform {
  readonly hash = createHash('sha256');
  received = 0;

  constructor(private readonly options: StreamToFileOptions) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.options.maxBytes) {
      callback(
        new DriverError(
          'OCI_ARTIFACT_TOO_LARGE',
          `${this.options.what}: more than the allowed ${this.options.maxBytes} bytes arrived`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    this.options.onProgress?.({ receivedBytes: this.received, totalBytes: this.options.totalBytes });
    callback(null, chunk);
  }
}

/** Temp files are `.<name>.<random>.partial` in the destination's directory, so the rename is atomic. */
export function tempPathFor(destPath: string): string {
  return join(dirname(destPath), `.${basename(destPath)}.${randomBytes(6).toString('hex')}.partial`);
}

export async function streamBlobToFile(
  response: IncomingMessage,
  destPath: string,
  options: StreamToFileOptions,
): Promise<void> {
  const temp = tempPathFor(destPath);
  const counter = new VerifyingCounter(options);
  const writer = createWriteStream(temp, { flags: 'wx' });
  let diskError = false;
  writer.once('error', () => {
    diskError = true;
  });
  try {
    await pipeline(response, counter, writer, ...(options.signal === undefined ? [] : [{ signal: options.signal }]));
    const actual = `sha256:${counter.hash.digest('hex')}`;
    if (actual !== options.digest) {
      throw new DriverError(
        'OCI_DIGEST_MISMATCH',
        `${options.what}: content hashes to ${actual}, expected ${options.digest} (${counter.received} bytes)`,
      );
    }
    await rename(temp, destPath);
  } catch (err) {
    await rm(temp, { force: true });
    // Disk trouble (ENOSPC, EACCES) is the node's, not the registry's: keep node's error.
    if (err instanceof DriverError || diskError || options.signal?.aborted) throw err;
    throw new DriverError(
      'OCI_REGISTRY_UNREACHABLE',
      `${options.what}: download broke off after ${counter.received} bytes: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
