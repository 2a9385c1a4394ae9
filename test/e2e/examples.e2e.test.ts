// The example jobs in jobs/, run as a user would run them, on a real Nomad agent.
import { describe, expect, it } from 'vitest';
import { exampleJob } from './support/jobs.js';
import { useE2e } from './support/suite.js';
import { isDead, isRunning } from './support/alloc-state.js';

const context = useE2e();
const taskDone = isDead;
const taskRunning = isRunning;

describe('jobs/ examples on a real Nomad agent', () => {
  it('the node advertises the wasm driver as detected and healthy, with its version', async () => {
    const node = await context().agent.api.firstNode();
    expect(node?.Drivers['wasm']?.Detected).toBe(true);
    expect(node?.Drivers['wasm']?.Healthy).toBe(true);
    expect(node?.Drivers['wasm']?.Attributes?.['driver.wasm.version']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('hello-batch: exits 0, stdout and stderr reach `nomad alloc logs`, driver events are shown', async () => {
    const api = context().agent.api;
    const jobId = await api.runJobHcl(exampleJob('hello-batch.nomad.hcl'), {
      artifact_base_url: context().components.baseUrl,
    });
    const alloc = await api.waitForAllocation(jobId, taskDone('hello'), 'hello task to finish');
    const state = alloc.TaskStates?.['hello'];
    expect(state?.Failed).toBe(false);
    const terminated = state?.Events.find((e) => e.Type === 'Terminated');
    expect(terminated?.ExitCode).toBe(0);
    expect(await api.logs(alloc.ID, 'hello', 'stdout')).toBe('hello from wasm\nfrom\nnomad\n');
    expect(await api.logs(alloc.ID, 'hello', 'stderr')).toBe('hello on stderr\n');
    const driverEvents = state?.Events.filter((e) => e.Type === 'Driver').map((e) => e.DisplayMessage) ?? [];
    // Audit evidence first: exactly what the job granted (names, never values).
    expect(driverEvents[0]).toBe(
      'Grants: env=GREETING mounts=none outbound_http=none sockets=none memory_max_mib=64 http_instance=shared services=none',
    );
    expect(driverEvents[1]).toBe('Loading component local/hello-command.wasm');
    expect(driverEvents.some((m) => /^Compiling component|^Using compiled component/.test(m))).toBe(true);
    expect(driverEvents.at(-1)).toBe('Component started: wasi:cli command running');
  });

  it('hello-http: serves 200 on the allocated port and is registered as a healthy Nomad service', async () => {
    const api = context().agent.api;
    const jobId = await api.runJobHcl(exampleJob('hello-http.nomad.hcl'), {
      artifact_base_url: context().components.baseUrl,
    });
    const alloc = await api.waitForAllocation(jobId, taskRunning('server'), 'server task to run');
    const port = alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
    expect(port?.Value).toBeGreaterThan(0);
    const response = await fetch(`http://${port?.HostIP}:${port?.Value}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('hello from wasm\n');
    const services = await api.services('wasm-hello-http');
    expect(services.map((s) => `${s.Address}:${s.Port}`)).toEqual([`${port?.HostIP}:${port?.Value}`]);
    await api.stopJob(jobId, true);
  });

  it('mixed-group: a raw_exec task in the same group calls the wasm service over the group port', async () => {
    const api = context().agent.api;
    const jobId = await api.runJobHcl(exampleJob('mixed-group.nomad.hcl'), {
      artifact_base_url: context().components.baseUrl,
    });
    const alloc = await api.waitForAllocation(
      jobId,
      (a) => taskRunning('wasm-api')(a) && taskRunning('caller')(a),
      'both tasks to run',
    );
    const log = await api.waitForLog(alloc.ID, 'caller', 'stdout', /hello from wasm/);
    expect(log).toContain('hello from wasm');
    await api.stopJob(jobId, true);
  });
});
