// Everything between a task's `component = "..."` and a file the task host
// can load: fetch (or find) it, pin it in the shared cache while the task
// starts, keep the cache within its bounds, and show admission (src/trust/)
// what is attached to it. One provider per plugin process, so concurrent
// starts share downloads.
import type { Logger } from 'pino';
import type { PluginConfig } from '../config/plugin-config.js';
import type { WasmTaskConfig } from '../config/task-config.js';
import { describeError } from '../errors.js';
import { attachedEvidence, type AttachedEvidence } from './attached-evidence.js';
import { BlobStore } from './blob-store.js';
import { collectGarbage } from './cache-gc.js';
import { parseComponentSource } from './component-source.js';
import { fetchComponent, type FetchedComponent } from './fetch-component.js';
import { ManifestIndex } from './manifest-index.js';

export interface ProvidedComponent {
  readonly path: string;
  readonly fetched: FetchedComponent;
  /** The component as admission sees it: digests, bytes, signatures and attestations. */
  readonly evidence: AttachedEvidence;
  /** Unpins the cached blob and closes the registry client, once the task host has loaded it. */
  readonly release: () => void;
  /** For a component admission refused: released and, unless another start holds it, removed from the cache. */
  readonly discard: () => Promise<void>;
}

export interface ProvideRequest {
  readonly taskConfig: WasmTaskConfig;
  readonly taskDir: string;
  /** Adds a task event. */
  readonly report: (message: string) => void;
  /** Runs the fetch inside this wrapper (telemetry times it as the `fetch` phase); it runs as it is without one. */
  readonly phase?: <T>(name: 'fetch', work: () => Promise<T>) => Promise<T>;
  readonly log: Logger;
}

export class ComponentProvider {
  private stores?: { cacheDir: string; blobs: BlobStore; manifests: ManifestIndex };

  constructor(private readonly pluginConfig: () => PluginConfig) {}

  async provide(request: ProvideRequest): Promise<ProvidedComponent> {
    const config = this.pluginConfig();
    const { blobs, manifests } = this.storesFor(config.cacheDir);
    const { taskConfig, report } = request;
    const source = parseComponentSource(taskConfig.component, taskConfig.checksum);
    const fetch = (): Promise<FetchedComponent> =>
      fetchComponent(source, {
        taskDir: request.taskDir,
        store: blobs,
        manifests,
        registries: config.registries,
        auth: taskConfig.auth,
        maxBytes: config.maxComponentBytes,
        report,
      });
    const fetched = await (request.phase ? request.phase('fetch', fetch) : fetch());
    const unpin = fetched.kind === 'file' ? () => undefined : blobs.pin(fetched.digest);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      unpin();
      // Each start has its own client (its own credentials); its keep-alive
      // connections must not outlive it in a long-running plugin.
      if (fetched.kind === 'oci') fetched.client.close();
    };
    // Only a download can push the cache over its bound.
    if (fetched.kind !== 'file' && fetched.downloaded) this.collectInBackground(config, blobs, request.log);
    return {
      path: fetched.path,
      fetched,
      evidence: attachedEvidence(fetched, request.taskDir, taskConfig.component),
      release,
      discard: async () => {
        release();
        // A component refused by admission leaves nothing behind on the node.
        if (fetched.kind !== 'file') await blobs.evictUnlessPinned(fetched.digest);
      },
    };
  }

  /** Cache collection never delays or fails a start; problems are logged. */
  private collectInBackground(config: PluginConfig, blobs: BlobStore, log: Logger): void {
    collectGarbage(config.cacheDir, config.cacheMaxBytes, (hex) => blobs.isPinned(hex)).then(
      (result) => {
        if (result.removed.length > 0)
          log.info(
            { removed: result.removed, freed_bytes: result.freedBytes, kept_bytes: result.keptBytes },
            'component cache collected',
          );
      },
      (err: unknown) => log.warn({ err: describeError(err) }, 'component cache collection failed'),
    );
  }

  private storesFor(cacheDir: string): { blobs: BlobStore; manifests: ManifestIndex } {
    if (this.stores?.cacheDir !== cacheDir)
      this.stores = { cacheDir, blobs: new BlobStore(cacheDir), manifests: new ManifestIndex(cacheDir) };
    return this.stores;
  }
}
