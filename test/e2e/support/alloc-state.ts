// Predicates on an allocation's task states, for waitForAllocation.
import type { Allocation, TaskState } from './nomad-api.ts';

export function taskState(alloc: Allocation, task = 't'): TaskState | undefined {
  return alloc.TaskStates?.[task];
}

export const isRunning =
  (task = 't') =>
  (alloc: Allocation): boolean =>
    taskState(alloc, task)?.State === 'running';

export const isDead =
  (task = 't') =>
  (alloc: Allocation): boolean =>
    taskState(alloc, task)?.State === 'dead';
