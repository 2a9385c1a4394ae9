// The node's content-addressed component cache, shared by all tasks:
//   <cacheDir>/blobs/sha256/<hex>   component bytes, named by their digest
//   <cacheDir>/blobs/tmp/           downloads in progress (never read)
// A blob is only ever created by renaming a fully downloaded, digest-checked
// temp file into place, so a reader sees a whole blob or none. Each digest
// is fetched by one download however many tasks ask at once.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleFlight } from './single-flight.js';

export class BlobStore {
  readonly dir: string;
  private readonly tmpDir: string;
  private readonly downloads = new SingleFlight<string>();
  private readonly pins = new Map<string, number>();

  constructor(cacheDir: string) {
    this.dir = join(cacheDir, 'blobs', 'sha256');
    this.tmpDir = join(cacheDir, 'blobs', 'tmp');
  }

  pathOf(digest: string): string {
    return join(this.dir, hexOf(digest));
  }

  /** The blob's path when it is cached (and marks it recently used), else undefined. */
  async lookup(digest: string): Promise<string | undefined> {
    const path = this.pathOf(digest);
    try {
      await stat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const now = new Date();
    await utimes(path, now, now);
    return path;
  }

  /**
   * Returns the cached blob, or runs `download(tempPath)` once for all
   * concurrent callers; `download` must leave a digest-checked file at
   * tempPath. On failure the temp file is removed and nothing is cached.
   */
  async fetch(
    digest: string,
    download: (tempPath: string) => Promise<void>,
    onCacheHit: () => void = () => undefined,
  ): Promise<string> {
    const cached = await this.lookup(digest);
    if (cached) {
      onCacheHit();
      return cached;
    }
    return this.downloads.run(digest, async () => {
      await mkdir(this.tmpDir, { recursive: true });
      await mkdir(this.dir, { recursive: true });
      const temp = join(this.tmpDir, `${hexOf(digest).slice(0, 16)}-${randomBytes(6).toString('hex')}`);
      try {
        await download(temp);
        await rename(temp, this.pathOf(digest));
      } finally {
        await rm(temp, { force: true });
      }
      return this.pathOf(digest);
    });
  }

  /** Keeps a digest out of garbage collection while a task is starting with it. */
  pin(digest: string): () => void {
    const hex = hexOf(digest);
    this.pins.set(hex, (this.pins.get(hex) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.pins.get(hex) ?? 1) - 1;
      if (left === 0) this.pins.delete(hex);
      else this.pins.set(hex, left);
    };
  }

  /** Drops a blob no starting task holds (one that failed admission). */
  async evictUnlessPinned(digest: string): Promise<boolean> {
    if (this.isPinned(hexOf(digest))) return false;
    await rm(this.pathOf(digest), { force: true });
    return true;
  }

  isPinned(hex: string): boolean {
    return this.pins.has(hex);
  }
}

export function hexOf(digest: string): string {
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!match?.[1]) throw new Error(`not a sha256 digest: ${digest}`);
  return match[1];
}
