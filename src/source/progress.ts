// Turns a download's byte counter into a few task events: Nomad shows every
// event in `nomad alloc status`, so one per chunk would bury everything else.
const MiB = 1024 * 1024;
const MIN_INTERVAL_MS = 2_000;

export function formatMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export class DownloadProgress {
  private lastReportMs = Date.now();
  private lastQuarter = 0;

  constructor(
    private readonly what: string,
    private readonly report: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reports at most every 2 s, and at each quarter when the total is known. */
  update(receivedBytes: number, totalBytes: number | undefined): void {
    const quarter = totalBytes ? Math.floor((receivedBytes / totalBytes) * 4) : 0;
    const due = this.now() - this.lastReportMs >= MIN_INTERVAL_MS;
    if (!due && quarter <= this.lastQuarter) return;
    if (totalBytes !== undefined && receivedBytes >= totalBytes) return; // the "pulled" event says it
    this.lastReportMs = this.now();
    this.lastQuarter = Math.max(quarter, this.lastQuarter);
    const of = totalBytes ? ` of ${formatMiB(totalBytes)} (${Math.floor((receivedBytes / totalBytes) * 100)}%)` : '';
    this.report(`Downloading ${this.what}: ${formatMiB(receivedBytes)}${of}`);
  }
}
