// ServiceWatch's blocking-query discipline, against a scripted catalog:
// a FAKE, named as such, because the faults here (an index that goes
// backwards or is 0 without an outage in between) cannot be produced on
// demand with a real Consul. The real catalog is tested in test/services.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../src/errors.js';
import type { CatalogAnswer, CatalogQuery, ServiceCatalog } from '../../src/services/catalog.js';
import { ServiceWatch, type WatchListener } from '../../src/services/service-watch.js';
import type { ServiceInstance } from '../../src/services/service-instance.js';

const log = pino({ level: 'silent' });
const timing = { waitSeconds: 60, minIntervalMs: 20, backoffMs: 10, maxBackoffMs: 40 };
const inst = (port: number): ServiceInstance => ({ address: '10.0.0.1', port });

/** FAKE catalog: answers each query from a script, records the indexes asked for. */
class ScriptedCatalog implements ServiceCatalog {
  readonly provider = 'consul' as const;
  readonly address = 'scripted';
  readonly asked: bigint[] = [];
  constructor(private readonly script: Array<CatalogAnswer | DriverError>) {}
  async lookup(query: CatalogQuery): Promise<CatalogAnswer> {
    this.asked.push(query.index);
    const next = this.script.shift();
    if (next === undefined) {
      // Out of script: block like an idle Consul until the watch stops.
      await new Promise((resolve) => query.signal.addEventListener('abort', resolve, { once: true }));
      throw new Error('aborted');
    }
    if (next instanceof DriverError) throw next;
    return next;
  }
  close(): void {}
}

function recorder(): WatchListener & { sets: number[][]; problems: string[]; recovered: number } {
  const record = { sets: [] as number[][], problems: [] as string[], recovered: 0 };
  return {
    ...record,
    onInstances: (instances) => record.sets.push(instances.map((i) => i.port)),
    onProblem: (error) => record.problems.push(error.code),
    onRecovered: () => record.recovered++,
    get sets() {
      return record.sets;
    },
    get problems() {
      return record.problems;
    },
    get recovered() {
      return record.recovered;
    },
  };
}

async function run(script: Array<CatalogAnswer | DriverError>) {
  const steps = script.length;
  const catalog = new ScriptedCatalog(script);
  const watch = new ServiceWatch('test', catalog, { name: 'payments', namespace: 'default' }, log, timing);
  const listener = recorder();
  watch.subscribe(listener);
  watch.start();
  for (let i = 0; i < 200 && catalog.asked.length <= steps; i++) await new Promise((r) => setTimeout(r, 10));
  await watch.stop();
  return { catalog, listener, watch };
}

describe('ServiceWatch (scripted catalog)', () => {
  it('carries the index forward, and starts again from 0 when it goes backwards', async () => {
    const { catalog } = await run([
      { instances: [inst(1)], index: 10n },
      { instances: [inst(1)], index: 12n },
      { instances: [inst(2)], index: 5n }, // a rebuilt or different server
      { instances: [inst(2)], index: 6n },
    ]);
    expect(catalog.asked.slice(0, 5)).toEqual([0n, 10n, 12n, 0n, 6n]);
  });

  it('never blocks on an index of 0 or less', async () => {
    const { catalog } = await run([
      { instances: [], index: 0n },
      { instances: [], index: 3n },
    ]);
    expect(catalog.asked.slice(0, 3)).toEqual([0n, 0n, 3n]);
  });

  it('tells listeners only about changed sets', async () => {
    const { listener } = await run([
      { instances: [inst(1), inst(2)], index: 1n },
      { instances: [inst(2), inst(1)], index: 2n }, // same set, other order
      { instances: [inst(2)], index: 3n },
    ]);
    expect(listener.sets).toEqual([[1, 2], [2]]);
  });

  it('keeps the last set through failures, reports an outage once (whatever its messages), and its recovery; the index restarts from 0', async () => {
    const reset = new DriverError('SERVICE_LOOKUP_FAILED', 'socket hang up');
    const down = new DriverError('SERVICE_LOOKUP_FAILED', 'connect ECONNREFUSED');
    const { catalog, listener, watch } = await run([
      { instances: [inst(1)], index: 7n },
      reset,
      down,
      { instances: [inst(1)], index: 9n },
    ]);
    expect(listener.problems).toEqual(['SERVICE_LOOKUP_FAILED']);
    expect(listener.recovered).toBe(1);
    expect(listener.sets).toEqual([[1]]);
    expect(catalog.asked.slice(0, 5)).toEqual([0n, 7n, 0n, 0n, 9n]);
    expect(watch.current).toEqual({ kind: 'ok', instances: [inst(1)] });
  });

  it('rate-limits a catalog that answers at once', async () => {
    const catalog = new ScriptedCatalog(
      Array.from({ length: 1000 }, (_, i) => ({ instances: [], index: BigInt(i + 1) })),
    );
    const watch = new ServiceWatch('test', catalog, { name: 'payments', namespace: 'default' }, log, {
      ...timing,
      minIntervalMs: 50,
    });
    watch.start();
    await new Promise((r) => setTimeout(r, 500));
    await watch.stop();
    // 500 ms at one query per 50 ms at most: about 10, never hundreds.
    expect(catalog.asked.length).toBeLessThanOrEqual(12);
    expect(catalog.asked.length).toBeGreaterThanOrEqual(3);
  });

  it('reports a refusal during an outage: another kind of problem is news', async () => {
    const down = new DriverError('SERVICE_LOOKUP_FAILED', 'connect ECONNREFUSED');
    const denied = new DriverError('SERVICE_LOOKUP_DENIED', 'HTTP 403');
    const { listener } = await run([{ instances: [inst(1)], index: 7n }, down, denied, denied]);
    expect(listener.problems).toEqual(['SERVICE_LOOKUP_FAILED', 'SERVICE_LOOKUP_DENIED']);
  });

  it('firstAnswer waits for the first answer or failure, and no longer than asked', async () => {
    const denied = new DriverError('SERVICE_LOOKUP_DENIED', 'no');
    const catalog = new ScriptedCatalog([denied]);
    const watch = new ServiceWatch('test', catalog, { name: 'payments', namespace: 'default' }, log, timing);
    watch.start();
    const state = await watch.firstAnswer(5_000);
    expect(state.kind === 'failing' && state.error.code).toBe('SERVICE_LOOKUP_DENIED');
    await watch.stop();

    const silent = new ServiceWatch(
      'test',
      new ScriptedCatalog([]),
      { name: 'payments', namespace: 'default' },
      log,
      timing,
    );
    silent.start();
    const started = Date.now();
    expect((await silent.firstAnswer(100)).kind).toBe('pending');
    expect(Date.now() - started).toBeLessThan(2_000);
    await silent.stop();
  });
});
