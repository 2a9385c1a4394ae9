// An instance's trap, told to whoever is waiting on the instance when it
// happens. Not a promise raced against each request's work: a promise that
// never settles (a healthy instance never traps) keeps every
// Promise.race() ever run against it, and with it each race's result — a
// whole response per request for as long as the instance lives.

export class TrapSignal {
  #trap: { readonly error: unknown } | undefined;
  readonly #waiting = new Set<(error: unknown) => void>();

  /** The instance trapped: everyone waiting now rejects with `error` (the first trap only). */
  fire(error: unknown): void {
    if (this.#trap) return;
    this.#trap = { error };
    for (const reject of this.#waiting) reject(error);
    this.#waiting.clear();
  }

  /** Whether the instance has trapped. */
  get fired(): boolean {
    return this.#trap !== undefined;
  }

  /** Settles as `work` does, unless the instance traps first (or has trapped): then rejects with the trap. */
  race<T>(work: Promise<T>): Promise<T> {
    // The trap and the work's failure are passed on as they came (a guest's error result is not an Error).
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (this.#trap) return Promise.reject(this.#trap.error);
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      work.then(
        (value) => {
          this.#waiting.delete(reject);
          resolve(value);
        },
        (err: unknown) => {
          this.#waiting.delete(reject);
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(err);
        },
      );
    });
  }
}
