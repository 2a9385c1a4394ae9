// Finds the task host processes of the wasm driver (their process title is
// "nomad-wasm-task <task id>", the task id starting with the alloc id).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

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

/**
 * A zombie counts as gone: a task host whose parent plugin died is re-parented
 * to PID 1, which in some sandboxes never reaps it.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The wasm plugin processes an agent started (they inherit its working directory). */
export function pluginPids(agentDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('dist/main.js') && readlinkSync(`/proc/${entry}/cwd`) === agentDir) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}
