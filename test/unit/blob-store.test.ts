import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/source/blob-store.js';
import { collectGarbage } from '../../src/source/cache-gc.js';

const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'blob-store-'));
});

describe('BlobStore', () => {
  it('downloads a digest once for many concurrent callers', async () => {
    const store = new BlobStore(cacheDir);
    const bytes = Buffer.from('component bytes');
    const digest = digestOf(bytes);
    let downloads = 0;
    const paths = await Promise.all(
      Array.from({ length: 10 }, () =>
        store.fetch(digest, async (temp) => {
          downloads += 1;
          await new Promise((r) => setTimeout(r, 20));
          await writeFile(temp, bytes);
        }),
      ),
    );
    expect(downloads).toBe(1);
    expect(new Set(paths).size).toBe(1);
    expect(await readFile(paths[0] ?? '')).toEqual(bytes);
    let hits = 0;
    await store.fetch(
      digest,
      async () => {
        throw new Error('must not download again');
      },
      () => {
        hits += 1;
      },
    );
    expect(hits).toBe(1);
  });

  it('caches nothing and leaves no temp file when the download fails', async () => {
    const store = new BlobStore(cacheDir);
    const digest = `sha256:${'b'.repeat(64)}`;
    await expect(
      store.fetch(digest, async (temp) => {
        await writeFile(temp, 'half');
        throw new Error('connection reset');
      }),
    ).rejects.toThrow('connection reset');
    expect(await store.lookup(digest)).toBeUndefined();
    expect(await readdir(join(cacheDir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('counts pins until every holder released', () => {
    const store = new BlobStore(cacheDir);
    const hex = 'c'.repeat(64);
    const a = store.pin(`sha256:${hex}`);
    const b = store.pin(`sha256:${hex}`);
    a();
    a(); // releasing twice is harmless
    expect(store.isPinned(hex)).toBe(true);
    b();
    expect(store.isPinned(hex)).toBe(false);
  });
});

describe('collectGarbage', () => {
  async function unit(name: string, bytes: number, ageMinutes: number, transpiled = false): Promise<string> {
    const hex = createHash('sha256').update(name).digest('hex');
    const blob = join(cacheDir, 'blobs', 'sha256', hex);
    await mkdir(join(cacheDir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(blob, Buffer.alloc(bytes));
    const when = new Date(Date.now() - ageMinutes * 60_000);
    await utimes(blob, when, when);
    if (transpiled) {
      const dir = join(cacheDir, 'transpiled', `${hex}-jco1-f1`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'component.js'), Buffer.alloc(bytes));
      await writeFile(join(dir, 'manifest.json'), '{}');
      await utimes(join(dir, 'manifest.json'), when, when);
    }
    await mkdir(join(cacheDir, 'verified'), { recursive: true });
    await writeFile(join(cacheDir, 'verified', `${hex}-0123456789abcdef.json`), '{}');
    return hex;
  }

  it('drops least recently used units (blob, transpiled glue, records) until under the limit', async () => {
    const oldest = await unit('oldest', 1000, 60, true);
    const older = await unit('older', 1000, 30);
    const newer = await unit('newer', 1000, 10);
    const result = await collectGarbage(cacheDir, 2500, () => false);
    // oldest is 2002 bytes + 2 record bytes with its glue: dropping it alone gets under 2500
    expect(result.removed).toEqual([`sha256:${oldest}`]);
    expect(result.freedBytes).toBe(1000 + 1000 + 2 + 2);
    const left = await readdir(join(cacheDir, 'blobs', 'sha256'));
    expect(left.sort()).toEqual([older, newer].sort());
    expect(await readdir(join(cacheDir, 'transpiled'))).toEqual([]);
    expect((await readdir(join(cacheDir, 'verified'))).some((n) => n.startsWith(oldest))).toBe(false);
  });

  it('keeps pinned and recently used units even over the limit', async () => {
    const pinned = await unit('pinned', 1000, 60);
    const recent = await unit('recent', 1000, 1);
    const old = await unit('old', 1000, 50);
    const result = await collectGarbage(cacheDir, 0, (hex) => hex === pinned);
    expect(result.removed).toEqual([`sha256:${old}`]);
    const left = await readdir(join(cacheDir, 'blobs', 'sha256'));
    expect(left.sort()).toEqual([pinned, recent].sort());
    expect(result.keptBytes).toBe(2004);
  });
});
