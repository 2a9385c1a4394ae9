// The tasks this plugin instance knows, by Nomad task id.
import { DriverError } from '../errors.js';
import type { WasmTask } from './wasm-task.js';

export class TaskStore {
  private readonly tasks = new Map<string, WasmTask>();

  has(id: string): boolean {
    return this.tasks.has(id);
  }

  find(id: string): WasmTask | undefined {
    return this.tasks.get(id);
  }

  get(id: string): WasmTask {
    const task = this.tasks.get(id);
    if (!task) throw taskNotFound(id);
    return task;
  }

  add(task: WasmTask): void {
    if (this.tasks.has(task.id))
      throw new DriverError('TASK_ALREADY_STARTED', `task with id ${task.id} already started`);
    this.tasks.set(task.id, task);
  }

  delete(id: string): void {
    this.tasks.delete(id);
  }
}

export function taskNotFound(id: string): DriverError {
  return new DriverError('TASK_NOT_FOUND', `no task with id ${id}`);
}
