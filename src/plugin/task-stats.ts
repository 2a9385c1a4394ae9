// Converts /proc samples of a task host into Nomad's TaskStats message.
//
// CPU: percent of one core over the last interval; total_ticks is that share
// of one core's MHz, which is what `nomad alloc status` prints against the
// task's cpu reservation. Every message carries stats, timestamp and
// agg_resource_usage: Nomad dereferences them unchecked.
import { cpus } from 'node:os';
import type { TaskStatsResponse } from '../generated/hashicorp/nomad/plugins/drivers/proto/TaskStatsResponse.js';
import type { NomadConfig__Output } from '../generated/hashicorp/nomad/plugins/base/proto/NomadConfig.js';
import { CLOCK_TICKS_PER_SECOND, type ProcessSample } from '../task/proc-stat.js';

export interface CpuWindow {
  readonly sample: ProcessSample;
  readonly atMs: number;
}

/** MHz of one core: from Nomad's topology when we have it, else the OS. */
export function coreMhz(nomad: NomadConfig__Output | null): number {
  const cores = nomad?.driver?.Topology?.cores ?? [];
  const total = Number(nomad?.driver?.Topology?.override_total_compute ?? 0);
  if (total > 0 && cores.length > 0) return total / cores.length;
  const speeds = cores
    .map((c) => Number(c.base_speed) || Number(c.max_speed) || Number(c.guess_speed))
    .filter((s) => s > 0);
  if (speeds.length > 0) return speeds.reduce((a, b) => a + b, 0) / speeds.length;
  return cpus()[0]?.speed || 1000;
}

export function taskStatsMessage(
  taskId: string,
  now: CpuWindow,
  previous: CpuWindow | undefined,
  mhzPerCore: number,
): TaskStatsResponse {
  const elapsedSeconds = previous ? (now.atMs - previous.atMs) / 1000 : 0;
  const percentOf = (ticks: number): number =>
    elapsedSeconds > 0 ? (ticks / CLOCK_TICKS_PER_SECOND / elapsedSeconds) * 100 : 0;
  const user = percentOf(now.sample.userTicks - (previous?.sample.userTicks ?? now.sample.userTicks));
  const system = percentOf(now.sample.systemTicks - (previous?.sample.systemTicks ?? now.sample.systemTicks));
  const percent = user + system;
  const seconds = Math.floor(now.atMs / 1000);
  const usage = {
    cpu: {
      user_mode: user,
      system_mode: system,
      percent,
      total_ticks: (percent / 100) * mhzPerCore,
      measured_fields: ['SYSTEM_MODE', 'USER_MODE', 'TOTAL_TICKS', 'PERCENT'],
    },
    memory: {
      rss: now.sample.rssBytes,
      max_usage: now.sample.maxRssBytes,
      swap: now.sample.swapBytes,
      measured_fields: ['RSS', 'MAX_USAGE', 'SWAP'],
    },
  } as const;
  return {
    stats: {
      id: taskId,
      timestamp: { seconds, nanos: (now.atMs % 1000) * 1_000_000 },
      agg_resource_usage: {
        cpu: { ...usage.cpu, measured_fields: [...usage.cpu.measured_fields] },
        memory: { ...usage.memory, measured_fields: [...usage.memory.measured_fields] },
      },
    },
  };
}
