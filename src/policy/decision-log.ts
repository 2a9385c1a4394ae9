// The decision log: one JSON line per admission decision, appended to a file
// on the node (`policy { decision_log }`, by default
// `<cache_dir>/policy/decisions.log`), naming the input by the digest of its
// canonical JSON (policy/canonical-json.ts) so a decision can be matched to
// the input that produced it (the task event carries the same digest).
// Lines are written in order, one write each; a line that cannot be written
// is reported to the plugin's log and does not change the decision.
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PolicyMessage } from './decision.js';
import type { PolicyIdentity } from './policy-set.js';

export interface DecisionLine {
  readonly time: string;
  readonly decision_id: string;
  readonly input_version: string;
  readonly input_digest: string;
  readonly namespace: string;
  readonly job: string;
  readonly group: string;
  readonly task: string;
  readonly alloc_id: string;
  readonly component_digest: string;
  readonly mode: string;
  readonly policies: readonly PolicyIdentity[];
  /** What the policies said, before the mode applied. */
  readonly allowed: boolean;
  /** What happened to the start: `admitted`, `warned` (denied or failed under warn) or `denied`. */
  readonly outcome: 'admitted' | 'warned' | 'denied';
  readonly deny: readonly PolicyMessage[];
  readonly warn: readonly PolicyMessage[];
  readonly failure: string | null;
  readonly eval_ms: number;
  /** The whole input, when `decision_log_inputs = true`. */
  readonly input?: unknown;
}

export function newDecisionId(): string {
  return randomUUID();
}

export class DecisionLog {
  private tail: Promise<void> = Promise.resolve();
  private dirReady: Promise<unknown> | undefined;

  constructor(readonly path: string) {}

  /** Resolves once the line is written; rejects when it could not be. */
  append(line: DecisionLine): Promise<void> {
    const text = `${JSON.stringify(line)}\n`;
    const write = this.tail.then(async () => {
      this.dirReady ??= mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
      await this.dirReady;
      await appendFile(this.path, text, { mode: 0o640 });
    });
    // The next line waits for this one, written or not.
    this.tail = write.catch(() => undefined);
    return write;
  }
}
