// wasi:clocks@0.3: the host's clocks at full resolution, as in the 0.2 host
// (src/wasi/clocks.ts), and 0.3's waits, which suspend only the waiting
// guest task: the task's thread serves other requests meanwhile.
import { clockInterfaces } from '../wasi/clocks.js';
import { p3Key } from './versions.js';

const wall = clockInterfaces['wasi:clocks/wall-clock'];
const monotonicNow = clockInterfaces['wasi:clocks/monotonic-clock'].now;

function sleepNs(ns: bigint): Promise<void> {
  if (ns <= 0n) return Promise.resolve();
  // setTimeout takes at most 2^31-1 ms; longer waits are chained.
  const ms = Math.min(Math.ceil(Number(ns) / 1e6), 2 ** 31 - 1);
  return new Promise((resolve) => setTimeout(resolve, ms)).then(() => sleepNs(ns - BigInt(ms) * 1_000_000n));
}

export const clockP3Interfaces: Record<string, object> = {
  [p3Key('wasi:clocks/monotonic-clock')]: {
    now: monotonicNow,
    getResolution: (): bigint => 1n,
    waitUntil: (when: bigint): Promise<void> => sleepNs(when - monotonicNow()),
    waitFor: (duration: bigint): Promise<void> => sleepNs(duration),
  },
  [p3Key('wasi:clocks/system-clock')]: {
    now: () => wall.now(),
    getResolution: (): bigint => 1_000_000n,
  },
  [p3Key('wasi:clocks/types')]: {},
  // Unstable in 0.3.0; the task's zone is UTC whatever the node's is: the
  // node's configuration is not the component's business.
  [p3Key('wasi:clocks/timezone')]: {
    ianaId: (): string => 'UTC',
    utcOffset: (): bigint => 0n,
    toDebugString: (): string => 'UTC',
  },
};
