// Reads a process's core-dump limit from /proc (Linux), for the plugin's
// check of itself at start and for the tests.
import { readFileSync } from 'node:fs';

/** The soft and hard "Max core file size" of a process, in bytes ('unlimited' as Infinity); undefined when unreadable. */
export function coreDumpLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/limits`, 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith('Max core file size'));
  const [soft, hard] = line?.slice('Max core file size'.length).trim().split(/\s+/) ?? [];
  const value = (text?: string): number => (text === 'unlimited' ? Infinity : Number(text));
  if (soft === undefined || hard === undefined) return undefined;
  return { soft: value(soft), hard: value(hard) };
}
