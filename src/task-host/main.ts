// Entry of a task host: the detached process that runs one task's component.
//
// Started by the plugin (src/task/launcher.ts) with the task's log FIFOs as
// stdout/stderr, the launch spec on stdin and a progress pipe on fd 3. It
// outlives the plugin; before exiting it records its exit status in a file
// so that a restarted plugin can still report it to Nomad.
import { createWriteStream, fstatSync } from 'node:fs';
import { Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { DriverError, describeError } from '../errors.js';
import { exitedWithCode, writeExitFileSync } from '../task/exit-status.js';
import { PROGRESS_FD, type LaunchSpec, type ProgressMessage } from '../task/launch-spec.js';
import { prepareComponent, type PreparedComponent } from '../runtime/component-cache.js';
import { runCommand } from '../runtime/run-command.js';
import { serveHttp } from '../runtime/serve-http.js';
import type { Grants } from '../runtime/grants.js';

const progress = openProgressChannel();

/**
 * fd 3 is the progress pipe when the plugin started us. Started any other
 * way, Node's own event loop takes fd 3 (its epoll descriptor) before this
 * code runs, and writing there aborts the process: only a pipe is ours.
 */
function openProgressChannel(): Writable {
  let isPipe = false;
  try {
    isPipe = fstatSync(PROGRESS_FD).isFIFO();
  } catch {
    isPipe = false;
  }
  if (!isPipe) return new Writable({ write: (_chunk, _encoding, done) => done() });
  const stream = createWriteStream('', { fd: PROGRESS_FD });
  stream.on('error', () => undefined); // the plugin may be gone already
  return stream;
}

function report(message: ProgressMessage): void {
  progress.write(`${JSON.stringify(message)}\n`);
}

/** Task-host notices go to the task's stderr log, marked as ours. */
function notice(message: string): void {
  process.stderr.write(`[nomad-driver-wasm] ${message}\n`);
}

async function main(): Promise<void> {
  const spec = JSON.parse(await text(process.stdin)) as LaunchSpec;
  process.title = `nomad-wasm-task ${spec.taskId}`;
  const grants: Grants = { args: [...spec.args], env: { ...spec.env } };

  let component: PreparedComponent;
  try {
    component = await prepareComponent(spec.componentPath, spec.cacheDir, (phase) => report({ type: 'phase', phase }));
    checkWorld(component, spec);
  } catch (err) {
    report({ type: 'failed', code: err instanceof DriverError ? err.code : 'TASK_HOST_FAILED', message: describeError(err) });
    progress.end(() => process.exit(1));
    return;
  }

  if (spec.http) {
    await runHttpService(spec, component, grants);
  } else {
    await runCommandTask(spec, component, grants);
  }
}

function checkWorld(component: PreparedComponent, spec: LaunchSpec): void {
  if (spec.http && component.world !== 'http') {
    throw new DriverError('COMPONENT_WORLD_UNSUPPORTED', 'the task config sets `port`, but the component does not export wasi:http/incoming-handler (it is a wasi:cli command: remove `port`)');
  }
  if (!spec.http && component.world === 'http') {
    throw new DriverError('COMPONENT_WORLD_UNSUPPORTED', 'the component is a wasi:http service: set `port = "<label>"` in the task config to serve it on an allocated port');
  }
}

async function runCommandTask(spec: LaunchSpec, component: PreparedComponent, grants: Grants): Promise<void> {
  // SIGINT/SIGTERM/SIGQUIT keep their default action: a command cannot observe
  // signals (WASI 0.2 has none) and the guest may be blocking the thread.
  // Signals whose default would kill are ignored instead, and said so.
  for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
    process.on(signal, () => notice(`received ${signal}: wasi:cli commands cannot observe signals; ignored`));
  }
  report({ type: 'ready', world: 'command', digest: component.digest });
  progress.end();
  const code = await runCommand(component, grants);
  writeExitFileSync(spec.exitFile, exitedWithCode(code));
  process.exit(code);
}

async function runHttpService(spec: LaunchSpec, component: PreparedComponent, grants: Grants): Promise<void> {
  const listen = spec.http;
  if (!listen) return;
  let service;
  try {
    service = await serveHttp(component, grants, listen);
  } catch (err) {
    const code = err instanceof DriverError ? err.code : 'HTTP_LISTEN_FAILED';
    report({ type: 'failed', code, message: describeError(err) });
    progress.end(() => process.exit(1));
    return;
  }
  const running = service;
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    notice(`received ${signal}: draining in-flight requests and stopping`);
    void running.close().finally(() => {
      writeExitFileSync(spec.exitFile, exitedWithCode(0));
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGQUIT', stop);
  process.on('SIGHUP', () => {
    notice('received SIGHUP: replacing the component instance');
    running.reload().catch((err: unknown) => notice(`reload failed, keeping the old instance: ${describeError(err)}`));
  });
  for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) {
    process.on(signal, () => notice(`received ${signal}: wasi:http components cannot observe signals; ignored`));
  }
  report({ type: 'ready', world: 'http', digest: component.digest, port: running.port });
  progress.end();
}

main().catch((err: unknown) => {
  notice(`task host failed: ${describeError(err)}`);
  report({ type: 'failed', code: 'TASK_HOST_FAILED', message: describeError(err) });
  process.exit(1);
});
