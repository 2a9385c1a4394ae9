// The README's first command prints `UI: http://…/ui`: that page must be
// Nomad's web UI (the agent is built with the `ui` tag), and it must show the
// example jobs. Checked in a real browser, as a newcomer would open it.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser.ts';
import { exampleJob } from './support/jobs.js';
import { useE2e } from './support/suite.js';
import { REPO_ROOT } from './support/nomad-agent.ts';
import { isDead, isRunning } from './support/alloc-state.js';

const context = useE2e();
let browser: Browser | undefined;
afterAll(async () => browser?.close());

describe('Nomad web UI (headless Chromium)', () => {
  it('the jobs page at /ui lists the example jobs with their status', async () => {
    const api = context().agent.api;
    const vars = { artifact_base_url: context().components.baseUrl };
    const batch = await api.runJobHcl(exampleJob('hello-batch.nomad.hcl'), vars);
    const http = await api.runJobHcl(exampleJob('hello-http.nomad.hcl'), vars);
    const mixed = await api.runJobHcl(exampleJob('mixed-group.nomad.hcl'), vars);
    await api.waitForAllocation(batch, isDead('hello'), 'the batch job');
    await api.waitForAllocation(http, isRunning('server'), 'the HTTP service');
    await api.waitForAllocation(mixed, (a) => isRunning('wasm-api')(a) && isRunning('caller')(a), 'the mixed group');

    // What a release binary serves: the UI's HTML, not a 404 from an agent built without it.
    const root = await fetch(`${api.address}/ui/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<title>Nomad</title>');

    browser = await launchChromium();
    const page = await browser.newPage();
    const failedRequests: string[] = [];
    page.on('requestfailed', (request) => failedRequests.push(request.url()));
    await page.goto(`${api.address}/ui/jobs`);
    for (const job of [batch, http, mixed]) {
      await page.getByRole('link', { name: job, exact: true }).waitFor({ timeout: 60_000 });
    }
    const table = await page.locator('table').innerText();
    // Row by row: name, status, type (Nomad 1.6's jobs table).
    expect(table).toMatch(/wasm-hello-http\s+running\s+service/i);
    expect(table).toMatch(/wasm-mixed\s+running\s+service/i);
    expect(table).toMatch(/wasm-hello-batch\s+dead\s+batch/i);
    await page.screenshot({ path: join(REPO_ROOT, '.cache/results/ui-jobs.png') });
    expect(failedRequests.filter((url) => url.startsWith(api.address))).toEqual([]);
  });
});
