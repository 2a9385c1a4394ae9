// Backoff timing with injected sleep and random, and Retry-After parsing.
import { describe, expect, it } from 'vitest';
import { Backoff, parseRetryAfter } from '../../src/oci/backoff.js';
import { parseAuthChallenge } from '../../src/oci/auth-challenge.js';

describe('Backoff', () => {
  it('doubles the window per retry, capped, with equal jitter, and stops after `retries`', async () => {
    const slept: number[] = [];
    const backoff = new Backoff({
      retries: 5,
      baseMs: 100,
      maxMs: 1000,
      random: () => 0.5,
      sleep: async (ms) => void slept.push(ms),
    });
    const results: boolean[] = [];
    for (let i = 0; i < 6; i++) results.push(await backoff.next());
    expect(results).toEqual([true, true, true, true, true, false]);
    // window = min(1000, 100 * 2^n); delay = window/2 + 0.5 * window/2
    expect(slept).toEqual([75, 150, 300, 600, 750]);
    expect(backoff.attempts).toBe(6);
    expect(backoff.exhausted).toBe(true);
  });

  it('jitter spans half the window to the whole window', () => {
    const low = new Backoff({ retries: 1, baseMs: 200, random: () => 0 });
    const high = new Backoff({ retries: 1, baseMs: 200, random: () => 1 });
    expect([low.delayMs(0), high.delayMs(0), low.delayMs(2), high.delayMs(2)]).toEqual([100, 200, 400, 800]);
  });

  it('waits at least a Retry-After, capped at 30 s', async () => {
    const slept: number[] = [];
    const backoff = new Backoff({ retries: 2, baseMs: 100, random: () => 0, sleep: async (ms) => void slept.push(ms) });
    await backoff.next(2_000);
    await backoff.next(120_000);
    expect(slept).toEqual([2_000, 30_000]);
  });

  it('zero retries never sleeps', async () => {
    let slept = 0;
    const backoff = new Backoff({ retries: 0, sleep: async () => void slept++ });
    expect(await backoff.next()).toBe(false);
    expect(slept).toBe(0);
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('parseAuthChallenge', () => {
  it('reads a bearer challenge with quoted, comma-containing values', () => {
    expect(
      parseAuthChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
  });

  it('reads basic, unquoted and escaped values', () => {
    expect(parseAuthChallenge('Basic realm="Registry \\"Realm\\""')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry "Realm"' },
    });
    expect(parseAuthChallenge('bearer realm=https://a/t, service=svc')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://a/t', service: 'svc' },
    });
    expect(parseAuthChallenge(undefined)).toBeUndefined();
  });
});
