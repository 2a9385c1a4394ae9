// wasi:clocks. The host's clocks, at full resolution: a component could
// measure time by spinning anyway, and real services need real time.
import { DeadlinePollable, type Pollable } from './io.js';

export const clockInterfaces = {
  'wasi:clocks/monotonic-clock': {
    now: (): bigint => process.hrtime.bigint(),
    resolution: (): bigint => 1n,
    subscribeInstant: (when: bigint): Pollable => new DeadlinePollable(when),
    subscribeDuration: (duration: bigint): Pollable => new DeadlinePollable(process.hrtime.bigint() + duration),
  },
  'wasi:clocks/wall-clock': {
    now(): { seconds: bigint; nanoseconds: number } {
      const ms = Date.now();
      return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
    },
    resolution: (): { seconds: bigint; nanoseconds: number } => ({ seconds: 0n, nanoseconds: 1_000_000 }),
  },
};
