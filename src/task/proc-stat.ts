// Reads a process's CPU time, memory and identity from /proc (Linux).
import { readFile } from 'node:fs/promises';

export interface ProcessSample {
  /** Kernel clock ticks since boot when the process started: detects pid reuse. */
  readonly startTicks: number;
  readonly userTicks: number;
  readonly systemTicks: number;
  readonly rssBytes: number;
  /** Peak resident set size (VmHWM). */
  readonly maxRssBytes: number;
  readonly swapBytes: number;
}

/** USER_HZ: 100 on every Linux architecture Nomad supports. */
export const CLOCK_TICKS_PER_SECOND = 100;

export async function sampleProcess(pid: number): Promise<ProcessSample | undefined> {
  let stat: string;
  let status: string;
  try {
    [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
  } catch {
    return undefined; // gone (ENOENT/ESRCH): callers treat that as "not running"
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return undefined; // exited, not reaped yet
  const num = (i: number): number => Number(fields[i - 3] ?? 0); // fields[0] is field 3
  return {
    startTicks: num(22),
    userTicks: num(14),
    systemTicks: num(15),
    rssBytes: statusKb(status, 'VmRSS') * 1024,
    maxRssBytes: statusKb(status, 'VmHWM') * 1024,
    swapBytes: statusKb(status, 'VmSwap') * 1024,
  };
}

function statusKb(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/** True when `pid` is alive and is still the process that started at `startTicks`. */
export async function isSameProcessAlive(pid: number, startTicks: number): Promise<boolean> {
  const sample = await sampleProcess(pid);
  return sample !== undefined && sample.startTicks === startTicks;
}
