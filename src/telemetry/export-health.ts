// Wraps an exporter so that a collector that is down, slow or refusing is
// said once, not once per batch: the first failure is one warning, later
// ones are counted, and the first success after them says how many items
// were lost meanwhile. Nothing here retries or blocks: the exporter's own
// bounded queue and timeouts do that, off the request path.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';

export interface ExportHealth {
  /** The number of items (spans, metric points) whose export failed. */
  readonly lost: number;
  readonly failing: boolean;
}

/** What the wrapper tells about: a warning once per outage, a notice on recovery. */
export type HealthReporter = (message: string) => void;

export class ExportHealthTracker implements ExportHealth {
  lost = 0;
  failing = false;
  private lostInOutage = 0;

  constructor(
    private readonly what: string,
    private readonly target: string,
    private readonly report: HealthReporter,
  ) {}

  /** Wraps an exporter's result callback for a batch of `count` items. */
  observe(count: number, done: (result: ExportResult) => void): (result: ExportResult) => void {
    return (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.succeeded();
      else this.failed(count, result.error);
      done(result);
    };
  }

  private failed(count: number, error: Error | undefined): void {
    this.lost += count;
    this.lostInOutage += count;
    if (this.failing) return;
    this.failing = true;
    this.report(
      `telemetry: exporting ${this.what} to ${this.target} failed (${error?.message ?? 'unknown error'}); ` +
        'dropping them until it answers again (tasks are not affected)',
    );
  }

  private succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.report(
      `telemetry: exporting ${this.what} to ${this.target} works again; ${this.lostInOutage} were lost meanwhile`,
    );
    this.lostInOutage = 0;
  }
}

/** The same exporter, its results observed by `tracker` (counted by `countOf` items). */
export function observedExporter<T extends { export(items: I, done: (result: ExportResult) => void): void }, I>(
  exporter: T,
  tracker: ExportHealthTracker,
  countOf: (items: I) => number,
): T {
  const original = exporter.export.bind(exporter);
  exporter.export = (items: I, done: (result: ExportResult) => void): void => {
    original(items, tracker.observe(countOf(items), done));
  };
  return exporter;
}
