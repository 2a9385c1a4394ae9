// What a task host says when a start goes wrong or runs degraded, through
// the real task host (dist/task-host/main.js) as the plugin drives it:
// progress on fd 3, events over the control socket, notices on stderr.
// - jco glue the rewrites did not recognise: a coded event at every start
//   (jco version, which rewrite, why), and the task still serves correctly;
// - glue that does not even load: COMPONENT_INSTANTIATE_FAILED, not a
//   "port in use";
// - a malformed launch spec: a fixed message that quotes none of it.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { launchHost, RunningHost } from '../vault/support/task-host.ts';
import { JCO_VERSION } from '../../src/runtime/jco-info.ts';

const TASK_HOST = new URL('../../dist/task-host/main.js', import.meta.url).pathname;
let dir: string;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'start-reports-'));
});

afterAll(async () => {
  for (const host of hosts) if (host.child.exitCode === null) host.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function serve(component: string, httpInstance: 'shared' | 'per-request'): Promise<RunningHost> {
  const host = launchHost({
    component,
    dir,
    grants: { httpInstance },
    http: { host: '127.0.0.1', port: await freePort() },
  });
  hosts.push(host);
  return host;
}

/** The cache entry (transpiled/<digest>-<key>/) of the one component this file has started, after its first start. */
function cacheEntry(): string {
  const transpiled = join(dir, 'cache', 'transpiled');
  const [entry] = readdirSync(transpiled).filter((name) => !name.startsWith('.'));
  if (!entry) throw new Error('no cache entry');
  return join(transpiled, entry);
}

describe('a glue the rewrites did not recognise', () => {
  it('is said at every start, as a GLUE_REWRITE_UNAVAILABLE event and in the task log, with the jco version, the rewrite and why', async () => {
    const first = await serve('request-counter', 'per-request');
    await first.ready();
    expect(first.stderr).not.toMatch(/GLUE_REWRITE|rewrit/);
    first.child.kill('SIGKILL');
    // A fake for what a real part cannot produce here (the lock pins the jco
    // the rewrites were checked against): the entry as an unknown jco's
    // transpile would have recorded it. The task host reads only this.
    const manifestPath = join(cacheEntry(), 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      manifestPath,
      JSON.stringify({
        ...manifest,
        glueSyncCalls: false,
        glueStateHooks: false,
        glueNotes: [
          "host calls keep jco's task bookkeeping: written for jco 1.35.0, this is jco 9.9.9",
          'per-request instances are built afresh: written for jco 1.35.0, this is jco 9.9.9',
        ],
      }),
    );

    const host = await serve('request-counter', 'per-request');
    const ready = await host.ready();
    const event = await host.waitForEvent((e) => e.annotations?.['code'] === 'GLUE_REWRITE_UNAVAILABLE', 20_000);
    expect(event.message).toBe(
      `jco ${JCO_VERSION}'s glue for component ${ready.digest} was not rewritten by glue-sync-calls (host calls keep jco's task bookkeeping) and glue-state-hooks (per-request instances are built afresh); it runs slower on jco's own glue until the rewrites are checked against this jco: host calls keep jco's task bookkeeping: written for jco 1.35.0, this is jco 9.9.9; per-request instances are built afresh: written for jco 1.35.0, this is jco 9.9.9`,
    );
    expect(host.stderr).toContain(`[nomad-driver-wasm] ${event.message}`);
    // Slower, still isolated: every request sees a fresh instance.
    const port = (ready as { port?: number }).port;
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect((await response.text()).trim()).toBe('global=1 memory=1 handle=1 table=1 pages=1');
    }
    expect(host.stderr).toMatch(/per-request instances are instantiated afresh for every request \(slower\)/);
  });

  it('is not said for a shared instance, which the state hooks do not serve', async () => {
    const host = await serve('request-counter', 'shared');
    const ready = await host.ready();
    const event = await host.waitForEvent((e) => e.annotations?.['code'] === 'GLUE_REWRITE_UNAVAILABLE', 20_000);
    expect(event.message).toContain(`${ready.digest} was not rewritten by glue-sync-calls (host calls`);
    expect(event.message).not.toContain('and glue-state-hooks');
  });
});

describe('start failures of a wasi:http task', () => {
  it('a glue that does not load fails as COMPONENT_INSTANTIATE_FAILED, not HTTP_LISTEN_FAILED', async () => {
    const glue = join(cacheEntry(), 'component.js');
    // A damaged entry: the function every start runs no longer parses.
    const text = readFileSync(glue, 'utf8');
    expect(text).toContain('export function instantiate(');
    writeFileSync(
      glue,
      text.replace('export function instantiate(', 'export function instantiate( }}} not javascript {{{'),
    );
    const host = await serve('request-counter', 'shared');
    const outcome = await host.outcome;
    expect(outcome).toMatchObject({ type: 'failed', code: 'COMPONENT_INSTANTIATE_FAILED' });
    expect(outcome.type === 'failed' ? outcome.message : '').toMatch(
      /^jco's glue for the component could not be loaded: /,
    );
    expect((await host.exited).code).toBe(1);
  });
});

describe('a malformed launch spec', () => {
  it('fails with a fixed message that quotes nothing of the spec (it may carry env values and a token)', async () => {
    const child = spawn(process.execPath, [TASK_HOST], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      env: {},
      detached: true,
    });
    const host = new RunningHost(child);
    hosts.push(host);
    child.stdin?.end(
      '{"version":2,"grants":{"env":{"DB_PASSWORD":"s3cr3t-value"}},"vault":{"token":{"env":"hvs.abcdefgh',
    );
    const outcome = await host.outcome;
    expect(outcome).toEqual({
      type: 'failed',
      code: 'TASK_HOST_FAILED',
      message:
        'the launch spec from the plugin is not valid JSON (98 characters): is the task host of another driver version?',
    });
    await host.exited;
    expect(host.stderr).not.toMatch(/s3cr3t|hvs\./);
  });
});
