// One task inside a pool host: its own log FIFOs, its own component
// instance(s) and WASI host built from its own grants, its own memory
// ceiling (linear memory, per component), in the pool's one thread.
//
// It ends by a message, not a process exit: the exit status file is written
// (as a task host does) and an `exit` reply sent. What a task host does on a
// signal, this does on a `signal` request (README: Signals), except that a
// running command cannot be interrupted: it holds the pool's thread until it
// ends (README: Pooled tier, what it gives up).
import type { FileHandle } from 'node:fs/promises';
import { DriverError, describeError } from '../errors.js';
import { exitedWithCode, killedBySignal, writeExitFileSync, type ExitResult } from '../ipc/exit-status.js';
import { openLogSink } from '../ipc/log-fifo.js';
import type { PooledLaunchSpec, PoolReply } from '../ipc/pool-protocol.js';
import { signalNumber } from '../ipc/signals.js';
import type { PreparedComponent } from '../runtime/component-cache.js';
import { LinearMemoryMeter } from '../runtime/linear-memory-meter.js';
import type { HttpService } from '../runtime/serve-http.js';
import { notice, type TaskOutput } from '../runtime/task-output.js';
import type { TaskTelemetry } from '../telemetry/task-telemetry.js';

/** Signals that end a task (a task host's default action, or a service's drain). */
const ENDING = new Set(['SIGINT', 'SIGTERM', 'SIGQUIT']);

export class HostedTask {
  readonly id: string;
  private logs: FileHandle[] = [];
  private output: TaskOutput | undefined;
  private service: HttpService | undefined;
  /** A signal that arrived before the task was running: applied when it would start. */
  private pendingEnd: number | undefined;
  private ended = false;
  private draining = false;
  /** The linear memory of this task's instances (TaskStats). */
  readonly memory = new LinearMemoryMeter();
  /** Once loaded: what the pool keeps compiled while this task runs (main.ts). */
  component: PreparedComponent | undefined;
  private telemetry: TaskTelemetry | undefined;

  constructor(
    private readonly spec: PooledLaunchSpec,
    private readonly send: (reply: PoolReply) => void,
    private readonly onEnd: (task: HostedTask) => void,
    /** How many tasks the pool runs (its occupancy gauge). */
    private readonly tasksRunning: () => number = () => 0,
  ) {
    this.id = spec.taskId;
  }

  /** Loads and starts the component; never throws (a failure is a `failed` progress reply). */
  async start(): Promise<void> {
    let component: PreparedComponent;
    try {
      const stdout = await openLogSink(this.spec.logPaths.stdout);
      this.logs.push(stdout);
      const stderr = await openLogSink(this.spec.logPaths.stderr);
      this.logs.push(stderr);
      this.output = { stdout: stdout.fd, stderr: stderr.fd };
      const { prepareComponent } = await import('../runtime/component-cache.js');
      const preparing = Date.now();
      let compiled = false;
      component = await prepareComponent(
        this.spec.componentPath,
        this.spec.cacheDir,
        (phase) => {
          if (phase === 'compiling') compiled = true;
          this.progress({ type: 'phase', phase });
        },
        this.spec.componentDigest,
      );
      checkWorld(component, this.spec);
      this.component = component;
      if (this.spec.telemetry) {
        const { poolTaskTelemetry } = await import('./telemetry.js');
        const output = this.output;
        this.telemetry = await poolTaskTelemetry(
          this.spec.telemetry,
          { digest: component.digest, world: component.world },
          (message) => notice(message, output),
          this.tasksRunning,
        );
        this.telemetry.phase(compiled ? 'compile' : 'cache-hit', preparing, Date.now());
        this.telemetry.observeMemory(() => this.memory.measure());
      }
      if (this.pendingEnd !== undefined)
        throw new DriverError('TASK_HOST_FAILED', 'stopped before the component was ready');
    } catch (err) {
      this.progress({
        type: 'failed',
        code: err instanceof DriverError ? err.code : 'TASK_HOST_FAILED',
        message: describeError(err),
      });
      this.release();
      return;
    }
    if (this.spec.http) await this.serve(component, this.spec.http, this.output);
    else await this.runCommand(component, this.output);
  }

  /** A signal by name, as a task host would take it (README: Signals). */
  signal(name: string): void {
    const number = signalNumber(name);
    const canonical = name.toUpperCase().startsWith('SIG') ? name.toUpperCase() : `SIG${name.toUpperCase()}`;
    if (this.ended) return;
    if (canonical === 'SIGKILL') {
      if (!this.service) {
        this.pendingEnd = number; // not serving yet, or a command about to run: ends before it would
        return;
      }
      this.service.abort();
      this.finish(killedBySignal(number));
      return;
    }
    if (!this.service) {
      // A command waiting to be ready, or between ready and run(): ended as its process would be.
      if (ENDING.has(canonical)) this.pendingEnd = number;
      else if (this.output)
        notice(`received ${canonical}: wasi:cli commands cannot observe signals; ignored`, this.output);
      return;
    }
    const service = this.service;
    const output = this.output;
    if (ENDING.has(canonical)) {
      if (this.draining) return;
      this.draining = true;
      if (output) notice(`received ${canonical}: draining in-flight requests and stopping`, output);
      void service.close().then(() => this.finish(exitedWithCode(0)));
    } else if (this.draining) {
      return;
    } else if (canonical === 'SIGHUP') {
      if (output) notice('received SIGHUP: replacing the component instance', output);
      service.reload().then(
        () => this.event('Component instance replaced (SIGHUP)'),
        (err: unknown) => this.event(`Reload failed, keeping the old instance: ${describeError(err)}`),
      );
    } else if (output) {
      notice(`received ${canonical}: wasi:http components cannot observe signals; ignored`, output);
    }
  }

  private async runCommand(component: PreparedComponent, output: TaskOutput): Promise<void> {
    const { runCommand } = await import('../runtime/run-command.js');
    this.progress({ type: 'ready', world: 'command', digest: component.digest });
    let code: number;
    try {
      if (this.pendingEnd !== undefined) throw new Error('stopped');
      // Holds the pool's thread until the guest returns: nothing else in the pool runs meanwhile.
      code = await runCommand(component, this.spec.grants, undefined, output, this.memory, this.telemetry);
    } catch (err) {
      if (this.pendingEnd === undefined) notice(`command failed: ${describeError(err)}`, output);
      code = 1;
    }
    this.finish(this.pendingEnd !== undefined ? killedBySignal(this.pendingEnd) : exitedWithCode(code));
  }

  private async serve(
    component: PreparedComponent,
    listen: { host: string; port: number },
    output: TaskOutput,
  ): Promise<void> {
    try {
      const { serveHttp } = await import('../runtime/serve-http.js');
      this.service = await serveHttp(
        component,
        this.spec.grants,
        listen,
        undefined,
        output,
        this.memory,
        this.telemetry,
      );
    } catch (err) {
      this.progress({
        type: 'failed',
        code: err instanceof DriverError ? err.code : 'HTTP_LISTEN_FAILED',
        message: describeError(err),
      });
      this.release();
      return;
    }
    this.progress({ type: 'ready', world: 'http', digest: component.digest, port: listen.port });
    if (this.pendingEnd !== undefined) this.signal(this.pendingEnd === signalNumber('SIGKILL') ? 'SIGKILL' : 'SIGTERM');
  }

  private finish(result: ExitResult): void {
    if (this.ended) return;
    if (this.telemetry) {
      // A batch task's last spans and metrics leave before the plugin hears it ended.
      this.telemetry = undefined;
      void import('./telemetry.js')
        .then(({ flushPoolTelemetry }) => flushPoolTelemetry(3000))
        .finally(() => this.finish(result));
      return;
    }
    this.ended = true;
    try {
      writeExitFileSync(this.spec.exitFile, result);
    } catch {
      /* the plugin hears it below; a recovering one then sees no file (its task dir is gone?) */
    }
    this.send({ type: 'exit', taskId: this.id, exitCode: result.exitCode, signal: result.signal });
    this.release();
  }

  /** Closes the task's log FIFOs (logmon then sees EOF) and forgets the task. */
  private release(): void {
    this.ended = true;
    for (const handle of this.logs.splice(0)) void handle.close().catch(() => undefined);
    this.onEnd(this);
  }

  private progress(progress: Parameters<typeof progressReply>[1]): void {
    this.send(progressReply(this.id, progress));
  }

  private event(message: string): void {
    this.send({ type: 'event', taskId: this.id, message });
  }
}

function progressReply(taskId: string, progress: Extract<PoolReply, { type: 'progress' }>['progress']): PoolReply {
  return { type: 'progress', taskId, progress };
}

function checkWorld(component: PreparedComponent, spec: PooledLaunchSpec): void {
  if (spec.http && component.world !== 'http') {
    throw new DriverError(
      'COMPONENT_WORLD_UNSUPPORTED',
      'the task config sets `port`, but the component does not export wasi:http/incoming-handler (it is a wasi:cli command: remove `port`)',
    );
  }
  if (!spec.http && component.world === 'http') {
    throw new DriverError(
      'COMPONENT_WORLD_UNSUPPORTED',
      'the component is a wasi:http service: set `port = "<label>"` in the task config to serve it on an allocated port',
    );
  }
}
