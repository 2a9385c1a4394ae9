// What a spare task host prepares while it waits for its task: the
// component the plugin started last (a node often starts the same component
// again: batch jobs, restarts, scaling), found in the compile cache by
// digest. Its glue is loaded and its core modules compiled for the same
// memory ceiling and instance mode, so that a start of that component goes
// straight to instantiation. Any other component starts as usual. Only
// paths and a digest travel in the hint, never grants.
import { cachedComponent } from './component-cache.js';
import { mibToPages } from './memory-ceiling.js';
import { precompileComponent } from './instantiate.js';

export interface PrewarmHint {
  readonly cacheDir: string;
  readonly digest: string;
  readonly memoryMaxMiB?: number;
  readonly perRequest: boolean;
}

/** Best effort: a hint that does not fit (evicted, never cached) prepares nothing. */
export async function prewarm(hint: PrewarmHint): Promise<void> {
  const component = await cachedComponent(hint.cacheDir, hint.digest);
  if (!component) return;
  const memoryMaxPages = hint.memoryMaxMiB === undefined ? undefined : mibToPages(hint.memoryMaxMiB);
  await precompileComponent(
    component,
    { memoryMaxPages },
    hint.perRequest && component.world === 'http' && component.glueStateHooks,
  );
}
