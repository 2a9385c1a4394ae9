// Tasks survive the agent and the plugin: graceful agent restarts, agent
// crashes (reattach), plugin crashes (re-dispense + RecoverTask), and a task
// that exits while no plugin is watching.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Allocation } from './support/nomad-api.js';
import { wasmJob } from './support/jobs.js';
import { isAlive, pluginPids, taskHostPids } from './support/task-hosts.js';
import { useE2e } from './support/suite.js';
import { isDead, isRunning, taskState } from './support/alloc-state.js';

const context = useE2e();

const state = (a: Allocation) => taskState(a);
const running = isRunning();
const dead = isDead();

interface Running {
  jobId: string;
  alloc: Allocation;
  pid: number;
}

async function startTicker(id: string, args: string[] = []): Promise<Running> {
  const jobId = await context().agent.api.runJobHcl(
    wasmJob({ id, type: 'service', component: 'ticker', args }, context().components.baseUrl),
  );
  const alloc = await context().agent.api.waitForAllocation(jobId, running, `${id} to run`);
  const [pid] = taskHostPids(alloc.ID, 't');
  if (pid === undefined) throw new Error(`no task host for ${id}`);
  return { jobId, alloc, pid };
}

async function startHttp(id: string): Promise<Running & { url: string }> {
  const jobId = await context().agent.api.runJobHcl(
    wasmJob({ id, type: 'service', component: 'hello-http', port: true }, context().components.baseUrl),
  );
  const alloc = await context().agent.api.waitForAllocation(jobId, running, `${id} to run`);
  const [pid] = taskHostPids(alloc.ID, 't');
  const port = alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
  if (pid === undefined || !port) throw new Error(`no task host or port for ${id}`);
  return { jobId, alloc, pid, url: `http://${port.HostIP}:${port.Value}/` };
}

function tickCount(log: string): number {
  return log.match(/tick \d+/g)?.length ?? 0;
}

/** After a restart: same process, still running, never restarted, still logging. */
async function expectSurvived(task: Running): Promise<void> {
  expect(isAlive(task.pid)).toBe(true);
  const alloc = await context().agent.api.waitForAllocation(task.jobId, running, 'task to be running after recovery');
  expect(state(alloc)?.Restarts).toBe(0);
  expect(taskHostPids(task.alloc.ID, 't')).toEqual([task.pid]);
}

async function expectStillLogging(task: Running): Promise<void> {
  const before = tickCount(await context().agent.api.logs(task.alloc.ID, 't', 'stdout'));
  await sleep(2_500);
  expect(tickCount(await context().agent.api.logs(task.alloc.ID, 't', 'stdout'))).toBeGreaterThan(before);
}

async function stopAndExpectGone(task: Running): Promise<Allocation> {
  await context().agent.api.stopJob(task.jobId);
  const alloc = await context().agent.api.waitForAllocation(task.jobId, dead, 'task to stop', 30_000);
  expect(isAlive(task.pid)).toBe(false);
  expect(taskHostPids(task.alloc.ID)).toEqual([]);
  return alloc;
}

describe('task recovery on a real Nomad agent', () => {
  it('graceful agent restart: the plugin is shut down, a new one recovers the running tasks', async () => {
    const ticker = await startTicker('graceful-ticker');
    const http = await startHttp('graceful-http');
    await context().agent.stop();
    // Nothing of ours may depend on the agent: tasks keep running while it is down.
    expect(isAlive(ticker.pid) && isAlive(http.pid)).toBe(true);
    expect((await fetch(http.url)).status).toBe(200);
    await context().agent.restart();
    await expectSurvived(ticker);
    await expectSurvived(http);
    await expectStillLogging(ticker);
    expect(await (await fetch(http.url)).text()).toBe('hello from wasm\n');
    // Stopping through the recovered handle: the HTTP service drains and exits 0.
    const stopped = await stopAndExpectGone(http);
    expect(state(stopped)?.Events.find((e) => e.Type === 'Terminated')?.ExitCode).toBe(0);
    await stopAndExpectGone(ticker);
  });

  it('agent crash (SIGKILL): the new agent reattaches to the running plugin; tasks continue', async () => {
    const ticker = await startTicker('crash-ticker');
    const plugins = pluginPids(context().agent.dir);
    expect(plugins).toHaveLength(1);
    const [plugin] = plugins;
    await context().agent.kill();
    expect(isAlive(plugin ?? 0)).toBe(true); // plugins outlive a crashed agent, for reattach
    await context().agent.restart();
    await expectSurvived(ticker);
    await expectStillLogging(ticker);
    expect(pluginPids(context().agent.dir)).toContain(plugin);
    await stopAndExpectGone(ticker);
  });

  it('plugin crash (SIGKILL): Nomad starts a new plugin, which recovers the task from its handle', async () => {
    const ticker = await startTicker('plugin-crash-ticker');
    const before = pluginPids(context().agent.dir);
    expect(before).toHaveLength(1);
    process.kill(before[0] ?? 0, 'SIGKILL');
    await expectStillLogging(ticker);
    // The next RPC (stats, stop) finds the plugin gone; Nomad re-dispenses and calls RecoverTask.
    await sleep(3_000);
    await expectSurvived(ticker);
    const stopped = await stopAndExpectGone(ticker);
    // The new plugin is not the task host's parent: it learns the signal it sent (SIGINT) from the state dir.
    expect(state(stopped)?.Events.find((e) => e.Type === 'Terminated')?.Signal).toBe(2);
    expect(pluginPids(context().agent.dir).filter((pid) => !before.includes(pid))).toHaveLength(1);
  });

  it('plugin crash: events of a running task host reach Nomad through the new plugin', async () => {
    const http = await startHttp('plugin-crash-events');
    const before = pluginPids(context().agent.dir);
    process.kill(before[0] ?? 0, 'SIGKILL');
    // The signal RPC makes Nomad start a new plugin, which recovers the task
    // and re-opens its control channel; the event may be sent before that
    // and waits in the task host.
    // Until Nomad has a new plugin it answers "plugin is shut down": asked again until it has one (a loaded machine takes seconds).
    for (let attempt = 1; ; attempt++) {
      try {
        await context().agent.api.signal(http.alloc.ID, 't', 'SIGHUP');
        break;
      } catch (err) {
        if (attempt >= 30) throw err;
        await sleep(2_000);
      }
    }
    expect(await context().agent.api.waitForTaskEvent(http.jobId, 't', /instance replaced/)).toBe(
      'Component instance replaced (SIGHUP)',
    );
    await expectSurvived(http);
    await stopAndExpectGone(http);
  });

  it('a task that exits while no plugin watches: its exit code is still reported after recovery', async () => {
    const ticker = await startTicker('exit-while-down', ['3']);
    await context().agent.stop(); // plugin shut down too
    await sleep(5_000); // the ticker prints 3 ticks and exits 0 meanwhile
    expect(isAlive(ticker.pid)).toBe(false);
    await context().agent.restart();
    const alloc = await context().agent.api.waitForAllocation(
      ticker.jobId,
      dead,
      'recovered exit to be reported',
      30_000,
    );
    const terminated = state(alloc)?.Events.find((e) => e.Type === 'Terminated');
    expect(terminated?.ExitCode).toBe(0);
    expect(tickCount(await context().agent.api.logs(ticker.alloc.ID, 't', 'stdout'))).toBe(3);
  });
});
