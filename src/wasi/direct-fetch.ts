// An outbound request to the host named in its URL (not a service instance:
// that is pinned-fetch.ts), with the whole response read, up to a size.
// Redirects are returned, never followed: a redirect to a host outside the
// allow-list must not be fetched for the guest. Asynchronous: WASI 0.3's
// client awaits it directly; WASI 0.2's synchronous calls run it in the
// helper worker (sync-fetch-worker.ts).
import type { SyncFetchRequest, SyncFetchResult } from './sync-fetch.js';

/** What to send: everything of a synchronous request but its reply channel. */
export type FetchRequest = Omit<SyncFetchRequest, 'port' | 'flag'>;

export async function performDirect(request: FetchRequest): Promise<SyncFetchResult> {
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body.length > 0 ? new Uint8Array(request.body) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const reader = response.body?.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const next = reader ? await reader.read() : { done: true as const, value: undefined };
      if (next.done) break;
      size += next.value.length;
      if (size > request.maxBytes) {
        await reader?.cancel();
        return { ok: false, code: 'HTTP-response-body-size', message: `response body over ${request.maxBytes} bytes` };
      }
      chunks.push(next.value);
    }
    return { ok: true, status: response.status, headers: [...response.headers], body: Buffer.concat(chunks) };
  } catch (err) {
    return { ok: false, ...classify(err) };
  }
}

function classify(err: unknown): { code: string; message: string } {
  const error = err as Error & { cause?: { code?: string } };
  const message = error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
  if (error.name === 'TimeoutError') return { code: 'connection-timeout', message };
  switch (error.cause?.code) {
    case 'ECONNREFUSED':
      return { code: 'connection-refused', message };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { code: 'DNS-error', message };
    case 'ECONNRESET':
      return { code: 'connection-terminated', message };
    default:
      return { code: 'internal-error', message };
  }
}
