// Starts a task host process for one task and waits until its component is
// ready (or has failed to load).
//
// The task host runs in its own session (detached: setsid) so that it
// outlives the plugin and can be signalled as a group. Its stdout/stderr are
// Nomad's log FIFOs, opened here and handed over, so the task keeps writing
// to logmon whatever happens to the plugin.
import { spawn, type ChildProcess, type StdioNull } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { DriverError, ERROR_CATALOGUE, type ErrorCode } from '../errors.js';
import { HOST_NODE_FLAGS } from '../ipc/host-node-flags.js';
import { openLogSink } from '../ipc/log-fifo.js';
import { prewarmArgOf, type LaunchSpec, type ProgressMessage } from '../ipc/launch-spec.js';
import { sampleProcess } from './proc-stat.js';
import { hardenedNodeCommand } from '../hardening/node-flags.js';

const TASK_HOST_ENTRY = fileURLToPath(new URL('../task-host/main.js', import.meta.url));

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LaunchedTaskHost {
  readonly pid: number;
  /** Resolves when the task host (still our child) exits; captured from spawn on, so a fast exit is never missed. */
  readonly exit: Promise<ChildExit>;
  readonly startTicks: number;
  readonly ready: Extract<ProgressMessage, { type: 'ready' }>;
}

export interface LaunchOptions {
  readonly stdoutPath: string;
  readonly stderrPath: string;
  readonly readyTimeoutMs: number;
  readonly onProgress: (message: ProgressMessage) => void;
  readonly log: Logger;
  /** Extra flags for the next spare (e.g. `--preload-vault` on a node with a vault block). */
  readonly spareArgs?: readonly string[];
}

/** A task host process, with its exit captured from spawn on. */
interface Spawned {
  readonly child: ChildProcess;
  readonly exit: Promise<ChildExit>;
}

function spawnTaskHost(
  stdio: [StdioNull | 'pipe', StdioNull | number, StdioNull | number, 'pipe'],
  args: string[] = [],
): Spawned {
  // No core dumps, no SIGUSR1 inspector: the task host will hold the task's secrets.
  const command = hardenedNodeCommand(HOST_NODE_FLAGS, TASK_HOST_ENTRY, args);
  const child = spawn(command.file, command.args, {
    detached: true,
    stdio,
    // Nothing of the plugin's environment (the agent's!) reaches the task host.
    env: {},
    cwd: '/',
  });
  child.unref();
  const exit = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exit };
}

/**
 * One task host started ahead of time, booted and with the runtime loaded,
 * waiting on stdin for the next StartTask's spec: a start then skips
 * Node's boot and module loading. It is replaced once the start it served
 * is ready (not before: on 2 cores it would slow that very start down).
 * Its stdio are pipes to nobody, so it opens the task's log FIFOs itself;
 * a plugin that exits closes its stdin, and an unused spare exits then.
 */
let spare: Spawned | undefined;

/** What the next spare prepares: the component of the last start (see src/runtime/prewarm.ts). */
let prewarmArg: string | undefined;

function takeSpare(): Spawned | undefined {
  const taken = spare;
  spare = undefined;
  if (!taken || taken.child.exitCode !== null || taken.child.signalCode !== null || taken.child.pid === undefined)
    return undefined;
  return taken;
}

function replenishSpare(log: Logger, args: readonly string[] = []): void {
  if (spare || process.env['NOMAD_DRIVER_WASM_SPARE'] === '0') return;
  try {
    spare = spawnTaskHost(
      ['pipe', 'ignore', 'ignore', 'pipe'],
      ['--spare', ...args, ...(prewarmArg ? [prewarmArg] : [])],
    );
    // The plugin must not stay alive for a spare's pipes.
    for (const stream of [spare.child.stdin, spare.child.stdio[3]]) (stream as Socket | null)?.unref();
    spare.child.once('error', (err) => log.warn({ err: err.message }, 'spare task host failed to start'));
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not start a spare task host');
  }
}

async function spawnWithLogs(options: LaunchOptions): Promise<Spawned> {
  const stdout = await openLogSink(options.stdoutPath);
  try {
    const stderr = await openLogSink(options.stderrPath).catch(async (err: unknown) => {
      await stdout.close();
      throw err;
    });
    try {
      return spawnTaskHost(['pipe', stdout.fd, stderr.fd, 'pipe']);
    } finally {
      // The child holds its own copies now.
      await Promise.allSettled([stdout.close(), stderr.close()]);
    }
  } catch (err) {
    await stdout.close().catch(() => undefined);
    throw err;
  }
}

export async function launchTaskHost(spec: LaunchSpec, options: LaunchOptions): Promise<LaunchedTaskHost> {
  const reused = takeSpare();
  const { child, exit } = reused ?? (await spawnWithLogs(options));
  const sent: LaunchSpec = reused
    ? { ...spec, logPaths: { stdout: options.stdoutPath, stderr: options.stderrPath } }
    : spec;
  const pid = child.pid;
  if (pid === undefined) {
    throw new DriverError('TASK_HOST_FAILED', 'could not spawn the task host process (node binary missing?)');
  }
  const progress = child.stdio[3] as Readable;
  const sample = await sampleProcess(pid);

  try {
    child.stdin?.end(JSON.stringify(sent));
    const ready = await waitForReady(child, progress, options);
    prewarmArg = prewarmArgOf(spec, ready.digest);
    return { pid, exit, startTicks: sample?.startTicks ?? 0, ready };
  } catch (err) {
    // Never leave a half-started task behind.
    killGroup(pid, 'SIGKILL');
    throw err;
  } finally {
    progress.destroy();
    // After this start's reply is on its way: spawning blocks this thread for a few ms.
    setImmediate(() => replenishSpare(options.log, options.spareArgs));
  }
}

function waitForReady(
  child: ChildProcess,
  progress: Readable,
  options: LaunchOptions,
): Promise<Extract<ProgressMessage, { type: 'ready' }>> {
  return new Promise((resolve, reject) => {
    let failure: DriverError | undefined;
    const timer = setTimeout(() => {
      reject(new DriverError('TASK_HOST_FAILED', `component was not ready within ${options.readyTimeoutMs} ms`));
    }, options.readyTimeoutMs);
    const finish = (): void => clearTimeout(timer);

    const lines = createInterface({ input: progress });
    // readline re-emits the pipe's errors; the child's 'close'/'error' below decide the outcome.
    lines.on('error', () => undefined);
    lines.on('line', (line) => {
      let message: ProgressMessage;
      try {
        message = JSON.parse(line) as ProgressMessage;
      } catch {
        // Its length only: a broken line could be a piece of anything the task host wrote.
        options.log.warn({ characters: line.length }, 'unparsable progress line from task host');
        return;
      }
      if (message.type === 'ready') {
        finish();
        resolve(message);
      } else if (message.type === 'failed') {
        failure = new DriverError(knownCode(message.code), message.message);
      } else {
        options.onProgress(message);
      }
    });
    // 'close' (not 'exit'): by then the progress pipe is drained, so a
    // 'failed' line written just before exiting has been seen.
    child.once('close', (code, signal) => {
      finish();
      reject(
        failure ??
          new DriverError(
            'TASK_HOST_FAILED',
            `task host exited before the component was ready (${signal ?? `exit code ${code}`}); see the task's stderr log`,
          ),
      );
    });
    child.once('error', (err) => {
      finish();
      reject(new DriverError('TASK_HOST_FAILED', `task host failed: ${err.message}`, { cause: err }));
    });
  });
}

function knownCode(code: string): ErrorCode {
  return code in ERROR_CATALOGUE ? (code as ErrorCode) : 'TASK_HOST_FAILED';
}

/** Signals the task host's whole process group; a vanished group is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
