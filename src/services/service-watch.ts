// One blocking-query loop for one service: the healthy instances of
// `payments` (or of a Nomad service in one namespace), kept current for
// every task on the node that granted it.
//
// Consul's rules for blocking queries: take the index of each answer into
// the next query; if it goes backwards (a restarted or different server),
// start again from 0; never block on 0 (an index of 0 answers at once);
// and rate-limit the loop, since a query may return early. On errors the
// index is reset too (a restarted Consul may be behind our index, and a
// query blocking on it would only answer after `wait`), and the loop backs
// off with jitter. The last known instances stay in use throughout.
import type { Logger } from 'pino';
import { DriverError, describeError } from '../errors.js';
import type { ServiceCatalog } from './catalog.js';
import { normalizeInstances, sameInstances, type ServiceInstance } from './service-instance.js';

export interface WatchListener {
  /** A new set of healthy instances (possibly empty). */
  onInstances(instances: readonly ServiceInstance[]): void;
  /** The catalog failed or refused; the last set stays in use. Called once per outage (and again if its code changes). */
  onProblem(error: DriverError): void;
  /** Answers again after a problem. */
  onRecovered(): void;
}

export interface WatchTiming {
  /** Longest a blocking query waits for a change (Consul's `wait`). */
  readonly waitSeconds: number;
  /** Least time between the starts of two queries. */
  readonly minIntervalMs: number;
  /** First retry delay after an error; doubles up to maxBackoffMs (with ±20% jitter). */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_WATCH_TIMING: WatchTiming = {
  waitSeconds: 60,
  minIntervalMs: 250,
  backoffMs: 500,
  maxBackoffMs: 10_000,
};

export type WatchState =
  | { readonly kind: 'pending' }
  | { readonly kind: 'ok'; readonly instances: readonly ServiceInstance[] }
  | {
      readonly kind: 'failing';
      readonly error: DriverError;
      readonly instances: readonly ServiceInstance[] | undefined;
    };

export class ServiceWatch {
  private state: WatchState = { kind: 'pending' };
  private readonly listeners = new Set<WatchListener>();
  private readonly stopper = new AbortController();
  private settled: () => void = () => undefined;
  private readonly firstSettled = new Promise<void>((resolve) => {
    this.settled = resolve;
  });
  private running: Promise<void> | undefined;
  /** Queries sent so far (tests and the bench read it). */
  rounds = 0;

  constructor(
    readonly description: string,
    private readonly catalog: ServiceCatalog,
    private readonly query: { readonly name: string; readonly namespace: string },
    private readonly log: Logger,
    private readonly timing: WatchTiming = DEFAULT_WATCH_TIMING,
  ) {}

  get current(): WatchState {
    return this.state;
  }

  start(): void {
    this.running ??= this.loop().catch((err: unknown) => {
      // The loop handles every error itself; reaching this is a bug worth a line.
      this.log.error({ service: this.description, err: describeError(err) }, 'service watch ended unexpectedly');
    });
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.listeners.clear();
    await this.running;
  }

  subscribe(listener: WatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first answer (or first failure), waiting at most `timeoutMs`. */
  async firstAnswer(timeoutMs: number): Promise<WatchState> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.firstSettled, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return this.state;
  }

  private async loop(): Promise<void> {
    const signal = this.stopper.signal;
    let index = 0n;
    let failures = 0;
    while (!signal.aborted) {
      const startedAt = Date.now();
      this.rounds++;
      try {
        const answer = await this.catalog.lookup({
          ...this.query,
          index,
          waitSeconds: this.timing.waitSeconds,
          signal,
        });
        failures = 0;
        // Backwards: a different or restarted server; 0 or less never blocks.
        index = answer.index < index || answer.index < 1n ? 0n : answer.index;
        this.publish(normalizeInstances(answer.instances));
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        index = 0n;
        this.fail(
          err instanceof DriverError
            ? err
            : new DriverError('SERVICE_LOOKUP_FAILED', `${this.description}: ${describeError(err)}`, { cause: err }),
        );
        await sleep(backoff(this.timing, failures), signal);
        continue;
      }
      await sleep(this.timing.minIntervalMs - (Date.now() - startedAt), signal);
    }
  }

  private publish(instances: ServiceInstance[]): void {
    const previous = this.state;
    this.state = { kind: 'ok', instances };
    this.settled();
    if (previous.kind === 'failing') {
      this.log.info({ service: this.description }, 'service catalog answers again');
      for (const listener of this.listeners) listener.onRecovered();
    }
    const before = previous.kind === 'pending' ? undefined : previous.instances;
    if (before !== undefined && sameInstances(before, instances)) return;
    this.log.debug({ service: this.description, instances: instances.length }, 'service instances changed');
    for (const listener of this.listeners) listener.onInstances(instances);
  }

  private fail(error: DriverError): void {
    const previous = this.state;
    const known = previous.kind === 'pending' ? undefined : previous.instances;
    this.state = { kind: 'failing', error, instances: known };
    this.settled();
    // Tell once per outage, not on every retry: while it lasts the error text
    // changes (a reset blocking query, then refused connections); only a
    // different kind of problem (unreachable -> refused) is news.
    if (previous.kind === 'failing' && previous.error.code === error.code) return;
    this.log.warn(
      { service: this.description, code: error.code, err: error.message },
      'service lookup failed; keeping the last known instances',
    );
    for (const listener of this.listeners) listener.onProblem(error);
  }
}

function backoff(timing: WatchTiming, failures: number): number {
  const base = Math.min(timing.backoffMs * 2 ** (failures - 1), timing.maxBackoffMs);
  return base * (0.8 + Math.random() * 0.4);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
