// Where a task's output goes: guest stdout/stderr and the driver's notices.
//
// Normally the task host's own fds 1 and 2, which are Nomad's log FIFOs
// (handed over at spawn). A task host started ahead of time as a spare
// (src/task/launcher.ts) opens the FIFOs itself once it knows its task, and
// Node cannot put them on fds 1 and 2: it points this at them instead.
import { writeAllSync } from '../wasi/fd-output.js';

/** A task's stdout and stderr file descriptors. */
export interface TaskOutput {
  readonly stdout: number;
  readonly stderr: number;
}

/** The process's task (a task host runs one); a pool host passes each task's own instead. */
export const taskOutput = { stdout: 1, stderr: 2 };

export function useTaskOutput(stdout: number, stderr: number): void {
  taskOutput.stdout = stdout;
  taskOutput.stderr = stderr;
}

/** A driver notice in the task's stderr log, marked as ours. */
export function notice(message: string, output: TaskOutput = taskOutput): void {
  writeAllSync(output.stderr, Buffer.from(`[nomad-driver-wasm] ${message}\n`));
}
