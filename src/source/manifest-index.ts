// What a digest-pinned reference resolves to never changes, so the node
// remembers it: `oci://r/app@sha256:…` with its layer cached starts without
// asking the registry anything (and still starts when the registry is down).
// Tags move, so they are always resolved afresh.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedComponent } from '../oci/client.js';

export class ManifestIndex {
  private readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = join(cacheDir, 'manifests');
  }

  async lookup(manifestDigest: string): Promise<ResolvedComponent | undefined> {
    try {
      const entry = JSON.parse(await readFile(this.pathOf(manifestDigest), 'utf8')) as ResolvedComponent;
      return entry.manifestDigest === manifestDigest ? entry : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async remember(resolved: ResolvedComponent): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const path = this.pathOf(resolved.manifestDigest);
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, JSON.stringify(resolved));
    await rename(temp, path);
  }

  private pathOf(manifestDigest: string): string {
    return join(this.dir, `${manifestDigest.replace('sha256:', '')}.json`);
  }
}
