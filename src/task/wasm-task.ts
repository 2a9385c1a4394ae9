// One running (or finished) task as the plugin tracks it: its process, how
// to stop and signal it, and how it ended.
//
// Exit tracking has two modes. While the task host is our child we get its
// exit code from the kernel. After a plugin restart it is not our child any
// more: we poll its pid (guarded against pid reuse by the /proc start time)
// and read the exit status file the task host wrote before exiting.
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskConfig__Output } from '../generated/hashicorp/nomad/plugins/drivers/proto/TaskConfig.js';
import type { DriverState } from './driver-state.js';
import { exitedWithCode, killedBySignal, readExitFile, type ExitResult } from '../ipc/exit-status.js';
import { killGroup, type ChildExit } from './launcher.js';
import { isSameProcessAlive, sampleProcess, type ProcessSample } from './proc-stat.js';
import { signalNumber } from '../ipc/signals.js';
import { codedText } from '../errors.js';

const EXIT_FILE = 'exit.json';
const STOP_SIGNAL_FILE = 'stop-signal';
const POLL_INTERVAL_MS = 200;

export function exitFilePath(stateDir: string): string {
  return join(stateDir, EXIT_FILE);
}

export class WasmTask {
  readonly id: string;
  readonly config: TaskConfig__Output;
  readonly state: DriverState;
  readonly startedAt: Date;
  private completedAt: Date | undefined;
  private result: ExitResult | undefined;
  private readonly exited: Promise<ExitResult>;

  protected constructor(config: TaskConfig__Output, state: DriverState, exitSource: Promise<ExitResult>) {
    this.id = config.id;
    this.config = config;
    this.state = state;
    this.startedAt = new Date(state.startedAtMs);
    this.exited = exitSource.then((result) => {
      this.result = result;
      this.completedAt = new Date();
      return result;
    });
  }

  /** A task host we just spawned: the kernel tells us how it ended. */
  static fromChild(config: TaskConfig__Output, state: DriverState, exit: Promise<ChildExit>): WasmTask {
    return new WasmTask(
      config,
      state,
      exit.then((e) => resultOfChildExit(e, state)),
    );
  }

  /** A task host found again after a restart: watch its pid. */
  static recovered(config: TaskConfig__Output, state: DriverState): WasmTask {
    return new WasmTask(config, state, watchForeignProcess(state));
  }

  get isRunning(): boolean {
    return this.result === undefined;
  }

  get exitResult(): ExitResult | undefined {
    return this.result;
  }

  get completedAtDate(): Date | undefined {
    return this.completedAt;
  }

  wait(): Promise<ExitResult> {
    return this.exited;
  }

  /** Delivers a signal to the task host (see README: what a component sees). */
  signal(name: string): void {
    const number = signalNumber(name);
    if (!this.isRunning) return;
    killGroup(this.state.pid, number);
  }

  /**
   * Sends the named signal (default SIGINT, like Nomad's exec drivers), waits up
   * to `timeoutMs` for the task to exit, then SIGKILLs its process group.
   */
  async stop(name: string, timeoutMs: number): Promise<ExitResult> {
    if (!this.isRunning) return this.exited;
    const number = signalNumber(name || 'SIGINT');
    // Remembered on disk: a later plugin that finds the task gone without an
    // exit file knows it died of our signal. Best effort: failing to write it
    // must not keep the task from being stopped.
    await writeFile(join(this.state.stateDir, STOP_SIGNAL_FILE), String(number)).catch(() => undefined);
    if (timeoutMs > 0) {
      killGroup(this.state.pid, number);
      const outcome = await Promise.race([this.exited, sleep(timeoutMs).then(() => undefined)]);
      if (outcome !== undefined) return outcome;
    }
    await writeFile(join(this.state.stateDir, STOP_SIGNAL_FILE), String(signalNumber('SIGKILL'))).catch(
      () => undefined,
    );
    killGroup(this.state.pid, 'SIGKILL');
    return this.exited;
  }

  /** Current CPU/memory of the task host, undefined once it is gone. */
  async sample(): Promise<ProcessSample | undefined> {
    if (!this.isRunning) return undefined;
    return sampleProcess(this.state.pid);
  }
}

async function resultOfChildExit(exit: ChildExit, state: DriverState): Promise<ExitResult> {
  if (exit.signal !== null) return killedBySignal(signalNumber(exit.signal));
  const result = exitedWithCode(exit.code ?? 0);
  if (result.exitCode === 0) return result;
  // A failure the task host could name left `[CODE] message` in its exit file.
  const written = await readExitFile(exitFilePath(state.stateDir)).catch(() => undefined);
  return written?.err !== undefined && written.exitCode === result.exitCode ? { ...result, err: written.err } : result;
}

async function watchForeignProcess(state: DriverState): Promise<ExitResult> {
  while (await isSameProcessAlive(state.pid, state.startTicks)) {
    await sleep(POLL_INTERVAL_MS);
  }
  // An unreadable or half-written exit file is treated like a missing one.
  const written = await readExitFile(exitFilePath(state.stateDir)).catch(() => undefined);
  if (written !== undefined) return written;
  const stopSignal = await readFile(join(state.stateDir, STOP_SIGNAL_FILE), 'utf8')
    .then(Number)
    .catch(() => undefined);
  if (stopSignal !== undefined && Number.isInteger(stopSignal) && stopSignal > 0) {
    return killedBySignal(stopSignal);
  }
  return killedBySignal(
    signalNumber('SIGKILL'),
    codedText(
      'TASK_RECOVER_FAILED',
      `task host process ${state.pid} ended while the plugin was not its parent and left no exit status (killed from outside or by the OOM killer)`,
    ),
  );
}
