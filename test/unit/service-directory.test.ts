import { describe, expect, it } from 'vitest';
import { EJECT_MS, ServiceDirectory } from '../../src/services/service-directory.js';
import { instanceKey, type ServiceInstance } from '../../src/services/service-instance.js';

const payments = { provider: 'consul', name: 'payments' } as const;
const a: ServiceInstance = { address: '10.0.0.1', port: 8080 };
const b: ServiceInstance = { address: '10.0.0.2', port: 8080 };
const c: ServiceInstance = { address: 'fd00::3', port: 9090 };

function picks(directory: ServiceDirectory, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const pick = directory.pick(payments, new Set());
    out.push(pick.kind === 'instance' ? instanceKey(pick.instance) : pick.kind);
  }
  return out;
}

describe('ServiceDirectory', () => {
  it('round-robins over the known set', () => {
    const directory = new ServiceDirectory([payments], [{ ref: payments, instances: [a, b, c] }]);
    const seen = picks(directory, 9);
    for (const key of ['10.0.0.1:8080', '10.0.0.2:8080', '[fd00::3]:9090'])
      expect(seen.filter((k) => k === key).length).toBe(3);
  });

  it('says why there is no instance: not known yet, none healthy, all tried', () => {
    const directory = new ServiceDirectory([payments], [{ ref: payments, instances: null }]);
    expect(directory.pick(payments, new Set()).kind).toBe('unknown');
    directory.update(payments, []);
    expect(directory.pick(payments, new Set()).kind).toBe('none-healthy');
    directory.update(payments, [a]);
    expect(directory.pick(payments, new Set([instanceKey(a)])).kind).toBe('all-tried');
    expect(directory.pick({ provider: 'nomad', name: 'payments' }, new Set()).kind).toBe('unknown');
  });

  it('avoids a failed instance while others remain, until EJECT_MS has passed', () => {
    let now = 1_000;
    const directory = new ServiceDirectory([payments], [{ ref: payments, instances: [a, b] }], () => now);
    directory.failed(a);
    expect(new Set(picks(directory, 6))).toEqual(new Set(['10.0.0.2:8080']));
    now += EJECT_MS + 1;
    expect(new Set(picks(directory, 6))).toEqual(new Set(['10.0.0.1:8080', '10.0.0.2:8080']));
  });

  it('still tries a failed instance when it is the only one left', () => {
    const directory = new ServiceDirectory([payments], [{ ref: payments, instances: [a] }]);
    directory.failed(a);
    expect(picks(directory, 2)).toEqual(['10.0.0.1:8080', '10.0.0.1:8080']);
  });

  it('takes sets only for granted services, and keeps the last one until a new one comes', () => {
    const directory = new ServiceDirectory([payments]);
    expect(directory.update({ provider: 'consul', name: 'other' }, [a])).toBe(false);
    expect(directory.update(payments, [b, a, b])).toBe(true);
    expect(directory.instances(payments)).toEqual([a, b]);
  });
});
