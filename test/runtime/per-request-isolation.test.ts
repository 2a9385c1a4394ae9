// Per-request instances hold no state of an earlier request: the
// request-counter component counts requests in a global and in linear
// memory, leaks a resource handle and changes its table per request, so
// any state that survives shows up as a number above 1. Instances are reset rather than
// rebuilt (src/runtime/instance-reset.ts); these tests hold that reset to
// what a fresh instance would give, under concurrency, after traps and
// after memory growth, and check the fresh-instance fallback too.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTaskHostDir } from './support/task-host.ts';

const hosts = useTaskHostDir('isolation-');
const FRESH = 'global=1 memory=1 handle=1 table=1 pages=1';
/**
 * What the task host writes when per-request instances are rebuilt instead
 * of reset (serve-http.ts), or when the glue rewrites did not apply at
 * start (glue-notice.ts): a fresh instance answers the same as a reset one,
 * so only these say which path served.
 */
const NOT_RESET = /instantiated afresh|was not rewritten by/;

interface Served {
  readonly url: string;
  /** What the task host wrote to the task's stderr so far. */
  stderr(): string;
}

async function serve(component: string, httpInstance: 'shared' | 'per-request'): Promise<Served> {
  // The probe is a request of its own: the counts below start after it.
  const { host, url } = await hosts.serve(
    { component, grants: { httpInstance, memoryMaxMiB: 16 } },
    { path: '/ready-probe' },
  );
  let stderr = '';
  host.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { url, stderr: () => stderr };
}

async function answer(url: string): Promise<string> {
  const response = await fetch(url);
  const text = (await response.text()).trim();
  return response.status === 200 ? text : `${response.status} ${text}`;
}

/** The status, or the error a cut-off response gives the client. */
async function outcome(url: string): Promise<string> {
  try {
    const response = await fetch(url);
    await response.text();
    return String(response.status);
  } catch {
    return 'connection cut';
  }
}

describe('request-counter, shared instance (the component does keep state)', () => {
  it('counts up in its global, its memory and its handle table', async () => {
    const { url } = await serve('request-counter', 'shared');
    // The readiness probe was request 1.
    expect(await answer(url)).toBe('global=2 memory=2 handle=2 table=2 pages=1');
    expect(await answer(url)).toBe('global=3 memory=3 handle=3 table=2 pages=1');
    expect(await answer(`${url}/grow`)).toBe('global=4 memory=4 handle=4 table=2 pages=2');
    expect(await answer(url)).toBe('global=5 memory=5 handle=5 table=2 pages=2');
  });
});

describe('request-counter, per-request instances (reset, not rebuilt: no fallback notice after any of them)', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve('request-counter', 'per-request');
  });
  afterEach(() => {
    expect(served.stderr()).not.toMatch(NOT_RESET);
  });

  it('answers as a fresh instance to every request in a row', async () => {
    for (let i = 0; i < 25; i++) expect(await answer(served.url)).toBe(FRESH);
  });

  it('answers as a fresh instance to 200 concurrent requests', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => answer(served.url)));
    expect(new Set(answers)).toEqual(new Set([FRESH]));
  });

  it('answers as a fresh instance after a trap before the response and after one in the middle of the body', async () => {
    expect(await outcome(`${served.url}/trap-early`)).toBe('500');
    expect(await answer(served.url)).toBe(FRESH);
    // The body was only partly written: held back and replaced by a 500, or cut off if already streaming.
    expect(['500', 'connection cut']).toContain(await outcome(`${served.url}/trap`));
    expect(await answer(served.url)).toBe(FRESH);
    expect(served.stderr()).toContain('component trapped');
  });

  it('answers as a fresh instance with traps mixed into concurrent load', async () => {
    const paths = Array.from({ length: 120 }, (_, i) => (i % 10 === 3 ? '/trap-early' : i % 10 === 7 ? '/trap' : '/'));
    const results = await Promise.all(
      paths.map((path) => (path === '/' ? answer(`${served.url}${path}`) : outcome(`${served.url}${path}`))),
    );
    paths.forEach((path, i) => {
      if (path === '/') expect(results[i]).toBe(FRESH);
      else expect(['500', 'connection cut']).toContain(results[i]);
    });
  });

  it('gives the next request the original memory size after one grew memory', async () => {
    expect(await answer(`${served.url}/grow`)).toBe('global=1 memory=1 handle=1 table=1 pages=2');
    expect(await answer(served.url)).toBe(FRESH);
    const mixed = await Promise.all(
      Array.from({ length: 40 }, (_, i) => answer(`${served.url}${i % 2 ? '/grow' : '/'}`)),
    );
    mixed.forEach((text, i) => expect(text).toBe(i % 2 ? 'global=1 memory=1 handle=1 table=1 pages=2' : FRESH));
  });
});

describe('per-request instances of a component whose state cannot be saved', () => {
  it('are instantiated afresh for every request, and the task log says why', async () => {
    const control = await serve('v128-counter', 'shared');
    expect(await answer(control.url)).toBe('global=2');

    const served = await serve('v128-counter', 'per-request');
    const answers = await Promise.all(Array.from({ length: 20 }, () => answer(served.url)));
    expect(new Set(answers)).toEqual(new Set(['global=1']));
    expect(served.stderr()).toMatch(
      /per-request instances are instantiated afresh for every request \(slower\): .*v128/,
    );
    expect(served.stderr()).toMatch(NOT_RESET); // the notice the reset tests above look for
  });
});
