// The client config a newcomer on Nomad 1.6 writes: plugin_dir and nothing
// else. Nomad 1.6 loads every executable in plugin_dir without a `plugin`
// block (1.10+ needs one), so the driver must run on its own defaults; and
// 1.6 collects task stats without `telemetry { publish_allocation_metrics }`
// (1.11 needs it). Both are what the README says about Nomad 1.6.
import { existsSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_DIR } from '../../src/config/plugin-config.ts';
import { exampleJob } from './support/jobs.js';
import { useE2e } from './support/suite.js';
import { isDead, isRunning } from './support/alloc-state.js';

// Without a plugin block the driver caches in its default directory; remove
// it afterwards only if this test created it.
const cacheExisted = existsSync(DEFAULT_CACHE_DIR);
afterAll(() => {
  if (!cacheExisted) rmSync(DEFAULT_CACHE_DIR, { recursive: true, force: true });
});

const context = useE2e(() => ({ minimal: true }));

describe('Nomad 1.6 with a minimal client config (no plugin block, no telemetry)', () => {
  it('loads the driver without a plugin block and runs a job on its defaults', async () => {
    const api = context().agent.api;
    const node = await api.firstNode();
    expect(node?.Drivers['wasm']?.Healthy).toBe(true);
    const jobId = await api.runJobHcl(exampleJob('hello-batch.nomad.hcl'), {
      artifact_base_url: context().components.baseUrl,
    });
    const alloc = await api.waitForAllocation(jobId, isDead('hello'), 'the batch job');
    expect(alloc.TaskStates?.['hello']?.Events.find((e) => e.Type === 'Terminated')?.ExitCode).toBe(0);
    expect(await api.logs(alloc.ID, 'hello', 'stdout')).toBe('hello from wasm\nfrom\nnomad\n');
    expect(existsSync(DEFAULT_CACHE_DIR)).toBe(true);
  });

  it('reports task stats without a telemetry block', async () => {
    const api = context().agent.api;
    const jobId = await api.runJobHcl(exampleJob('hello-http.nomad.hcl'), {
      artifact_base_url: context().components.baseUrl,
    });
    const alloc = await api.waitForAllocation(jobId, isRunning('server'), 'the HTTP service');
    let rss = 0;
    for (let i = 0; i < 60 && rss === 0; i++) {
      rss = await api.taskStats(alloc.ID, 'server').then(
        (u) => u.ResourceUsage.MemoryStats.RSS,
        () => 0,
      );
      if (rss === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    const usage = await api.taskStats(alloc.ID, 'server');
    expect(usage.ResourceUsage.MemoryStats.Measured).toContain('RSS');
    await api.stopJob(jobId, true);
  });
});
