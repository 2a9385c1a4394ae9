// WASI preview1 modules built by the Go toolchain (GOOS=wasip1), and the
// bad inputs of issue 17, on a real Nomad 1.6.3 agent, as a user runs them:
// `nomad job run`, `nomad alloc status`, `nomad alloc logs`, `nomad alloc fs`,
// curl. Every refused job fails with its coded message while a service
// started first keeps answering.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDead, isRunning, taskState } from './support/alloc-state.ts';
import { wasmJob, type WasmJobSpec } from './support/jobs.ts';
import { nomadCli, nomadJobRun } from './support/nomad-cli.ts';
import type { Allocation } from './support/nomad-api.ts';
import { REPO_ROOT } from './support/nomad-agent.ts';
import { useE2e } from './support/suite.ts';

const context = useE2e();
const dead = isDead();

async function runJob(spec: WasmJobSpec): Promise<Allocation> {
  await nomadJobRun(context().agent, spec.id, wasmJob(spec, context().components.baseUrl));
  return context().agent.api.waitForAllocation(spec.id, dead, `${spec.id} to end`, 120_000);
}

async function cli(...args: string[]): Promise<string> {
  const result = await nomadCli(context().agent, args);
  if (result.code !== 0) throw new Error(`nomad ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const driverFailure = (alloc: Allocation): string =>
  taskState(alloc)?.Events.find((e) => e.Type === 'Driver Failure')?.DisplayMessage ?? '';

describe('a Go program built with GOOS=wasip1, as a Nomad batch job', () => {
  it('gets its args and env, and writes stdout and stderr to nomad alloc logs', async () => {
    const alloc = await runJob({
      id: 'go-hello',
      type: 'batch',
      component: 'wasip1-probe',
      args: ['env', 'GREETING', 'NOMAD_ALLOC_ID'],
      env: { GREETING: 'hello from the job' },
    });
    expect(taskState(alloc)?.Failed).toBe(false);
    expect(await cli('alloc', 'logs', alloc.ID, 't')).toBe('GREETING=hello from the job\nNOMAD_ALLOC_ID unset\n');
    const hello = await runJob({ id: 'go-stdio', type: 'batch', component: 'wasip1-probe', args: ['hello'] });
    expect(await cli('alloc', 'logs', hello.ID, 't')).toBe('hello from Go on wasip1\n');
    expect(await cli('alloc', 'logs', '-stderr', hello.ID, 't')).toBe('a line on stderr\n');
    // The first start of the module on the node adapted it; the second found it in the node's cache.
    const first = taskState(alloc)?.Events.map((e) => e.DisplayMessage) ?? [];
    expect(first).toContain('Adapting a WASI preview1 module into a component (the preview1 command adapter of jco)');
    const second = taskState(hello)?.Events.map((e) => e.DisplayMessage) ?? [];
    expect(second).toContain('Using compiled component from the node cache');
  });

  it("ends with os.Exit's code: nomad alloc status shows Exit Code 3", async () => {
    const alloc = await runJob({ id: 'go-exit', type: 'batch', component: 'wasip1-probe', args: ['exit', '3'] });
    expect(taskState(alloc)?.Failed).toBe(true);
    expect(taskState(alloc)?.Events.find((e) => e.Type === 'Terminated')?.ExitCode).toBe(3);
    expect(await cli('alloc', 'status', alloc.ID)).toMatch(/Terminated\s+Exit Code: 3/);
    expect(await cli('alloc', 'logs', alloc.ID, 't')).toBe('exiting with 3\n');
  });

  it('reads a mount its job grants and writes where it is granted read-write', async () => {
    const read = await runJob({
      id: 'go-mount-read',
      type: 'batch',
      component: 'wasip1-probe',
      args: ['read', '/data/greeting.txt'],
      extraTask: `template {
        data        = "rendered by Nomad for Go\\n"
        destination = "local/data/greeting.txt"
      }`,
      extraConfig: `mount {
          source      = "local/data"
          destination = "/data"
        }`,
    });
    expect(await cli('alloc', 'logs', read.ID, 't')).toBe('rendered by Nomad for Go\n');
    const write = await runJob({
      id: 'go-mount-write',
      type: 'batch',
      component: 'wasip1-probe',
      args: ['write', '/shared/out.txt', 'written by Go'],
      extraConfig: `mount {
          source      = "alloc/data"
          destination = "/shared"
          readonly    = false
        }`,
    });
    expect(taskState(write)?.Failed).toBe(false);
    expect(await cli('alloc', 'fs', write.ID, 'alloc/data/out.txt')).toBe('written by Go');
  });

  it("stays under its memory ceiling: 40 MiB fit in 64, 200 MiB end in Go's out-of-memory error", async () => {
    const fits = await runJob({ id: 'go-mem-ok', type: 'batch', component: 'wasip1-probe', args: ['alloc', '40'] });
    expect(await cli('alloc', 'logs', fits.ID, 't')).toBe('allocated 40 MiB\n');
    const over = await runJob({ id: 'go-mem-over', type: 'batch', component: 'wasip1-probe', args: ['alloc', '200'] });
    expect(taskState(over)?.Events.find((e) => e.Type === 'Terminated')?.ExitCode).toBe(2);
    expect(await cli('alloc', 'logs', '-stderr', over.ID, 't')).toMatch(/out of memory/);
  });
});

describe('bad input fails its task with a coded message; every other task keeps running', () => {
  it('a preview1 reactor, a module with a non-WASI import, a truncated module, a Spin app whose store is not granted', async () => {
    const { api } = context().agent;
    const service: WasmJobSpec = { id: 'bystander', type: 'service', component: 'hello-http', port: true };
    await nomadJobRun(context().agent, service.id, wasmJob(service, context().components.baseUrl));
    const serving = await api.waitForAllocation('bystander', isRunning(), 'the bystander to run', 60_000);
    const port = serving.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
    const curl = (): string => execFileSync('curl', ['-s', `http://127.0.0.1:${port?.Value}/`], { encoding: 'utf8' });
    expect(curl()).toBe('hello from wasm\n');

    const reactor = await runJob({ id: 'bad-reactor', type: 'batch', component: 'reactor-go' });
    expect(driverFailure(reactor)).toMatch(
      /\[WASI_PREVIEW1_NOT_A_COMMAND\] .*reactor-go\.wasm is a WASI preview1 reactor \(it exports _initialize and no _start\)/,
    );
    const foreign = await runJob({ id: 'bad-import', type: 'batch', component: 'host-import-go' });
    expect(driverFailure(foreign)).toMatch(
      /\[WASI_PREVIEW1_IMPORT_UNSUPPORTED\] .*imports env\.host_log, which is not WASI preview1/,
    );
    const truncated = await runJob({ id: 'bad-truncated', type: 'batch', component: 'truncated-go' });
    expect(driverFailure(truncated)).toMatch(/\[COMPONENT_INVALID\] .*is a truncated or corrupt WebAssembly module/);

    // The test app's own spin.toml asks for key-value store "default"; this job grants none.
    const manifest = readFileSync(join(REPO_ROOT, 'test/components/python/spin-py-app/spin.toml'), 'utf8');
    const spin = await runJob({
      id: 'bad-spin-store',
      type: 'service',
      component: 'spin-py-app',
      port: true,
      memoryMb: 256,
      extraTask: `template {
        data            = <<EOF
${manifest}EOF
        destination     = "local/spin.toml"
        left_delimiter  = "<%%"
        right_delimiter = "%%>"
      }`,
      extraConfig: `allow_http    = ["api.example.com"]
        config_values = { greeting = "hello", api_token = "not secret here" }
        spin {
          manifest = "local/spin.toml"
        }`,
    });
    expect(driverFailure(spin)).toContain(
      '[SPIN_GRANT_MISSING] the task does not grant what component "spin-py-app" of local/spin.toml asks for: key-value store "default": add key_value_store "default" { consul_prefix = "<prefix in Consul KV>" }',
    );

    // Nothing of that touched the service or the plugin.
    expect(curl()).toBe('hello from wasm\n');
    const still = await api.allocation(serving.ID);
    expect(taskState(still)?.State).toBe('running');
    expect(taskState(still)?.Restarts).toBe(0);
    expect((await api.firstNode())?.Drivers?.['wasm']?.Healthy).toBe(true);
    await api.stopJob('bystander', true);
  }, 300_000);
});
