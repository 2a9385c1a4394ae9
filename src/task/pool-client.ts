// The plugin's handle on one pool host process (`isolation = "pooled"`):
// spawns it (detached, its own session, like a task host) or re-attaches to
// it after a plugin restart by pid and /proc start time, and speaks the pool
// protocol (pool-protocol.ts) on its control socket.
//
// A pooled task ends by an `exit` reply. When the pool process itself ends
// (killed by the plugin because a task blocked it past its kill_timeout, a
// crash, the OOM killer), every task still in it ends too: each reports its
// exit status file if it wrote one, or SIGKILL with the reason.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { DriverError, ERROR_CATALOGUE, codedText, type ErrorCode } from '../errors.js';
import { parseMessage } from '../ipc/control-protocol.js';
import { HOST_NODE_FLAGS } from '../ipc/host-node-flags.js';
import { killedBySignal, readExitFile, type ExitResult } from '../ipc/exit-status.js';
import type { ProgressMessage } from '../ipc/launch-spec.js';
import { killGroup } from './launcher.js';
import { poolSocketPath, type PooledLaunchSpec, type PoolReply, type PoolRequest } from '../ipc/pool-protocol.js';
import { isSameProcessAlive, sampleProcess, type ProcessSample } from './proc-stat.js';
import { signalNumber } from '../ipc/signals.js';
import { hardenedNodeCommand } from '../hardening/node-flags.js';

const POOL_HOST_ENTRY = fileURLToPath(new URL('../pool-host/main.js', import.meta.url));
const POLL_INTERVAL_MS = 200;
const LISTEN_TIMEOUT_MS = 30_000;
const LAST_WORDS_BYTES = 600;

type Ready = Extract<ProgressMessage, { type: 'ready' }>;

interface PendingStart {
  readonly onProgress: (message: ProgressMessage) => void;
  readonly resolve: (ready: Ready) => void;
  readonly reject: (err: DriverError) => void;
}

interface Watch {
  readonly exitFile: string;
  readonly resolve: (result: ExitResult) => void;
}

export class PoolClient {
  /** Tasks started or running here (for placement). */
  private readonly members = new Set<string>();
  private readonly starts = new Map<string, PendingStart>();
  private readonly watches = new Map<string, Watch>();
  private readonly pongs = new Map<number, () => void>();
  private readonly statsReplies = new Map<number, (memory: { bytes: number; peakBytes: number }) => void>();
  /** Exits that arrived before anyone watched (a fast command's exit follows its ready at once). */
  private readonly unwatched = new Map<string, ExitResult>();
  /** What the pool runs, as far as it told us (its `tasks` reply, then ready and exit); unknown before it answered. */
  private running: Set<string> | undefined;
  private socket: Socket | undefined;
  private nextPing = 1;
  private retired = false;
  /** Why the plugin killed this pool, for the tasks that end with it. */
  private killReason: string | undefined;
  private endedWith: string | undefined;
  /** The tail of pool.log, read when the pool ended. */
  private finalWords = '';
  readonly ended: Promise<void>;
  private markEnded!: () => void;

  private constructor(
    readonly pid: number,
    readonly startTicks: number,
    private readonly dir: string | undefined,
    private readonly log: Logger,
  ) {
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  /** Starts a pool host under `cacheDir/pools/` and connects to it. */
  static async spawn(cacheDir: string, log: Logger): Promise<PoolClient> {
    const dir = join(cacheDir, 'pools', `${Date.now()}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const logFd = openSync(join(dir, 'pool.log'), 'a', 0o600);
    let child;
    try {
      // No core dumps, no SIGUSR1 inspector, as for a task host (hardening/node-flags.ts).
      const command = hardenedNodeCommand(HOST_NODE_FLAGS, POOL_HOST_ENTRY, [`--cache-dir=${cacheDir}`]);
      child = spawn(command.file, command.args, {
        detached: true,
        stdio: ['ignore', 'ignore', logFd, 'pipe'],
        // Nothing of the plugin's environment (the agent's!) reaches the pool.
        env: {},
        cwd: dir,
      });
    } finally {
      closeSync(logFd);
    }
    child.unref();
    const pid = child.pid;
    if (pid === undefined)
      throw new DriverError('POOL_HOST_FAILED', 'could not spawn the pool host process (node binary missing?)');
    const exited = new Promise<string>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
    );
    const sample = await sampleProcess(pid);
    const pool = new PoolClient(pid, sample?.startTicks ?? 0, dir, log);
    const progress = child.stdio[3] as Readable;
    const timeout = new AbortController();
    try {
      await Promise.race([
        new Promise<void>((resolve) =>
          createInterface({ input: progress })
            .once('line', () => resolve())
            .on('error', () => undefined),
        ),
        exited.then((how) =>
          Promise.reject(
            new DriverError('POOL_HOST_FAILED', `pool host exited before it listened (${how})${pool.lastWords()}`),
          ),
        ),
        sleep(LISTEN_TIMEOUT_MS, undefined, { signal: timeout.signal }).then(() =>
          Promise.reject(
            new DriverError('POOL_HOST_FAILED', `pool host did not listen within ${LISTEN_TIMEOUT_MS} ms`),
          ),
        ),
      ]);
    } catch (err) {
      killGroup(pid, 'SIGKILL');
      throw err;
    } finally {
      timeout.abort(); // the timer must not keep the plugin (or a script) waiting
      progress.destroy();
    }
    void exited.then((how) => pool.onEnded(how));
    await pool.connect();
    return pool;
  }

  /** A pool found again in a recovered task's driver state (it is not our child any more). */
  static attach(pid: number, startTicks: number, log: Logger): PoolClient {
    let dir: string | undefined;
    try {
      dir = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      dir = undefined; // gone already: its tasks end from their exit files
    }
    const pool = new PoolClient(pid, startTicks, dir, log);
    void pool.watchForeign();
    void pool.connect().catch(() => undefined);
    return pool;
  }

  get alive(): boolean {
    return this.endedWith === undefined;
  }

  /** Alive and not retired: may take new tasks. */
  get open(): boolean {
    return this.alive && !this.retired;
  }

  /**
   * Lets an empty pool go: the plugin disconnects, and a pool with no task
   * and no plugin exits by itself (pool-host/main.ts).
   */
  retire(): void {
    this.retired = true;
    this.socket?.destroy();
  }

  /** Tasks started or running in this pool. */
  get load(): number {
    return this.members.size;
  }

  /** Sends the spec and waits until the pool reports the component ready, or failed. */
  start(spec: PooledLaunchSpec, onProgress: (message: ProgressMessage) => void, timeoutMs: number): Promise<Ready> {
    this.members.add(spec.taskId);
    const ready = new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A start the pool may still get to must not run unseen.
        this.send({ type: 'signal', taskId: spec.taskId, signal: 'SIGKILL' });
        fail(
          new DriverError(
            'POOL_HOST_FAILED',
            `component was not ready within ${timeoutMs} ms (is a guest holding the pool host's thread?)`,
          ),
        );
      }, timeoutMs);
      const fail = (err: DriverError): void => {
        clearTimeout(timer);
        this.starts.delete(spec.taskId);
        this.members.delete(spec.taskId);
        reject(err);
      };
      this.starts.set(spec.taskId, {
        onProgress,
        resolve: (message) => {
          clearTimeout(timer);
          this.starts.delete(spec.taskId);
          resolve(message);
        },
        reject: fail,
      });
    });
    if (!this.send({ type: 'start', spec }))
      this.starts
        .get(spec.taskId)
        ?.reject(
          new DriverError(
            'POOL_HOST_FAILED',
            this.endedWith ? `the pool host ended: ${this.endedWith}` : 'the pool host is not connected',
          ),
        );
    return ready;
  }

  /** How a task of this pool ends: its `exit` reply, or the pool's end. */
  watch(taskId: string, exitFile: string): Promise<ExitResult> {
    const early = this.unwatched.get(taskId);
    if (early) {
      this.unwatched.delete(taskId);
      return Promise.resolve(early);
    }
    this.members.add(taskId);
    return new Promise((resolve) => {
      this.watches.set(taskId, { exitFile, resolve });
      if (!this.alive || (this.running !== undefined && !this.running.has(taskId))) void this.settle(taskId);
    });
  }

  signal(taskId: string, signal: string): void {
    signalNumber(signal); // unknown names fail here, as for a task host
    this.send({ type: 'signal', taskId, signal });
  }

  /** Whether the pool answers within `timeoutMs` (a guest holding its thread keeps it from answering). */
  async responsive(timeoutMs: number): Promise<boolean> {
    const id = this.nextPing++;
    const answered = new Promise<boolean>((resolve) => this.pongs.set(id, () => resolve(true)));
    if (!this.send({ type: 'ping', id })) return false;
    const result = await Promise.race([answered, sleep(timeoutMs).then(() => false)]);
    this.pongs.delete(id);
    return result;
  }

  /** Kills the whole pool: every task in it ends, with `reason`. */
  kill(reason: string): void {
    this.killReason ??= reason;
    this.log.warn({ pool_pid: this.pid, reason }, 'killing pool host');
    killGroup(this.pid, 'SIGKILL');
  }

  /** The pool process's own sample (CPU and memory of every task in it). */
  async sample(): Promise<ProcessSample | undefined> {
    if (!this.alive) return undefined;
    return sampleProcess(this.pid);
  }

  /** A task's linear memory, as the pool measures it; undefined when the pool does not answer in time. */
  async linearMemory(taskId: string, timeoutMs: number): Promise<{ bytes: number; peakBytes: number } | undefined> {
    const id = this.nextPing++;
    const answered = new Promise<{ bytes: number; peakBytes: number }>((resolve) => this.statsReplies.set(id, resolve));
    if (!this.send({ type: 'stats', taskId, id })) return undefined;
    const result = await Promise.race([answered, sleep(timeoutMs).then(() => undefined)]);
    this.statsReplies.delete(id);
    return result;
  }

  private send(request: PoolRequest): boolean {
    if (!this.socket || this.socket.destroyed) return false;
    this.socket.write(`${JSON.stringify(request)}\n`);
    return true;
  }

  /** Connects, and reconnects while the pool lives (a dropped connection, a plugin restart). */
  private async connect(): Promise<void> {
    for (let delay = 20; this.alive; delay = Math.min(delay * 2, 1000)) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(poolSocketPath(this.pid));
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (socket) {
        this.serve(socket);
        return;
      }
      if (!(await isSameProcessAlive(this.pid, this.startTicks))) return;
      await sleep(delay);
    }
  }

  private serve(socket: Socket): void {
    socket.removeAllListeners('error');
    this.socket = socket;
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.log.debug({ pool_pid: this.pid, err: err.code ?? err.message }, 'pool connection'),
    );
    socket.once('close', () => {
      if (this.socket === socket) this.socket = undefined;
      if (this.alive && !this.retired) void sleep(POLL_INTERVAL_MS).then(() => this.connect());
    });
    createInterface({ input: socket })
      .on('line', (line) => {
        const reply = parseMessage<PoolReply>(line);
        if (reply) this.onReply(reply);
      })
      .on('error', () => undefined); // re-emitted socket errors; handled above
  }

  private onReply(reply: PoolReply): void {
    switch (reply.type) {
      case 'progress': {
        const pending = this.starts.get(reply.taskId);
        if (!pending) return;
        const progress = reply.progress;
        if (progress.type === 'ready') {
          this.running?.add(reply.taskId);
          pending.resolve(progress);
        } else if (progress.type === 'failed')
          pending.reject(new DriverError(knownCode(progress.code), progress.message));
        else pending.onProgress(progress);
        return;
      }
      case 'exit': {
        this.members.delete(reply.taskId);
        if (this.members.size === 0) this.onEmpty?.(this);
        this.running?.delete(reply.taskId);
        const result: ExitResult =
          reply.signal > 0
            ? killedBySignal(reply.signal)
            : { exitCode: reply.exitCode, signal: 0, oomKilled: false, ...(reply.err ? { err: reply.err } : {}) };
        const watch = this.watches.get(reply.taskId);
        this.watches.delete(reply.taskId);
        if (watch) watch.resolve(result);
        else this.unwatched.set(reply.taskId, result);
        return;
      }
      case 'event':
        this.onEvent?.(reply.taskId, reply.message, reply.annotations ?? {});
        return;
      case 'tasks': {
        // A recovering plugin: tasks it watches that the pool no longer runs ended meanwhile.
        const running = new Set(reply.running);
        this.running = running;
        for (const taskId of [...this.watches.keys()]) if (!running.has(taskId)) void this.settle(taskId);
        return;
      }
      case 'pong':
        this.pongs.get(reply.id)?.();
        return;
      case 'stats':
        this.statsReplies.get(reply.id)?.({ bytes: reply.linearMemoryBytes, peakBytes: reply.peakLinearMemoryBytes });
        return;
    }
  }

  /** Called when the pool's last task has ended; set by the pool set. */
  onEmpty: ((pool: PoolClient) => void) | undefined;

  /** Task events the pool raises (a reload after SIGHUP); set by the pool set. */
  onEvent: ((taskId: string, message: string, annotations: Readonly<Record<string, string>>) => void) | undefined;

  /** Ends a watched task from its exit status file, or as killed with the pool's end as the reason. */
  private async settle(taskId: string): Promise<void> {
    const watch = this.watches.get(taskId);
    if (!watch) return;
    this.watches.delete(taskId);
    this.members.delete(taskId);
    const written = await readExitFile(watch.exitFile).catch(() => undefined);
    if (written !== undefined) {
      watch.resolve(written);
      return;
    }
    const why = this.endedWith
      ? `${this.killReason ?? `the pool host process ${this.pid} ended (${this.endedWith}: a crash, the OOM killer or a kill from outside)`}; every task in the pool ended with it${this.finalWords}`
      : `the pool host process ${this.pid} no longer runs this task and it left no exit status`;
    watch.resolve(killedBySignal(signalNumber('SIGKILL'), codedText('POOL_HOST_FAILED', why)));
  }

  private onEnded(how: string): void {
    if (this.endedWith !== undefined) return;
    this.endedWith = how;
    // Read once, then the pool's dir goes: the last words travel in every task's exit error.
    this.finalWords = this.lastWords();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.socket?.destroy();
    for (const pending of [...this.starts.values()])
      pending.reject(
        new DriverError(
          'POOL_HOST_FAILED',
          `the pool host ended (${how}) before the component was ready${this.finalWords}`,
        ),
      );
    for (const taskId of [...this.watches.keys()]) void this.settle(taskId);
    this.markEnded();
  }

  private async watchForeign(): Promise<void> {
    while (await isSameProcessAlive(this.pid, this.startTicks)) await sleep(POLL_INTERVAL_MS);
    this.onEnded('it is gone');
  }

  /** The tail of pool.log (Node's own last words, e.g. a heap exhaustion), when we know where it is. */
  private lastWords(): string {
    if (!this.dir) return '';
    try {
      const text = readFileSync(join(this.dir, 'pool.log'), 'utf8').trim();
      return text ? `; pool.log ends: ${text.slice(-LAST_WORDS_BYTES)}` : '';
    } catch {
      return '';
    }
  }
}

function knownCode(code: string): ErrorCode {
  return code in ERROR_CATALOGUE ? (code as ErrorCode) : 'TASK_HOST_FAILED';
}
