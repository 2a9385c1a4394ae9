// The pool hosts of this plugin (`isolation = "pooled"`): places each new
// pooled task in a pool with room (at most `pool_max_tasks` tasks each),
// starting a pool when none has room, and finds pools again by pid after a
// plugin restart. Pools stay while the plugin runs (an empty one is the
// pooled tier's warm start, as a spare task host is the process tier's) and
// exit by themselves when they have no task and no plugin: of the empty
// pools the plugin keeps one, and lets the others go. A pool that does not
// answer a ping at once (a guest holds its thread) takes no new task.
import type { Logger } from 'pino';
import { PoolClient } from './pool-client.js';

/** A pool held by a guest longer than this gets no new task (a new pool is started instead). */
const PLACEMENT_PING_MS = 500;

export class PoolSet {
  private readonly pools: PoolClient[] = [];
  private spawning: Promise<PoolClient> | undefined;
  /** Tasks placed in a pool whose start has not reached it yet (counted against its room). */
  private readonly reserved = new Map<PoolClient, number>();

  constructor(
    private readonly log: Logger,
    private readonly onEvent: (taskId: string, message: string, annotations: Readonly<Record<string, string>>) => void,
  ) {}

  /** A pool with room for one more task; call `release` once the start was sent. */
  async place(cacheDir: string, maxTasks: number): Promise<{ pool: PoolClient; release: () => void }> {
    const held = new Set<PoolClient>();
    for (;;) {
      const pool = this.pools.find((p) => p.open && !held.has(p) && p.load + (this.reserved.get(p) ?? 0) < maxTasks);
      if (pool && !(await pool.responsive(PLACEMENT_PING_MS))) {
        held.add(pool);
        continue;
      }
      if (pool && pool.open && pool.load + (this.reserved.get(pool) ?? 0) < maxTasks) {
        this.reserved.set(pool, (this.reserved.get(pool) ?? 0) + 1);
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          const left = (this.reserved.get(pool) ?? 1) - 1;
          if (left > 0) this.reserved.set(pool, left);
          else this.reserved.delete(pool);
        };
        return { pool, release };
      }
      if (pool) continue; // filled or ended while it answered: look again
      // One pool starts at a time; starts that wait for it then take its room in turn.
      this.spawning ??= PoolClient.spawn(cacheDir, this.log)
        .then((spawned) => this.add(spawned))
        .finally(() => (this.spawning = undefined));
      await this.spawning;
    }
  }

  /** The pool a recovered task's driver state names. */
  attach(pid: number, startTicks: number): PoolClient {
    const known = this.pools.find((p) => p.pid === pid && p.startTicks === startTicks);
    return known ?? this.add(PoolClient.attach(pid, startTicks, this.log));
  }

  /** Keeps one empty pool (the next start's warm pool); lets `empty` go if another is empty too. */
  private retireSurplus(empty: PoolClient): void {
    const idle = (p: PoolClient): boolean => p.open && p.load === 0 && (this.reserved.get(p) ?? 0) === 0;
    if (!idle(empty) || !this.pools.some((p) => p !== empty && idle(p))) return;
    this.log.info({ pool_pid: empty.pid }, 'retiring an empty pool host (another one is empty)');
    empty.retire();
    const at = this.pools.indexOf(empty);
    if (at >= 0) this.pools.splice(at, 1);
  }

  private add(pool: PoolClient): PoolClient {
    pool.onEvent = this.onEvent;
    pool.onEmpty = (empty) => this.retireSurplus(empty);
    this.pools.push(pool);
    void pool.ended.then(() => {
      const at = this.pools.indexOf(pool);
      if (at >= 0) this.pools.splice(at, 1);
      this.reserved.delete(pool);
    });
    this.log.info({ pool_pid: pool.pid }, 'pool host ready');
    return pool;
  }
}
