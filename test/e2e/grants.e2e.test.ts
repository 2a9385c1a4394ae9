// Capability grants through a real Nomad agent: mounts of the task dir,
// the memory ceiling from `resources`, and the audit event.
import { describe, expect, it } from 'vitest';
import type { Allocation } from './support/nomad-api.js';
import { wasmJob, type WasmJobSpec } from './support/jobs.js';
import { useE2e } from './support/suite.js';
import { isDead, taskState } from './support/alloc-state.js';

const context = useE2e();
const dead = isDead();

async function runToEnd(spec: WasmJobSpec): Promise<Allocation> {
  const jobId = await context().agent.api.runJobHcl(wasmJob(spec, context().components.baseUrl));
  return context().agent.api.waitForAllocation(jobId, dead, `${spec.id} to finish`);
}

const TEMPLATE = `template {
        data        = "rendered by nomad\\n"
        destination = "local/data/hello.txt"
      }`;

describe('grants on a real Nomad agent', () => {
  it('a read-only mount of local/data: the component reads what a template rendered, cannot write, and the grants are an event', async () => {
    const mount = 'mount {\n          source = "local/data"\n          destination = "/data"\n        }';
    const read = await runToEnd({
      id: 'mount-read',
      type: 'batch',
      component: 'fs-probe',
      args: ['read', 'hello.txt'],
      extraTask: TEMPLATE,
      extraConfig: mount,
    });
    expect(await context().agent.api.logs(read.ID, 't', 'stdout')).toBe('read hello.txt: ok rendered by nomad\n\n');
    const grants = taskState(read)?.Events.find((e) => e.DisplayMessage.startsWith('Grants:'))?.DisplayMessage;
    expect(grants).toMatch(
      /^Grants: env=none mounts=\/data=\S+\/local\/data\(ro\) outbound_http=none sockets=none memory_max_mib=64 http_instance=shared services=none$/,
    );

    const write = await runToEnd({
      id: 'mount-write',
      type: 'batch',
      component: 'fs-probe',
      args: ['write', 'x.txt'],
      extraTask: TEMPLATE,
      extraConfig: mount,
    });
    expect(await context().agent.api.logs(write.ID, 't', 'stdout')).toBe('write x.txt: denied, errno 69\n');
  });

  it('a mount outside the task dir fails the task as MOUNT_ESCAPE', async () => {
    const alloc = await runToEnd({
      id: 'mount-escape',
      type: 'batch',
      component: 'fs-probe',
      args: ['read', 'passwd'],
      extraConfig: 'mount {\n          source = "../../../etc"\n          destination = "/etc"\n        }',
    });
    expect(taskState(alloc)?.Failed).toBe(true);
    const messages =
      taskState(alloc)
        ?.Events.map((e) => e.DisplayMessage)
        .join('\n') ?? '';
    expect(messages).toMatch(
      /desc = \[MOUNT_ESCAPE\] mount\[0\]: source "\.\.\/\.\.\/\.\.\/etc" must be a relative path without "\.\.", inside local\/, secrets\/ or alloc\/data/,
    );
  });

  it('resources { memory = 32 } caps the linear memory of the component', async () => {
    const alloc = await runToEnd({ id: 'mem-hog', type: 'batch', component: 'mem-hog', args: ['512'], memoryMb: 32 });
    expect(await context().agent.api.logs(alloc.ID, 't', 'stdout')).toMatch(/^memory: 3[12] MiB, grow refused\n$/);
  });
});
