// A task that runs in a pool host (`isolation = "pooled"`), as the plugin
// tracks it: the same handle as a task with a process of its own
// (wasm-task.ts), but signals and stops are requests to its pool, its exit
// is the pool's `exit` reply; its stats are its linear memory and the pool's CPU.
import type { TaskConfig__Output } from '../generated/hashicorp/nomad/plugins/drivers/proto/TaskConfig.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DriverState } from './driver-state.js';
import type { ExitResult } from '../ipc/exit-status.js';
import type { PoolClient } from './pool-client.js';
import type { ProcessSample } from './proc-stat.js';
import { signalNumber } from '../ipc/signals.js';
import { WasmTask, exitFilePath } from './wasm-task.js';

/** How long a pool that still answers gets to end a task at once (SIGKILL request). */
const KILL_GRACE_MS = 1000;
/** A pool that does not answer a ping this fast is held by a guest (an infinite loop, a long command). */
const PING_TIMEOUT_MS = 300;
/** How long a stats sample waits for the pool's answer. */
const STATS_TIMEOUT_MS = 300;

export class PooledTaskHandle extends WasmTask {
  private constructor(
    config: TaskConfig__Output,
    state: DriverState,
    private readonly pool: PoolClient,
  ) {
    super(config, state, pool.watch(config.id, exitFilePath(state.stateDir)));
  }

  /** A task whose start the pool reported ready, or one found again after a plugin restart. */
  static inPool(config: TaskConfig__Output, state: DriverState, pool: PoolClient): PooledTaskHandle {
    return new PooledTaskHandle(config, state, pool);
  }

  override signal(name: string): void {
    signalNumber(name);
    if (!this.isRunning) return;
    this.pool.signal(this.id, name);
  }

  /**
   * `name` (default SIGINT), up to `timeoutMs` for the task to end; then it
   * is ended at once. A pool that no longer answers is held by a guest that
   * does not return: the whole pool is killed, and every task in it ends.
   */
  override async stop(name: string, timeoutMs: number): Promise<ExitResult> {
    if (!this.isRunning) return this.wait();
    const signal = name || 'SIGINT';
    signalNumber(signal);
    if (timeoutMs > 0) {
      this.pool.signal(this.id, signal);
      const outcome = await Promise.race([this.wait(), sleep(timeoutMs).then(() => undefined)]);
      if (outcome !== undefined) return outcome;
    }
    if (await this.pool.responsive(PING_TIMEOUT_MS)) {
      this.pool.signal(this.id, 'SIGKILL');
      const outcome = await Promise.race([this.wait(), sleep(KILL_GRACE_MS).then(() => undefined)]);
      if (outcome !== undefined) return outcome;
    }
    this.pool.kill(
      `task "${this.config.name}" (${this.id}) did not stop within its kill_timeout (${timeoutMs} ms) and the pool host process ${this.pool.pid} did not answer: a guest held its thread (an endless loop or a long-running command), so the pool host was killed`,
    );
    return this.wait();
  }

  /**
   * Memory: the task's own linear memory (what its memory_max caps), as far
   * as one process can tell its tasks apart; the Node heap and buffers are
   * the pool's. CPU: the whole pool host's (every task in it): there is no
   * per-task CPU accounting inside one thread.
   */
  override async sample(): Promise<ProcessSample | undefined> {
    if (!this.isRunning) return undefined;
    const [pool, memory] = await Promise.all([this.pool.sample(), this.pool.linearMemory(this.id, STATS_TIMEOUT_MS)]);
    if (!pool) return undefined;
    // A pool held by a guest does not answer: the last figure stands.
    if (memory) this.lastMemory = memory;
    return { ...pool, rssBytes: this.lastMemory.bytes, maxRssBytes: this.lastMemory.peakBytes, swapBytes: 0 };
  }

  private lastMemory = { bytes: 0, peakBytes: 0 };
}
