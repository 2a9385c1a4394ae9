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

/**
 * A command that failed after it was reported ready (its instantiation, a
 * trap): exit code 1, and `[CODE] message` for Nomad's "Exit Message".
 */
export function failedWith(err: string): ExitResult {
  return { exitCode: 1, signal: 0, oomKilled: false, err };
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
  /** Why, for a failure the task host could name (`[CODE] message`). */
  err?: string;
  at: number;
}

/** Written by the task host right before it exits (sync: the loop may be gone). */
export function writeExitFileSync(path: string, result: ExitResult): void {
  const body: ExitFile = {
    exitCode: result.exitCode,
    signal: result.signal,
    ...(result.err !== undefined ? { err: result.err } : {}),
    at: Date.now(),
  };
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
  return {
    exitCode: parsed.exitCode,
    signal,
    oomKilled: false,
    ...(typeof parsed.err === 'string' ? { err: parsed.err } : {}),
  };
}
