// Downloads an `https://` component into a temp file, hashing as it streams:
// more bytes than allowed, or bytes that do not match the job's checksum,
// and the file is gone before anyone could read it.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DriverError, describeError } from '../errors.js';
import { Backoff } from '../oci/backoff.js';

export interface HttpsDownloadOptions {
  readonly expectedDigest: string;
  readonly maxBytes: number;
  /** Time to the response headers, per attempt. */
  readonly headersTimeoutMs?: number;
  /** Time for the whole body, per attempt. */
  readonly bodyTimeoutMs?: number;
  readonly retries?: number;
  readonly onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
}

export async function downloadHttps(url: URL, destPath: string, options: HttpsDownloadOptions): Promise<void> {
  const backoff = new Backoff({ retries: options.retries ?? 3 });
  for (;;) {
    try {
      await attempt(url, destPath, options);
      return;
    } catch (err) {
      await rm(destPath, { force: true });
      if (!(err instanceof TransientError) || !(await backoff.next())) {
        if (err instanceof TransientError) {
          throw new DriverError(
            'COMPONENT_DOWNLOAD_FAILED',
            `could not download ${url.href} after ${backoff.attempts} attempts: ${err.message}`,
            { cause: err.cause },
          );
        }
        throw err;
      }
    }
  }
}

/** A failure worth another attempt: network trouble, 5xx, 429. */
class TransientError extends Error {}

async function attempt(url: URL, destPath: string, options: HttpsDownloadOptions): Promise<void> {
  const headersTimeout = AbortSignal.timeout(options.headersTimeoutMs ?? 30_000);
  let response: Response;
  try {
    response = await fetch(url, { signal: headersTimeout, redirect: 'follow' });
  } catch (err) {
    throw new TransientError(describeError((err as Error).cause ?? err), { cause: err });
  }
  if (response.status === 429 || response.status >= 500)
    throw new TransientError(`HTTP ${response.status} ${response.statusText}`);
  if (!response.ok || !response.body) {
    throw new DriverError(
      'COMPONENT_DOWNLOAD_FAILED',
      `could not download ${url.href}: HTTP ${response.status} ${response.statusText}`,
    );
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(declared) ? declared : undefined;
  if (total !== undefined && total > options.maxBytes) {
    await response.body.cancel();
    throw tooLarge(url, total, options.maxBytes);
  }
  const hash = createHash('sha256');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > options.maxBytes) return done(tooLarge(url, received, options.maxBytes));
      hash.update(chunk);
      options.onProgress?.(received, total);
      done(null, chunk);
    },
  });
  const bodyTimeout = AbortSignal.timeout(options.bodyTimeoutMs ?? 10 * 60_000);
  try {
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      meter,
      createWriteStream(destPath),
      { signal: bodyTimeout },
    );
  } catch (err) {
    if (err instanceof DriverError) throw err;
    throw new TransientError(`download interrupted after ${received} bytes: ${describeError(err)}`, { cause: err });
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (digest !== options.expectedDigest) {
    throw new DriverError(
      'COMPONENT_CHECKSUM_MISMATCH',
      `${url.href} has digest ${digest}, but the task's checksum is ${options.expectedDigest}; nothing was cached`,
    );
  }
}

function tooLarge(url: URL, bytes: number, max: number): DriverError {
  return new DriverError(
    'COMPONENT_TOO_LARGE',
    `${url.href} is larger than the node's max_component_mb (${bytes} > ${max} bytes); nothing was cached`,
  );
}
