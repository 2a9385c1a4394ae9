// Entry of a pool host: the detached process that runs several pooled tasks
// (`isolation = "pooled"`), each a HostedTask, all in this one thread.
//
// Started by the plugin (src/task/pool-client.ts) in its own session, with
// its working directory the pool's private dir, stderr a log file there
// (pool.log: what Node alone would print, a crash trace), and a pipe on
// fd 3 on which it says once that its control socket listens. It outlives
// the plugin like a task host; it exits when it runs no task and no plugin
// is connected.
import { appendFileSync, closeSync, rmSync, writeSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { PROGRESS_FD } from '../ipc/launch-spec.js';
import { POOL_SOCKET_NAME, type PooledLaunchSpec, type PoolReply } from '../ipc/pool-protocol.js';
import { forgetComponentsExcept, retainOtherComponents } from '../runtime/instantiate.js';
import { startPoolServer } from './pool-server.js';
import { HostedTask } from './hosted-task.js';

const CACHE_DIR_ARG = '--cache-dir=';
const UNUSED_EXIT_MS = 30_000;

/** Node's compile cache next to the component cache, as a task host enables it. */
function enableCodeCache(): void {
  const arg = process.argv.find((a) => a.startsWith(CACHE_DIR_ARG));
  if (!arg) return;
  try {
    enableCompileCache(join(arg.slice(CACHE_DIR_ARG.length), 'node-compile-cache'));
  } catch {
    /* compile as usual */
  }
}

async function main(): Promise<void> {
  process.title = 'nomad-wasm-pool';
  enableCodeCache();
  retainOtherComponents();
  // A last line in pool.log (our stderr) before an uncaught error ends every task here.
  process.on('uncaughtExceptionMonitor', (err) => {
    try {
      appendFileSync(2, `pool host: uncaught ${err.stack ?? String(err)}\n`);
    } catch {
      /* nowhere to write */
    }
  });
  const tasks = new Map<string, HostedTask>();
  const server = await startPoolServer(POOL_SOCKET_NAME, {
    running: () => [...tasks.keys()],
    start: (spec: PooledLaunchSpec) => {
      if (tasks.has(spec.taskId)) {
        server.send({
          type: 'progress',
          taskId: spec.taskId,
          progress: {
            type: 'failed',
            code: 'TASK_ALREADY_STARTED',
            message: `task ${spec.taskId} already runs in this pool`,
          },
        });
        return;
      }
      const task = new HostedTask(
        spec,
        (reply: PoolReply) => server.send(reply),
        (ended) => {
          if (tasks.get(ended.id) === ended) tasks.delete(ended.id);
          // Compiled code is kept for the components still running here and the one that ended (started again often).
          const kept = [...tasks.values(), ended].map((t) => t.component).filter((c) => c !== undefined);
          forgetComponentsExcept(kept);
          exitWhenUnused();
        },
        () => tasks.size,
      );
      tasks.set(spec.taskId, task);
      void task.start();
    },
    signal: (taskId, signal) => {
      try {
        tasks.get(taskId)?.signal(signal);
      } catch {
        /* an unknown signal name: the plugin checked it already */
      }
    },
    memory: (taskId) => tasks.get(taskId)?.memory.measure() ?? { bytes: 0, peakBytes: 0 },
    onIdle: () => exitWhenUnused(),
  });
  const exitWhenUnused = (): void => {
    if (tasks.size !== 0 || server.connections !== 0) return;
    // A clean end leaves nothing behind; a crash leaves the dir, with pool.log.
    rmSync(process.cwd(), { recursive: true, force: true });
    process.exit(0);
  };
  // Loaded now, so that the first start does not wait for them.
  await Promise.all([
    import('../runtime/component-cache.js'),
    import('../runtime/run-command.js'),
    import('../runtime/serve-http.js'),
  ]);
  sayListening();
  // A pool no plugin ever connected to (the plugin died while starting it) does not stay.
  setTimeout(exitWhenUnused, UNUSED_EXIT_MS).unref();
}

/** One line on fd 3, then the pipe is let go: the plugin knows it may connect. */
function sayListening(): void {
  try {
    writeSync(PROGRESS_FD, `${JSON.stringify({ type: 'listening', pid: process.pid })}\n`);
    closeSync(PROGRESS_FD);
  } catch {
    /* started by hand: nobody waits */
  }
}

main().catch((err: unknown) => {
  appendFileSync(2, `pool host failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
