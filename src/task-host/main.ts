// Entry of a task host: the detached process that runs one task's component.
//
// Started by the plugin (src/task/launcher.ts) with the task's log FIFOs as
// stdout/stderr, the launch spec on stdin and a progress pipe on fd 3. It
// outlives the plugin; before exiting it records its exit status in a file
// so that a restarted plugin can still report it to Nomad.
//
// Start time matters (StartTask waits for "ready"): only what every task
// needs is imported statically; the runtime is imported once the spec is
// read, after V8's compile cache is switched on (see enableCodeCache), and
// only the half for the task's world (a command never loads node:http).
//
// Started with --spare, it is a spare the plugin keeps ready for the next
// StartTask: it loads the runtime while it waits for a spec, opens the log
// FIFOs named in the spec itself, and exits quietly if the plugin goes away
// (stdin closes) before sending one.
// First: no inspector on SIGUSR1 from here on (hardening/ignore-inspector-signal.ts).
import '../hardening/ignore-inspector-signal.js';
import { closeSync, fstatSync, writeSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { DriverError, codedMessage, describeError, errorCodeOf } from '../errors.js';
import { exitedWithCode, failedWith, writeExitFileSync, type ExitResult } from '../ipc/exit-status.js';
import { parsePrewarmArg, PROGRESS_FD, type LaunchSpec, type ProgressMessage } from '../ipc/launch-spec.js';
import { readLaunchSpec } from './launch-input.js';
import { openLogSink } from '../ipc/log-fifo.js';
import type { PreparedComponent } from '../runtime/component-cache.js';
import type { LinearMemoryMeter } from '../runtime/linear-memory-meter.js';
import { notice, taskOutput, useTaskOutput } from '../runtime/task-output.js';
import type { Grants } from '../ipc/grants.js';
import type { TaskSecrets } from './secrets.js';
import type { DroppableTokenSource } from '../vault/token-source.js';
import type { CommandWorkerData, CommandWorkerResult } from './command-worker.js';
import { CONTROL_SOCKET_NAME } from '../ipc/control-protocol.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { useGrantedServices } from './granted-services.js';
import type { HostTelemetry } from './telemetry.js';

const progress = openProgressChannel();

/** How long a stopping service with Vault secrets drains before its leases are revoked anyway. */
const REVOKE_AFTER_MS = 1500;

/**
 * fd 3 is the progress pipe when the plugin started us. Started any other
 * way, Node's own event loop takes fd 3 (its epoll descriptor) before this
 * code runs, and writing there aborts the process: only a pipe or socket is ours.
 */
function openProgressChannel(): { fd: number | undefined } {
  try {
    // The plugin's 'pipe' is a socketpair; a FIFO would do as well.
    const info = fstatSync(PROGRESS_FD);
    return { fd: info.isSocket() || info.isFIFO() ? PROGRESS_FD : undefined };
  } catch {
    return { fd: undefined };
  }
}

/**
 * Synchronous on purpose: a fast command may finish and exit right after
 * "ready", and an asynchronous write would be lost with the process.
 */
function report(message: ProgressMessage): void {
  if (progress.fd === undefined) return;
  try {
    writeSync(progress.fd, `${JSON.stringify(message)}\n`);
  } catch {
    progress.fd = undefined; // the plugin is gone (EPIPE): nobody to tell
  }
}

/** After "ready" or "failed" the plugin stops listening; release the pipe. */
function closeProgress(): void {
  if (progress.fd === undefined) return;
  try {
    closeSync(progress.fd);
  } catch {
    /* already closed */
  }
  progress.fd = undefined;
}

const SPARE = process.argv.includes('--spare');

/** A spare loads the runtime while it waits; the imports resolve to the same modules later. */
function preloadRuntime(): Promise<unknown> {
  if (!SPARE) return Promise.resolve();
  // In the background: a start of another component does not wait for it.
  const hint = parsePrewarmArg(process.argv);
  if (hint) {
    void import('../runtime/prewarm.js').then(({ prewarm }) => prewarm(hint)).catch(() => undefined); // best effort: the start does the work itself
  }
  return Promise.all([
    import('../runtime/component-cache.js'),
    import('../runtime/run-command.js'),
    import('../runtime/serve-http.js'),
    // The WASI 0.3 runners and host too: a spare does not know which release its task will be.
    import('../runtime/run-command-p3.js'),
    import('../runtime/serve-http-p3.js'),
    // On a node with a vault block: node-vault and axios (~100-250 ms to load here).
    process.argv.includes('--preload-vault')
      ? import('../vault/vault-client.js').then(({ loadVaultLibrary }) => loadVaultLibrary())
      : undefined,
    // On a node with telemetry: the OpenTelemetry SDK (the exporter is loaded once the spec names it).
    process.argv.includes('--preload-telemetry') ? import('./telemetry.js') : undefined,
  ]);
}

/** Kept referenced: a FileHandle that is garbage collected closes its fd. */
const logSinks: unknown[] = [];

async function openLogs(paths: NonNullable<LaunchSpec['logPaths']>): Promise<void> {
  const stdout = await openLogSink(paths.stdout);
  const stderr = await openLogSink(paths.stderr);
  logSinks.push(stdout, stderr);
  useTaskOutput(stdout.fd, stderr.fd);
}

/**
 * Node's on-disk compile cache, next to the component cache: every task host
 * compiles the same driver modules and, per digest, the same jco glue
 * (~1 MB of JS for a JavaScript component); with the cache V8 reuses the
 * code instead. A cache that cannot be used only costs the compile.
 */
function enableCodeCache(cacheDir: string): void {
  try {
    enableCompileCache(join(cacheDir, 'node-compile-cache'));
  } catch {
    /* compile as usual */
  }
}

async function main(): Promise<void> {
  if (SPARE) process.title = 'nomad-wasm-spare';
  const [input] = await Promise.all([text(process.stdin), preloadRuntime()]);
  if (SPARE && input === '') process.exit(0); // the plugin went away: no task for this spare
  const { spec, vaultToken } = readLaunchSpec(input);
  process.title = `nomad-wasm-task ${spec.taskId}`;
  const grants: Grants = spec.grants;
  enableCodeCache(spec.cacheDir);

  let component: PreparedComponent;
  let control: ControlServer;
  let secrets: TaskSecrets | undefined;
  let telemetry: HostTelemetry | undefined;
  // Loaded while the component loads; started once its world is known.
  const telemetryModule = spec.telemetry ? import('./telemetry.js') : undefined;
  try {
    if (spec.logPaths) await openLogs(spec.logPaths);
    control = await openControl(spec.stateDir);
    useGrantedServices(grants.services, spec.services, control);
    const events = control;
    const phases = new StartPhases();
    const [prepared, fetched] = await prepareAndFetchSecrets(spec, vaultToken, phases, events);
    secrets = fetched.status === 'fulfilled' ? fetched.value : undefined;
    if (fetched.status === 'rejected') throw fetched.reason;
    if (prepared.status === 'rejected') throw prepared.reason;
    component = prepared.value;
    checkWorld(component, spec);
    if (spec.telemetry && telemetryModule) {
      const { startHostTelemetry, forwardToPlugin } = await telemetryModule;
      telemetry = await startHostTelemetry(
        spec.telemetry,
        { digest: component.digest, world: component.world },
        (message) => notice(message),
        spec.telemetry.settings.prometheus ? forwardToPlugin((message) => events.send(message)) : undefined,
      );
      phases.replay(telemetry.task);
    }
  } catch (err) {
    // The task will not run: its leases go back now, not at their TTL.
    await secrets?.revokeAll();
    report({
      type: 'failed',
      code: err instanceof DriverError ? err.code : 'TASK_HOST_FAILED',
      message: describeError(err),
    });
    closeProgress();
    process.exit(1);
    return;
  }

  if (!component.glueSyncCalls || !component.glueStateHooks) await reportGlue(component, spec, control);

  if (spec.http) {
    await runHttpService(spec, component, grants, control, secrets, telemetry);
  } else if (secrets) {
    await runCommandWithSecrets(spec, component, grants, secrets, control, telemetry);
  } else {
    await runCommandTask(spec, component, grants, telemetry);
  }
}

/**
 * The component, compiled or from the node's cache, and the task's Vault
 * secrets: read at the same time, neither waits for the other. Both
 * outcomes come back, so that secrets already leased can be given back when
 * the component fails.
 */
function prepareAndFetchSecrets(
  spec: LaunchSpec,
  vaultToken: DroppableTokenSource | undefined,
  phases: StartPhases,
  events: ControlServer,
): Promise<[PromiseSettledResult<PreparedComponent>, PromiseSettledResult<TaskSecrets | undefined>]> {
  const grants = spec.grants;
  return Promise.allSettled([
    import('../runtime/component-cache.js').then(({ prepareComponent }) =>
      phases.time(
        (compiled) => (compiled ? 'compile' : 'cache-hit'),
        (seen) =>
          prepareComponent(
            spec.componentPath,
            spec.cacheDir,
            (phase) => {
              if (phase === 'compiling') seen();
              report({ type: 'phase', phase });
            },
            spec.componentDigest,
          ),
      ),
    ),
    spec.vault && vaultToken
      ? import('./secrets.js').then(({ startSecrets }) =>
          phases.time(
            () => 'vault',
            () =>
              startSecrets(
                vaultOf(spec),
                vaultToken,
                grants.config,
                (message, annotations) => events.publishEvent(message, annotations),
                spec.telemetry ? phases.vaultHooks : undefined,
                (grants.keyValueStores ?? []).flatMap((store) => (store.tokenSecret ? [store.tokenSecret] : [])),
              ),
          ),
        )
      : undefined,
  ]);
}

/**
 * The start phases the task host times (compile or cache hit, Vault),
 * recorded as spans once telemetry is started (it needs the component's
 * world first); and the Vault client's operations, told to telemetry from
 * then on.
 */
class StartPhases {
  private readonly done: { phase: string; startMs: number; endMs: number }[] = [];
  private readonly early: Array<(task: import('../telemetry/task-telemetry.js').TaskTelemetry) => void> = [];
  private target: import('../telemetry/task-telemetry.js').TaskTelemetry | undefined;

  /** What the Vault client tells: forwarded once telemetry runs, kept until then. */
  readonly vaultHooks = {
    vault: (
      operation: 'read' | 'renew' | 'revoke' | 'rotate',
      attributes: Record<string, string | number | boolean>,
    ): ((outcome: { error?: unknown; attributes?: Record<string, string | number | boolean> }) => void) => {
      if (this.target) return this.target.vault(operation, attributes);
      const startMs = Date.now();
      return (outcome) => this.early.push((task) => task.vaultAt(operation, attributes, startMs, Date.now(), outcome));
    },
  };

  async time<T>(name: (flag: boolean) => string, work: (flag: () => void) => Promise<T>): Promise<T> {
    const startMs = Date.now();
    let flag = false;
    const result = await work(() => (flag = true));
    this.done.push({ phase: name(flag), startMs, endMs: Date.now() });
    return result;
  }

  replay(task: import('../telemetry/task-telemetry.js').TaskTelemetry): void {
    this.target = task;
    for (const { phase, startMs, endMs } of this.done) task.phase(phase, startMs, endMs);
    for (const record of this.early.splice(0)) record(task);
  }
}

/** A glue the rewrites did not recognise: said at every start, in the task's log and as a coded event. */
async function reportGlue(component: PreparedComponent, spec: LaunchSpec, control: ControlServer): Promise<void> {
  const { glueNotice } = await import('../runtime/glue-notice.js');
  const message = glueNotice(component, spec.http !== undefined && spec.grants.httpInstance === 'per-request');
  if (message === undefined) return;
  notice(message);
  control.publishEvent(message, { code: 'GLUE_REWRITE_UNAVAILABLE' });
}

/** The ready message's mark of a WASI 0.3 component. */
function p3(component: PreparedComponent): { wasi?: '0.3' } {
  return component.wasi === '0.3' ? { wasi: '0.3' } : {};
}

function vaultOf(spec: LaunchSpec): NonNullable<LaunchSpec['vault']> {
  if (!spec.vault) throw new DriverError('TASK_HOST_FAILED', 'launch spec has no vault section');
  return spec.vault;
}

/**
 * The control socket lives in the task's private state dir, which becomes
 * our working directory so that the plugin reaches it by a short path
 * (/proc/<pid>/cwd/control.sock); nothing else here uses the cwd.
 */
async function openControl(stateDir: string): Promise<ControlServer> {
  process.chdir(stateDir);
  return startControlServer(CONTROL_SOCKET_NAME);
}

function checkWorld(component: PreparedComponent, spec: LaunchSpec): void {
  if (spec.http && component.world !== 'http') {
    throw new DriverError(
      'COMPONENT_WORLD_UNSUPPORTED',
      'the task config sets `port`, but the component exports no wasi:http handler (it is a wasi:cli command: remove `port`)',
    );
  }
  if (!spec.http && component.world === 'http') {
    throw new DriverError(
      'COMPONENT_WORLD_UNSUPPORTED',
      'the component is a wasi:http service: set `port = "<label>"` in the task config to serve it on an allocated port',
    );
  }
}

async function runCommandTask(
  spec: LaunchSpec,
  component: PreparedComponent,
  grants: Grants,
  telemetry: HostTelemetry | undefined,
): Promise<void> {
  // SIGINT/SIGTERM/SIGQUIT keep their default action: a command cannot observe
  // signals (WASI 0.2 has none) and the guest may be blocking the thread.
  // Signals whose default would kill are ignored instead, and said so.
  for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
    process.on(signal, () => notice(`received ${signal}: wasi:cli commands cannot observe signals; ignored`));
  }
  const { runCommand } = await import('../runtime/run-command.js');
  report({ type: 'ready', world: 'command', digest: component.digest, ...p3(component) });
  closeProgress();
  let result: ExitResult;
  try {
    result = exitedWithCode(
      await runCommand(component, grants, undefined, taskOutput, undefined, telemetry?.task, spec.keyValue),
    );
  } catch (err) {
    // After "ready": StartTask has returned, so the code travels with the exit (Nomad's "Exit Message").
    notice(`command failed: ${codedMessage(err)}`);
    result = failedWith(codedMessage(err));
  }
  // Before the exit status is written: Nomad may tear the task down as soon as it is.
  await telemetry?.flush();
  writeExitFileSync(spec.exitFile, result);
  process.exit(result.exitCode);
}

/**
 * A command with Vault secrets runs in a worker thread (command-worker.ts):
 * this thread keeps renewing its leases, and revokes them when the command
 * ends or is stopped. Stopped, the task host then dies of the same signal,
 * as a command without secrets does.
 */
async function runCommandWithSecrets(
  spec: LaunchSpec,
  component: PreparedComponent,
  grants: Grants,
  secrets: TaskSecrets,
  control: ControlServer,
  telemetry: HostTelemetry | undefined,
): Promise<void> {
  for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
    process.on(signal, () => notice(`received ${signal}: wasi:cli commands cannot observe signals; ignored`));
  }
  const stop = (signal: NodeJS.Signals): void => {
    notice(`received ${signal}: revoking the task's Vault leases and stopping`);
    void secrets.revokeAll().finally(() => {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const) process.once(signal, stop);
  const [{ Worker }, { shareSecrets }] = await Promise.all([
    import('node:worker_threads'),
    import('./shared-secrets.js'),
  ]);
  const shared = shareSecrets(secrets.store, (bytes) =>
    control.publishEvent(
      `Secret values (${bytes} bytes) are too large to share with the command; it keeps the previous ones`,
      { code: 'VAULT_SECRET_INVALID' },
    ),
  );
  const worker = new Worker(new URL('./command-worker.js', import.meta.url), {
    workerData: {
      component,
      grants,
      secrets: shared,
      stdout: taskOutput.stdout,
      stderr: taskOutput.stderr,
      ...(spec.telemetry ? { telemetry: spec.telemetry } : {}),
      ...(spec.keyValue ? { keyValue: spec.keyValue } : {}),
    } satisfies CommandWorkerData,
    env: {},
  });
  report({ type: 'ready', world: 'command', digest: component.digest, ...p3(component) });
  closeProgress();
  const result = await new Promise<ExitResult>((resolve) => {
    worker.once('message', (done: CommandWorkerResult) =>
      resolve(done.err === undefined ? exitedWithCode(done.code) : failedWith(done.err)),
    );
    worker.once('error', (err) => {
      notice(`command failed: ${codedMessage(err)}`);
      resolve(failedWith(codedMessage(err)));
    });
    worker.once('exit', () => resolve(exitedWithCode(1)));
  });
  await secrets.revokeAll();
  await telemetry?.flush();
  writeExitFileSync(spec.exitFile, result);
  process.exit(result.exitCode);
}

async function runHttpService(
  spec: LaunchSpec,
  component: PreparedComponent,
  grants: Grants,
  control: ControlServer,
  secrets: TaskSecrets | undefined,
  telemetry: HostTelemetry | undefined,
): Promise<void> {
  const listen = spec.http;
  if (!listen) return;
  let service;
  try {
    const { serveHttp } = await import('../runtime/serve-http.js');
    let meter: LinearMemoryMeter | undefined;
    if (telemetry?.sdk.meter) {
      const { LinearMemoryMeter } = await import('../runtime/linear-memory-meter.js');
      const measured = new LinearMemoryMeter();
      telemetry.task.observeMemory(() => measured.measure());
      meter = measured;
    }
    service = await serveHttp(
      component,
      grants,
      listen,
      secrets?.store,
      taskOutput,
      meter,
      telemetry?.task,
      spec.keyValue,
    );
  } catch (err) {
    await secrets?.revokeAll();
    // Listen errors are typed (serve-http.ts): anything untyped is unexpected, not a busy port.
    const code = errorCodeOf(err);
    report({ type: 'failed', code, message: describeError(err) });
    closeProgress();
    process.exit(1);
    return;
  }
  const running = service;
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    notice(`received ${signal}: draining in-flight requests and stopping`);
    const drained = running.close();
    // Leases are revoked once the requests are done, or after a short wait
    // at most: within kill_timeout even if a request hangs.
    const revoked = secrets
      ? Promise.race([drained, sleep(REVOKE_AFTER_MS)]).then(() => secrets.revokeAll())
      : Promise.resolve();
    void Promise.all([drained, revoked])
      .then(() => telemetry?.flush())
      .finally(() => {
        writeExitFileSync(spec.exitFile, exitedWithCode(0));
        process.exit(0);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGQUIT', stop);
  process.on('SIGHUP', () => {
    notice('received SIGHUP: replacing the component instance');
    running.reload().then(
      () => control.publishEvent('Component instance replaced (SIGHUP)'),
      (err: unknown) => {
        notice(`reload failed, keeping the old instance: ${describeError(err)}`);
        control.publishEvent(`Reload failed, keeping the old instance: ${describeError(err)}`, {
          code: errorCodeOf(err),
        });
      },
    );
  });
  for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) {
    process.on(signal, () => notice(`received ${signal}: wasi:http components cannot observe signals; ignored`));
  }
  report({ type: 'ready', world: 'http', digest: component.digest, port: running.port, ...p3(component) });
  closeProgress();
}

main().catch((err: unknown) => {
  notice(`task host failed: ${codedMessage(err)}`);
  report({ type: 'failed', code: 'TASK_HOST_FAILED', message: describeError(err) });
  process.exit(1);
});
