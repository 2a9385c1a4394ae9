// Everything between a task's `component = "..."` and a file the task host
// can load: fetch (or find) it, check the namespace's signature policy, keep
// the shared cache within its bounds. One provider per plugin process, so
// concurrent starts share downloads.
import type { Logger } from 'pino';
import type { PluginConfig } from '../config/plugin-config.js';
import type { WasmTaskConfig } from '../config/task-config.js';
import { describeError } from '../errors.js';
import { admitComponent, describeSigner, type Admission } from '../trust/admission.js';
import { VerifiedStore } from '../trust/verified-store.js';
import { BlobStore } from './blob-store.js';
import { collectGarbage } from './cache-gc.js';
import { parseComponentSource } from './component-source.js';
import { fetchComponent, type FetchedComponent } from './fetch-component.js';
import { ManifestIndex } from './manifest-index.js';

export interface ProvidedComponent {
  readonly path: string;
  /** sha256 of the bytes at `path`, when known without another read. */
  readonly digest: string | undefined;
  readonly fetched: FetchedComponent;
  readonly admission: Admission;
  /** Unpins the cached blob once the task host has loaded it. */
  readonly release: () => void;
}

export interface ProvideRequest {
  readonly taskConfig: WasmTaskConfig;
  readonly taskDir: string;
  readonly namespace: string;
  /** Adds a task event (message, annotations). */
  readonly report: (message: string, annotations?: Record<string, string>) => void;
  /** Runs each phase (`fetch`, `verify`) inside this wrapper (telemetry times it); they run as they are without one. */
  readonly phase?: <T>(name: 'fetch' | 'verify' | 'policy', work: () => Promise<T>) => Promise<T>;
  readonly log: Logger;
}

export class ComponentProvider {
  private stores?: { cacheDir: string; blobs: BlobStore; manifests: ManifestIndex; verified: VerifiedStore };

  constructor(private readonly pluginConfig: () => PluginConfig) {}

  async provide(request: ProvideRequest): Promise<ProvidedComponent> {
    const config = this.pluginConfig();
    const { blobs, manifests, verified } = this.storesFor(config.cacheDir);
    const { taskConfig, report } = request;
    const source = parseComponentSource(taskConfig.component, taskConfig.checksum);
    const phase = request.phase ?? (<T>(_name: string, work: () => Promise<T>): Promise<T> => work());
    const fetched = await phase('fetch', () =>
      fetchComponent(source, {
        taskDir: request.taskDir,
        store: blobs,
        manifests,
        registries: config.registries,
        auth: taskConfig.auth,
        maxBytes: config.maxComponentBytes,
        report: (message) => report(message),
      }),
    );
    const release = fetched.kind === 'file' ? () => undefined : blobs.pin(fetched.digest);
    try {
      const admission = await phase('verify', () =>
        admitComponent(fetched, {
          namespace: request.namespace,
          signatures: config.signatures,
          verified,
          taskDir: request.taskDir,
          componentField: taskConfig.component,
        }),
      );
      this.reportAdmission(admission, request);
      // Only a download can push the cache over its bound.
      if (fetched.kind !== 'file' && fetched.downloaded) this.collectInBackground(config, blobs, request.log);
      const digest =
        fetched.kind !== 'file' ? fetched.digest : admission.status === 'not-checked' ? undefined : admission.digest;
      return { path: fetched.path, digest, fetched, admission, release };
    } catch (err) {
      release();
      // A component refused by policy leaves nothing behind on the node.
      if (fetched.kind !== 'file') await blobs.evictUnlessPinned(fetched.digest);
      throw err;
    } finally {
      // Each start has its own client (its own credentials); its keep-alive
      // connections must not outlive it in a long-running plugin.
      if (fetched.kind === 'oci') fetched.client.close();
    }
  }

  private reportAdmission(admission: Admission, { report, log }: ProvideRequest): void {
    switch (admission.status) {
      case 'not-checked':
        return;
      case 'verified': {
        const signer = describeSigner(admission.signer);
        const how = admission.fromCache ? 'Signature verified earlier on this node' : 'Signature verified';
        report(`${how}: ${admission.digest} signed by ${signer}`, { digest: admission.digest, signer });
        log.info(
          { digest: admission.digest, signer: admission.signer, cached: admission.fromCache },
          'component signature verified',
        );
        return;
      }
      case 'unverified':
        report(
          `WARNING: running unverified component ${admission.digest} (signature policy "warn"): ${admission.reason.message}`,
          {
            digest: admission.digest,
            code: admission.reason.code,
          },
        );
        log.warn(
          { digest: admission.digest, code: admission.reason.code, err: admission.reason.message },
          'component signature not verified; running it under policy warn',
        );
    }
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

  private storesFor(cacheDir: string): { blobs: BlobStore; manifests: ManifestIndex; verified: VerifiedStore } {
    if (this.stores?.cacheDir !== cacheDir) {
      this.stores = {
        cacheDir,
        blobs: new BlobStore(cacheDir),
        manifests: new ManifestIndex(cacheDir),
        verified: new VerifiedStore(cacheDir),
      };
    }
    return this.stores;
  }
}
