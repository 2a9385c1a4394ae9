// Exponential backoff with jitter between retries of a registry request.
// "Equal jitter": half the window is fixed, half random, so clients that
// failed together spread out but never retry immediately.
import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Window of the first retry; doubles each time. */
  readonly baseMs?: number;
  readonly maxMs?: number;
  /** Injected by tests; default waits for real and stops early on abort. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected by tests; default Math.random. */
  readonly random?: () => number;
  readonly signal?: AbortSignal;
}

const DEFAULT_BASE_MS = 250;
const DEFAULT_MAX_MS = 8_000;
/** A registry's Retry-After is honoured, but not beyond this. */
const MAX_RETRY_AFTER_MS = 30_000;

async function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal === undefined ? undefined : { signal });
}

export class Backoff {
  private retriesUsed = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** How long to wait before retry number `retry` (0-based). */
  delayMs(retry: number): number {
    const base = this.options.baseMs ?? DEFAULT_BASE_MS;
    const window = Math.min(this.options.maxMs ?? DEFAULT_MAX_MS, base * 2 ** retry);
    const random = this.options.random ?? Math.random;
    return Math.round(window / 2 + random() * (window / 2));
  }

  get exhausted(): boolean {
    return this.retriesUsed >= this.options.retries;
  }

  get attempts(): number {
    return this.retriesUsed + 1;
  }

  /**
   * Waits before the next attempt and returns true, or returns false at once
   * when the retries are used up. `retryAfterMs` (from a 429/503) replaces the
   * computed delay when it is longer.
   */
  async next(retryAfterMs?: number): Promise<boolean> {
    if (this.exhausted) return false;
    let wait = this.delayMs(this.retriesUsed);
    if (retryAfterMs !== undefined) wait = Math.max(wait, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
    this.retriesUsed += 1;
    await (this.options.sleep ?? realSleep)(wait, this.options.signal);
    return true;
  }
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
