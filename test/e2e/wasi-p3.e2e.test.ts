// WASI 0.3 components on a real Nomad 1.6.3 agent, as a user runs them:
// `nomad job run` of the example jobs (jobs/wasi-p3-*.nomad.hcl: Python
// built by componentize-py 0.25.1), curl against the allocated port,
// `nomad alloc status / logs / signal`, and a 0.3 component importing an
// interface the driver does not host, which fails with its code while the
// service keeps running.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isDead, isRunning, taskState } from './support/alloc-state.js';
import { exampleJob, wasmJob } from './support/jobs.js';
import { nomadCli, nomadJobRun } from './support/nomad-cli.js';
import { useE2e } from './support/suite.js';

const context = useE2e();
const exec = promisify(execFile);

async function curl(...args: string[]): Promise<string> {
  const { stdout } = await exec('curl', ['-sS', '--max-time', '30', ...args]);
  return stdout;
}

/** `curl --data-binary @-`: the body on stdin (too large for an argument). */
function curlPost(body: string, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--max-time', '30', '--data-binary', '@-', url]);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited ${code}`))));
    child.stdin.end(body);
  });
}

/** `nomad job run -var …` of an example job, as its header says. */
async function runExample(file: string): Promise<void> {
  const hcl = exampleJob(file).replace(
    /variable "artifact_base_url" \{[\s\S]*?\n\}/,
    `variable "artifact_base_url" {\n  type    = string\n  default = "${context().components.baseUrl}"\n}`,
  );
  await nomadJobRun(context().agent, file.replace(/\.nomad\.hcl$/, ''), hcl);
}

describe('WASI 0.3 components on a real Nomad agent', () => {
  it('a 0.3 service: nomad job run, curl, alloc status, alloc logs, alloc signal, job stop', async () => {
    const api = context().agent.api;
    await runExample('wasi-p3-http.nomad.hcl');
    const alloc = await api.waitForAllocation('wasm-p3-http', isRunning('server'), 'the 0.3 service to run', 120_000);
    const port = alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
    const url = `http://${port?.HostIP}:${port?.Value}`;

    expect(await curl(`${url}/`)).toBe('hello from python on wasi 0.3\n');
    expect(await curl(`${url}/env?name=GREETING`)).toBe('hello from the job');
    expect(await curl(`${url}/config?key=app.name`)).toBe('wasm-p3-http');
    const body = 'x'.repeat(300_000);
    expect(await curlPost(body, `${url}/echo`)).toBe(body);
    // Trailers reach the client at the end of a chunked body (curl --raw shows them).
    expect(await curl('--raw', `${url}/trailers`)).toMatch(/\r\n0\r\nx-checksum: [0-9a-f]{64}\r\n\r\n$/);

    const status = await nomadCli(context().agent, ['alloc', 'status', alloc.ID]);
    expect(status.stdout).toMatch(/Component started: WASI 0\.3 wasi:http service listening on \S+ \(one shared/);

    expect(await curl(`${url}/log`)).toBe('logged\n');
    const logs = await api.waitForLog(alloc.ID, 'server', 'stderr', /wasi 0\.3 stream/);
    expect(logs).toContain('stderr line from python (wasi 0.3 stream)\n');
    const stdout = await nomadCli(context().agent, ['alloc', 'logs', alloc.ID, 'server']);
    expect(stdout.stdout).toContain('stdout line from python (wasi 0.2 print)\n');

    await curl(`${url}/counter`);
    expect((await curl(`${url}/counter`)).split(' ')[0]).toBe('2');
    expect((await nomadCli(context().agent, ['alloc', 'signal', '-s', 'SIGHUP', alloc.ID, 'server'])).code).toBe(0);
    expect(await api.waitForTaskEvent('wasm-p3-http', 'server', /instance replaced/)).toBe(
      'Component instance replaced (SIGHUP)',
    );
    expect((await curl(`${url}/counter`)).split(' ')[0]).toBe('1');

    expect((await nomadCli(context().agent, ['job', 'stop', '-detach', 'wasm-p3-http'])).code).toBe(0);
    const stopped = await api.waitForAllocation('wasm-p3-http', isDead('server'), 'the 0.3 service to stop', 30_000);
    expect(taskState(stopped, 'server')?.Events.find((e) => e.Type === 'Terminated')?.ExitCode).toBe(0);
  });

  it('a 0.3 command: reads its mount through wasi:filesystem@0.3; its exit code reaches Nomad', async () => {
    const api = context().agent.api;
    await runExample('wasi-p3-command.nomad.hcl');
    const done = await api.waitForAllocation('wasm-p3-command', isDead('list'), 'the 0.3 command to finish', 120_000);
    expect(taskState(done, 'list')?.Failed).toBe(false);
    const logs = await nomadCli(context().agent, ['alloc', 'logs', done.ID, 'list']);
    expect(logs.stdout).toBe("written by Nomad's template block\n");

    const failing = wasmJob(
      { id: 'p3-exit', type: 'batch', component: 'command-p3', args: ['exit', '3'], memoryMb: 256 },
      context().components.baseUrl,
    );
    await nomadJobRun(context().agent, 'p3-exit', failing);
    const exited = await api.waitForAllocation('p3-exit', isDead(), 'the exiting command', 120_000);
    expect(taskState(exited)?.Events.find((e) => e.Type === 'Terminated')?.ExitCode).toBe(3);
    const status = await nomadCli(context().agent, ['alloc', 'status', exited.ID]);
    expect(status.stdout).toMatch(/Exit Code: 3/);
  });

  it('a 0.3 component importing an interface the driver does not host fails with a message naming it; a service keeps running', async () => {
    const api = context().agent.api;
    const serving = wasmJob(
      { id: 'p3-keeps-serving', type: 'service', component: 'hello-http-p3', port: true },
      context().components.baseUrl,
    );
    await nomadJobRun(context().agent, 'p3-keeps-serving', serving);
    const running = await api.waitForAllocation('p3-keeps-serving', isRunning(), 'the 0.3 WAT service');
    const port = running.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
    const url = `http://${port?.HostIP}:${port?.Value}/`;
    expect(await curl(url)).toBe('hello from wasm\n');

    const bad = wasmJob(
      { id: 'p3-middleware', type: 'service', component: 'p3-middleware', port: true },
      context().components.baseUrl,
    );
    await nomadJobRun(context().agent, 'p3-middleware', bad);
    const failed = await api.waitForAllocation('p3-middleware', isDead(), 'the middleware to fail', 60_000);
    const status = await nomadCli(context().agent, ['alloc', 'status', failed.ID]);
    expect(status.stdout).toMatch(
      /Driver Failure +.*the component imports interfaces this driver does not provide: wasi:http\/handler@0\.3\.0 \(not hosted by the WASI 0\.3 host\)/,
    );
    expect(taskState(failed)?.Failed).toBe(true);
    expect(await curl(url)).toBe('hello from wasm\n');
    await api.stopJob('p3-keeps-serving', true);
  });
});
