// Finds the task host processes of the wasm driver (their process title is
// "nomad-wasm-task <task id>", the task id starting with the alloc id).
import { readdirSync, readFileSync } from 'node:fs';

export function taskHostPids(allocId: string, task?: string): number[] {
  const prefix = `nomad-wasm-task ${allocId}/${task ? `${task}/` : ''}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.startsWith(prefix)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
