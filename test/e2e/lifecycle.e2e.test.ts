// Stop, signal, stats, exit codes and bad input, through a real Nomad agent.
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Allocation } from './support/nomad-api.js';
import { wasmJob, type WasmJobSpec } from './support/jobs.js';
import { isAlive, taskHostPids } from './support/task-hosts.js';
import { useE2e } from './support/suite.js';
import { isDead, isRunning, taskState } from './support/alloc-state.js';
import { nomadBinary } from './support/nomad-agent.js';
import { allocStatusEvents } from './support/nomad-cli.js';
import { EXEC_REFUSAL } from '../../src/plugin/exec-refusal.ts';

const context = useE2e();

const state = (a: Allocation) => taskState(a);
const dead = isDead();
const running = isRunning();

async function run(spec: WasmJobSpec): Promise<string> {
  return context().agent.api.runJobHcl(wasmJob(spec, context().components.baseUrl));
}

function eventsOf(a: Allocation): string[] {
  return state(a)?.Events.map((e) => `${e.Type}: ${e.DisplayMessage}`) ?? [];
}

/**
 * The "Driver Failure" description as `nomad alloc status` prints it, which
 * must carry the catalogue code: Nomad shows the gRPC error text of StartTask.
 */
async function driverFailure(a: Allocation): Promise<string> {
  const events = await allocStatusEvents(context().agent, a.ID);
  const failure = events.find((e) => e.type === 'Driver Failure');
  if (!failure) throw new Error(`no Driver Failure event; events: ${eventsOf(a).join('\n')}`);
  // What a user reads, for the test log.
  console.log(`nomad alloc status ${a.ID.slice(0, 8)}, Recent Events:\n${events.map((e) => e.line).join('\n')}`);
  return failure.description;
}

describe('task lifecycle on a real Nomad agent', () => {
  it('a failing command ends the task as failed with exit code 1', async () => {
    const jobId = await run({ id: 'exit-code', type: 'batch', component: 'exit-code', args: ['7'] });
    const alloc = await context().agent.api.waitForAllocation(jobId, dead, 'exit-code to finish');
    expect(state(alloc)?.Failed).toBe(true);
    expect(state(alloc)?.Events.find((e) => e.Type === 'Terminated')?.ExitCode).toBe(1);
    expect(await context().agent.api.logs(alloc.ID, 't', 'stdout')).toBe('exiting with 7\n');
  });

  it('deny by default: the component sees only granted env, no task secrets, no files', async () => {
    const jobId = await run({
      id: 'env-probe',
      type: 'batch',
      component: 'env-probe',
      env: { GREETING: 'hi' },
      passEnv: ['NOMAD_ALLOC_ID'],
      taskEnv: { SECRET_TOKEN: 's3cr3t', VAULT_TOKEN: 'hvs.fake' },
    });
    const alloc = await context().agent.api.waitForAllocation(jobId, dead, 'env-probe to finish');
    const stdout = await context().agent.api.logs(alloc.ID, 't', 'stdout');
    const vars = stdout
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .sort();
    expect(vars).toEqual(['GREETING=hi', `NOMAD_ALLOC_ID=${alloc.ID}`]);
    expect(stdout).not.toContain('s3cr3t');
    expect(stdout).toMatch(/open \/etc\/passwd: denied, errno \d+/);
  });

  it('nomad job stop: SIGINT (the kill_signal) itself ends a busy loop, no SIGKILL needed; no process left', async () => {
    // A kill_timeout far longer than the test waits: only SIGINT can have ended it.
    const jobId = await run({ id: 'spin', type: 'service', component: 'spin', killTimeout: '5m' });
    const alloc = await context().agent.api.waitForAllocation(jobId, running, 'spin to run');
    await context().agent.api.waitForLog(alloc.ID, 't', 'stdout', /spinning/);
    const pids = taskHostPids(alloc.ID, 't');
    expect(pids).toHaveLength(1);
    await context().agent.api.stopJob(jobId);
    const stopped = await context().agent.api.waitForAllocation(jobId, dead, 'spin to be stopped', 120_000);
    // SIGINT's default action ends a command whose guest never yields.
    expect(state(stopped)?.Events.find((e) => e.Type === 'Terminated')?.Signal).toBe(2);
    expect(isAlive(pids[0] ?? 0)).toBe(false);
  });

  it('nomad job stop: a kill_signal the task ignores (SIGHUP) is followed by SIGKILL once kill_timeout has passed', async () => {
    const jobId = await run({
      id: 'hup',
      type: 'service',
      component: 'ticker',
      killSignal: 'SIGHUP',
      killTimeout: '3s',
    });
    const alloc = await context().agent.api.waitForAllocation(jobId, running, 'ticker to run');
    await context().agent.api.waitForLog(alloc.ID, 't', 'stdout', /tick 1/);
    const pids = taskHostPids(alloc.ID, 't');
    await context().agent.api.stopJob(jobId);
    const stopped = await context().agent.api.waitForAllocation(jobId, dead, 'ticker to be killed', 120_000);
    const events = state(stopped)?.Events ?? [];
    expect(events.find((e) => e.Type === 'Terminated')?.Signal).toBe(9);
    // Not before the kill_timeout, by Nomad's own clock: from its kill event to the task's end.
    const killing = events.find((e) => e.Type === 'Killing')?.Time ?? 0;
    const terminated = events.find((e) => e.Type === 'Terminated')?.Time ?? 0;
    expect((terminated - killing) / 1e6).toBeGreaterThanOrEqual(3_000);
    expect(isAlive(pids[0] ?? 0)).toBe(false);
  });

  it('nomad alloc signal: SIGHUP to a command is ignored; it keeps running and logging', async () => {
    const jobId = await run({ id: 'ticker-signal', type: 'service', component: 'ticker' });
    const alloc = await context().agent.api.waitForAllocation(jobId, running, 'ticker to run');
    await context().agent.api.waitForLog(alloc.ID, 't', 'stdout', /tick 2/);
    await context().agent.api.signal(alloc.ID, 't', 'SIGHUP');
    const before = (await context().agent.api.logs(alloc.ID, 't', 'stdout')).match(/tick \d+/g)?.length ?? 0;
    await sleep(2_500);
    const after = (await context().agent.api.logs(alloc.ID, 't', 'stdout')).match(/tick \d+/g)?.length ?? 0;
    expect(after).toBeGreaterThan(before);
    const current = state(await context().agent.api.allocation(alloc.ID));
    expect(current?.State).toBe('running');
    expect(current?.Restarts).toBe(0);
    await context().agent.api.stopJob(jobId, true);
  });

  it('nomad alloc signal: SIGHUP to an HTTP service swaps in a fresh instance, says so as a task event, and keeps serving', async () => {
    const jobId = await run({ id: 'http-reload', type: 'service', component: 'hello-http', port: true });
    const alloc = await context().agent.api.waitForAllocation(jobId, running, 'http service to run');
    const port = alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
    await context().agent.api.signal(alloc.ID, 't', 'SIGHUP');
    const stderr = await context().agent.api.waitForLog(alloc.ID, 't', 'stderr', /received SIGHUP/);
    expect(stderr).toContain('replacing the component instance');
    // From the task host, over its control channel, into `nomad alloc status`.
    expect(await context().agent.api.waitForTaskEvent(jobId, 't', /instance replaced/)).toBe(
      'Component instance replaced (SIGHUP)',
    );
    const response = await fetch(`http://${port?.HostIP}:${port?.Value}/`);
    expect(await response.text()).toBe('hello from wasm\n');
    await context().agent.api.stopJob(jobId, true);
  });

  it('nomad alloc exec: the CLI and the HTTP API (websocket) both show why exec is refused', async () => {
    const jobId = await run({ id: 'http-exec', type: 'service', component: 'hello-http', port: true });
    const alloc = await context().agent.api.waitForAllocation(jobId, running, 'http service to run');
    // The websocket the CLI and the web UI use.
    const command = encodeURIComponent(JSON.stringify(['/bin/sh', '-c', 'true']));
    const url = `${context().agent.api.address.replace('http', 'ws')}/v1/client/allocation/${alloc.ID}/exec?task=t&tty=false&command=${command}`;
    const closed = await execSocketClose(url);
    // 1011, internal error, with the driver's reason (code and reason together: a failure shows both).
    expect({ code: closed.code, reason: closed.reason }).toEqual({
      code: 1011,
      reason: `rpc error: code = Unimplemented desc = [EXEC_NOT_SUPPORTED] ${EXEC_REFUSAL}`,
    });
    // The CLI, as a user types it.
    const cli = spawnSync(nomadBinary(), ['alloc', 'exec', '-task', 't', alloc.ID, '/bin/sh', '-c', 'true'], {
      env: { ...process.env, NOMAD_ADDR: context().agent.api.address },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain(
      `failed to exec into task: rpc error: code = Unimplemented desc = [EXEC_NOT_SUPPORTED] ${EXEC_REFUSAL}`,
    );
    expect(cli.stderr).not.toContain('unexpected EOF');
    await context().agent.api.stopJob(jobId, true);
  });

  it('nomad alloc status stats: real RSS and CPU of the task, marked as measured', async () => {
    const jobId = await run({ id: 'http-stats', type: 'service', component: 'hello-http', port: true });
    const alloc = await context().agent.api.waitForAllocation(jobId, running, 'http service to run');
    await sleep(2_500); // two collection intervals, so CPU has a delta
    const stats = await context().agent.api.taskStats(alloc.ID, 't');
    expect(stats.ResourceUsage.MemoryStats.RSS).toBeGreaterThan(10 * 1024 * 1024);
    expect(stats.ResourceUsage.MemoryStats.Measured).toContain('RSS');
    expect(stats.ResourceUsage.CpuStats.Measured).toEqual(expect.arrayContaining(['Percent', 'Total Ticks']));
    await context().agent.api.stopJob(jobId, true);
  });

  it('a malformed config fails only that task, with a message naming the field; the driver stays healthy', async () => {
    const jobId = await run({
      id: 'bad-config',
      type: 'batch',
      component: 'hello-command',
      rawConfig: 'component = "local/hello-command.wasm"\n        port = "nope"',
    });
    const alloc = await context().agent.api.waitForAllocation(jobId, dead, 'bad config to fail');
    expect(state(alloc)?.Failed).toBe(true);
    expect(await driverFailure(alloc)).toMatch(
      /^rpc error: code = FailedPrecondition desc = \[TASK_CONFIG_INVALID\] invalid task config: config field "port": no port labelled "nope"/,
    );
    const node = await context().agent.api.firstNode();
    expect(node?.Drivers['wasm']?.Healthy).toBe(true);
  });

  it('a component missing from the task dir fails with the path in the message', async () => {
    const jobId = await run({
      id: 'missing',
      type: 'batch',
      component: 'hello-command',
      rawConfig: 'component = "local/nothere.wasm"',
    });
    const alloc = await context().agent.api.waitForAllocation(jobId, dead, 'missing component to fail');
    expect(await driverFailure(alloc)).toMatch(
      /^rpc error: code = FailedPrecondition desc = \[COMPONENT_NOT_FOUND\] component "local\/nothere.wasm" not found in the task dir/,
    );
  });

  it('a core module that is no preview1 command (a Go reactor) fails with WASI_PREVIEW1_NOT_A_COMMAND', async () => {
    const jobId = await run({ id: 'reactor-module', type: 'batch', component: 'reactor-go' });
    const alloc = await context().agent.api.waitForAllocation(jobId, dead, 'reactor module to fail');
    expect(await driverFailure(alloc)).toMatch(
      /^rpc error: code = FailedPrecondition desc = \[WASI_PREVIEW1_NOT_A_COMMAND\] \S+\/local\/reactor-go\.wasm is a WASI preview1 reactor \(it exports _initialize and no _start\)/,
    );
  });

  it('a non-Wasm file fails as COMPONENT_INVALID, and a good task still runs afterwards', async () => {
    const jobId = await run({ id: 'not-wasm', type: 'batch', component: 'not-wasm' });
    const alloc = await context().agent.api.waitForAllocation(jobId, dead, 'non-wasm to fail');
    expect(await driverFailure(alloc)).toMatch(
      /^rpc error: code = FailedPrecondition desc = \[COMPONENT_INVALID\] \S+\/local\/not-wasm\.wasm is not WebAssembly/,
    );
    const good = await run({ id: 'after-bad', type: 'batch', component: 'hello-command' });
    const done = await context().agent.api.waitForAllocation(good, dead, 'good task to finish');
    expect(state(done)?.Failed).toBe(false);
  });
});

/**
 * How Nomad closes an exec websocket. The task is "running" in the servers'
 * view a moment before the client's alloc runner has its exec handler, and
 * Nomad then closes with 1008 and `task "t" not started yet.` or `is not
 * running.` (seen on a loaded machine): only those are asked again.
 */
async function execSocketClose(url: string): Promise<CloseEvent> {
  for (let attempt = 1; ; attempt++) {
    const socket = new WebSocket(url);
    const closed = await new Promise<CloseEvent>((resolve) => socket.addEventListener('close', resolve));
    const notYet = closed.code === 1008 && /not started yet|is not running/.test(closed.reason);
    if (!notYet || attempt === 20) return closed;
    await sleep(500);
  }
}
