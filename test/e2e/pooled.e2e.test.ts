// The pooled tier on a real Nomad 1.6.3 agent (plugin config
// isolation = "pooled"): a wasi:cli command and a wasi:http service run in
// one pool host process, `nomad alloc logs` shows each task's own output,
// stop works, and a plugin crash is recovered through the pool.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isDead, isRunning, taskState } from './support/alloc-state.js';
import { wasmJob } from './support/jobs.js';
import { nomadCli } from './support/nomad-cli.js';
import { useE2e } from './support/suite.js';
import { isAlive, pluginPids, taskHostPids } from './support/task-hosts.js';

const context = useE2e(() => ({ wasmPluginConfig: 'isolation = "pooled"' }));

/** The pool host processes of this agent (title "nomad-wasm-pool", working dir under its cache dir). */
function poolPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (
        cmdline.startsWith('nomad-wasm-pool') &&
        readlinkSync(`/proc/${entry}/cwd`).startsWith(context().agent.cacheDir)
      )
        pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

describe('pooled tier on a real Nomad agent', () => {
  it('runs a command and a service in one pool host: own logs, exit code, stop, and recovery after a plugin crash', async () => {
    const api = context().agent.api;
    const serviceJob = await api.runJobHcl(
      wasmJob(
        { id: 'pooled-http', type: 'service', component: 'hello-http', port: true },
        context().components.baseUrl,
      ),
    );
    const serving = await api.waitForAllocation(serviceJob, isRunning(), 'the pooled service to run');
    const port = serving.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
    const url = `http://${port?.HostIP}:${port?.Value}/`;
    expect(await (await fetch(url)).text()).toBe('hello from wasm\n');
    expect(await api.waitForTaskEvent(serviceJob, 't', /^Component started in pool host/)).toMatch(
      /^Component started in pool host \d+: wasi:http service listening on /,
    );

    const commandJob = await api.runJobHcl(
      wasmJob(
        { id: 'pooled-command', type: 'batch', component: 'hello-command', args: ['pooled'] },
        context().components.baseUrl,
      ),
    );
    const finished = await api.waitForAllocation(commandJob, isDead(), 'the pooled command to finish');
    expect(taskState(finished)?.Events.find((e) => e.Type === 'Terminated')?.ExitCode).toBe(0);
    expect(taskState(finished)?.Failed).toBe(false);

    // Both ran in the one pool host; neither has a task host of its own.
    const pools = poolPids();
    expect(pools).toHaveLength(1);
    expect(taskHostPids(serving.ID)).toEqual([]);
    expect(taskHostPids(finished.ID)).toEqual([]);

    // `nomad alloc logs`, as a user types it: each task's own output.
    const stdout = await nomadCli(context().agent, ['alloc', 'logs', finished.ID, 't']);
    expect(stdout).toMatchObject({ code: 0, stdout: 'hello from wasm\npooled\n' });
    const stderr = await nomadCli(context().agent, ['alloc', 'logs', '-stderr', finished.ID, 't']);
    expect(stderr.stdout).toBe('hello on stderr\n');
    expect((await nomadCli(context().agent, ['alloc', 'logs', serving.ID, 't'])).stdout).toBe('');

    // Plugin crash: the pool and its service live on; Nomad's new plugin recovers the task through the pool.
    const [plugin] = pluginPids(context().agent.dir);
    process.kill(plugin ?? 0, 'SIGKILL');
    expect(await (await fetch(url)).text()).toBe('hello from wasm\n');
    await api.signal(serving.ID, 't', 'SIGHUP').catch(async () => {
      await sleep(2_000);
      await api.signal(serving.ID, 't', 'SIGHUP');
    });
    expect(await api.waitForTaskEvent(serviceJob, 't', /instance replaced/)).toBe(
      'Component instance replaced (SIGHUP)',
    );
    expect(
      taskState(await api.waitForAllocation(serviceJob, isRunning(), 'the service to be running after recovery'))
        ?.Restarts,
    ).toBe(0);
    expect(poolPids()).toEqual(pools);

    // Stop drains and exits 0; the pool stays for the next start while the plugin runs.
    await api.stopJob(serviceJob);
    const stopped = await api.waitForAllocation(serviceJob, isDead(), 'the pooled service to stop', 30_000);
    expect(taskState(stopped)?.Events.find((e) => e.Type === 'Terminated')?.ExitCode).toBe(0);
    // Nothing listens on its port any more (refused, not merely slow).
    await expect(fetch(url)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    expect(isAlive(pools[0] ?? 0)).toBe(true);
  });
});
