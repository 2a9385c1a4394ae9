// Keeps the node's component cache under `cache_max_mb`. Everything cached
// for one digest (the blob, its transpiled glue, its verification records)
// is one unit, dropped least recently used first. Units pinned by a starting
// task stay. Running tasks do not need their unit: a task host holds its
// compiled component in memory once started.
import type { Stats } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface CollectResult {
  readonly removed: readonly string[];
  readonly freedBytes: number;
  readonly keptBytes: number;
}

interface Unit {
  hex: string;
  paths: string[];
  bytes: number;
  lastUsedMs: number;
}

/** Downloads older than this in blobs/tmp are leftovers of a crashed plugin. */
const STALE_TEMP_MS = 60 * 60_000;
/**
 * Units used this recently stay even over the limit: a task host may be
 * loading one right now (local-file components are not pinned, the plugin
 * never learns their digest).
 */
export const RECENT_USE_MS = 5 * 60_000;

export async function collectGarbage(
  cacheDir: string,
  maxBytes: number,
  isPinned: (hex: string) => boolean,
  recentUseMs: number = RECENT_USE_MS,
): Promise<CollectResult> {
  await removeStaleTemps(join(cacheDir, 'blobs', 'tmp'));
  const units = await scanUnits(cacheDir);
  let total = units.reduce((sum, unit) => sum + unit.bytes, 0);
  const removed: string[] = [];
  let freed = 0;
  for (const unit of units.sort((a, b) => a.lastUsedMs - b.lastUsedMs)) {
    if (total <= maxBytes) break;
    if (isPinned(unit.hex) || Date.now() - unit.lastUsedMs < recentUseMs) continue;
    for (const path of unit.paths) await rm(path, { recursive: true, force: true });
    total -= unit.bytes;
    freed += unit.bytes;
    removed.push(`sha256:${unit.hex}`);
  }
  return { removed, freedBytes: freed, keptBytes: total };
}

async function scanUnits(cacheDir: string): Promise<Unit[]> {
  const units = new Map<string, Unit>();
  const unitFor = (hex: string): Unit => {
    let unit = units.get(hex);
    if (!unit) units.set(hex, (unit = { hex, paths: [], bytes: 0, lastUsedMs: 0 }));
    return unit;
  };
  const add = async (hex: string, path: string, usedMarker: string): Promise<void> => {
    const unit = unitFor(hex);
    unit.paths.push(path);
    unit.bytes += await sizeOf(path);
    const marker = usedMarker === '' ? undefined : await statIfExists(usedMarker);
    if (marker) unit.lastUsedMs = Math.max(unit.lastUsedMs, marker.mtimeMs);
  };
  for (const name of await list(join(cacheDir, 'blobs', 'sha256'))) {
    if (/^[0-9a-f]{64}$/.test(name))
      await add(name, join(cacheDir, 'blobs', 'sha256', name), join(cacheDir, 'blobs', 'sha256', name));
  }
  for (const name of await list(join(cacheDir, 'transpiled'))) {
    const hex = /^([0-9a-f]{64})-/.exec(name)?.[1];
    const dir = join(cacheDir, 'transpiled', name);
    if (hex) await add(hex, dir, join(dir, 'manifest.json'));
  }
  for (const name of await list(join(cacheDir, 'verified'))) {
    const hex = /^([0-9a-f]{64})-/.exec(name)?.[1];
    // A record alone is not a use: it goes with its blob, never keeps it.
    if (hex) await add(hex, join(cacheDir, 'verified', name), '');
  }
  return [...units.values()];
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function sizeOf(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(path)) total += await sizeOf(join(path, name));
  return total;
}

async function removeStaleTemps(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await list(dir)) {
    const path = join(dir, name);
    const info = await statIfExists(path);
    if (info && now - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
  }
}

/** A file another start may be removing right now: gone is not an error. */
async function statIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
