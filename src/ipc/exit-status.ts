// How a task ended, and the small file the task host leaves behind so that
// a plugin which was not its parent (after a restart) still learns the
// exit code.
import { readFile } from 'node:fs/promises';
import { writeFileSync, renameSync } from 'node:fs';

export interface ExitResult {
  readonly exitCode: number;
  /** Signal number that ended the task, 0 if it exited by itself. */
  readonly signal: number;
  readonly oomKilled: boolean;
  /** Set when the driver could not observe the exit precisely. */
  readonly err?: string;
}

export function exitedWithCode(exitCode: number): ExitResult {
  return { exitCode, signal: 0, oomKilled: false };
}

/** Nomad's executor convention: killed by signal N → exit code 128 + N. */
export function killedBySignal(signal: number, err?: string): ExitResult {
  return err === undefined
    ? { exitCode: 128 + signal, signal, oomKilled: false }
    : { exitCode: 128 + signal, signal, oomKilled: false, err };
}

interface ExitFile {
  exitCode: number;
  signal?: number;
  at: number;
}

/** Written by the task host right before it exits (sync: the loop may be gone). */
export function writeExitFileSync(path: string, result: ExitResult): void {
  const body: ExitFile = { exitCode: result.exitCode, signal: result.signal, at: Date.now() };
  writeFileSync(`${path}.tmp`, JSON.stringify(body));
  renameSync(`${path}.tmp`, path);
}

/** undefined when the file does not exist (the task host died without writing it). */
export async function readExitFile(path: string): Promise<ExitResult | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<ExitFile>;
  if (typeof parsed.exitCode !== 'number') return undefined;
  const signal = typeof parsed.signal === 'number' ? parsed.signal : 0;
  return { exitCode: parsed.exitCode, signal, oomKilled: false };
}
