// The CLI's way to a component: the same fetch path as the driver (files,
// oci://, https:// with a checksum), into a throw-away cache, with progress
// on stderr.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { RegistryAuth, RegistryConfig } from '../config/registry-config.js';
import { BlobStore } from '../source/blob-store.js';
import { parseComponentSource } from '../source/component-source.js';
import { fetchComponent, type FetchedComponent } from '../source/fetch-component.js';
import { ManifestIndex } from '../source/manifest-index.js';

export interface RegistryFlags {
  readonly insecure: boolean;
  readonly auth: RegistryAuth | undefined;
}

export interface FetchedForCli {
  readonly component: FetchedComponent;
  /** The dir a local file counts as its "task dir" (where its bundle is looked for). */
  readonly baseDir: string;
  /** The `component` value relative to baseDir. */
  readonly field: string;
  readonly cleanup: () => Promise<void>;
}

export async function fetchRef(
  ref: string,
  checksum: string | undefined,
  flags: RegistryFlags,
): Promise<FetchedForCli> {
  const cache = await mkdtemp(join(tmpdir(), 'nomad-wasm-'));
  const cleanup = (): Promise<void> => rm(cache, { recursive: true, force: true });
  try {
    const isRemote = /^(oci|https?):\/\//.test(ref);
    const baseDir = isRemote ? process.cwd() : dirname(resolve(ref));
    const field = isRemote ? ref : basename(ref);
    const source = parseComponentSource(field, checksum);
    const registries: RegistryConfig[] = [];
    if (source.kind === 'oci' && flags.insecure) {
      const host = /^oci:\/\/([^/]+)\//.exec(ref)?.[1];
      if (host) registries.push({ host, auth: undefined, insecure: true, caCertPem: undefined });
    }
    const component = await fetchComponent(source, {
      taskDir: baseDir,
      store: new BlobStore(cache),
      manifests: new ManifestIndex(cache),
      registries,
      auth: flags.auth,
      maxBytes: Number.MAX_SAFE_INTEGER,
      report: (message) => process.stderr.write(`${message}\n`),
    });
    const cleanupAll = async (): Promise<void> => {
      if (component.kind === 'oci') component.client.close();
      await cleanup();
    };
    return { component, baseDir, field, cleanup: cleanupAll };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
