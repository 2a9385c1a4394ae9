// What a digest-pinned reference resolves to never changes, so the node
// remembers it: `oci://r/app@sha256:…` with its layer cached starts without
// asking the registry anything (and still starts when the registry is down).
// Tags move, so they are always resolved afresh.
import { join } from 'node:path';
import type { ResolvedComponent } from '../oci/client.js';
import { readJsonIfExists, writeJsonAtomically } from '../cache/json-file.js';

export class ManifestIndex {
  private readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = join(cacheDir, 'manifests');
  }

  async lookup(manifestDigest: string): Promise<ResolvedComponent | undefined> {
    const entry = await readJsonIfExists<ResolvedComponent>(this.pathOf(manifestDigest));
    return entry?.manifestDigest === manifestDigest ? entry : undefined;
  }

  remember(resolved: ResolvedComponent): Promise<void> {
    return writeJsonAtomically(this.pathOf(resolved.manifestDigest), resolved);
  }

  private pathOf(manifestDigest: string): string {
    return join(this.dir, `${manifestDigest.replace('sha256:', '')}.json`);
  }
}
