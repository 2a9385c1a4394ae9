// Brings a task's component onto the node: a file in the task dir is used
// where it is; an OCI artifact or an https:// URL is downloaded once into
// the shared content-addressed cache and digest-checked on the way in.
import { open } from 'node:fs/promises';
import type { RegistryAuth, RegistryConfig } from '../config/registry-config.js';
import { DriverError } from '../errors.js';
import { OciClient } from '../oci/client.js';
import { formatOciReference, parseOciReference, type OciReference } from '../oci/reference.js';
import { checkComponentHeader } from '../runtime/component-file.js';
import { resolveComponentPath } from './component-path.js';
import { digestOfFile } from './file-digest.js';
import type { BlobStore } from './blob-store.js';
import type { ComponentSource } from './component-source.js';
import { downloadHttps } from './https-download.js';
import type { ManifestIndex } from './manifest-index.js';
import { DownloadProgress, formatMiB } from './progress.js';
import { clientOptionsFor } from './registry-options.js';

export interface FetchContext {
  readonly taskDir: string;
  readonly store: BlobStore;
  readonly manifests: ManifestIndex;
  readonly registries: readonly RegistryConfig[];
  readonly auth: RegistryAuth | undefined;
  readonly maxBytes: number;
  /** A line for the task's events (`nomad alloc status`). */
  readonly report: (message: string) => void;
}

export type FetchedComponent =
  | { readonly kind: 'file'; readonly path: string; readonly origin: string }
  | {
      readonly kind: 'https';
      readonly path: string;
      readonly digest: string;
      readonly origin: string;
      readonly url: URL;
      readonly downloaded: boolean;
    }
  | {
      readonly kind: 'oci';
      readonly path: string;
      readonly digest: string;
      readonly manifestDigest: string;
      readonly origin: string;
      readonly reference: OciReference;
      readonly client: OciClient;
      /** False when the blob came from the node's cache. */
      readonly downloaded: boolean;
    };

export async function fetchComponent(source: ComponentSource, ctx: FetchContext): Promise<FetchedComponent> {
  switch (source.kind) {
    case 'file': {
      const path = await resolveComponentPath(ctx.taskDir, source.path);
      if (source.checksum !== undefined) checkChecksum(await digestOfFile(path), source.checksum, source.path);
      return { kind: 'file', path, origin: source.path };
    }
    case 'https':
      return fetchHttps(source.url, source.checksum, ctx);
    case 'oci':
      return fetchOci(source.reference, source.checksum, ctx);
  }
}

async function fetchHttps(url: URL, checksum: string, ctx: FetchContext): Promise<FetchedComponent> {
  const origin = url.href;
  const started = Date.now();
  const progress = new DownloadProgress(origin, ctx.report);
  let downloaded = false;
  const path = await ctx.store.fetch(
    checksum,
    async (temp) => {
      downloaded = true;
      ctx.report(`Downloading ${origin}`);
      await downloadHttps(url, temp, {
        expectedDigest: checksum,
        maxBytes: ctx.maxBytes,
        onProgress: (got, total) => progress.update(got, total),
      });
      await checkHeaderOf(temp, origin);
      ctx.report(`Downloaded ${origin} (${checksum}) in ${Date.now() - started} ms`);
    },
    () => ctx.report(`Using cached component ${checksum} for ${origin}`),
  );
  return { kind: 'https', path, digest: checksum, origin, url, downloaded };
}

async function fetchOci(text: string, checksum: string | undefined, ctx: FetchContext): Promise<FetchedComponent> {
  const reference = parseOciReference(text);
  const client = new OciClient(clientOptionsFor(reference.registry, ctx.registries, ctx.auth));
  try {
    const origin = formatOciReference(reference);
    const started = Date.now();
    const pinned = reference.digest === undefined ? undefined : await ctx.manifests.lookup(reference.digest);
    const resolved = pinned ?? (await client.resolveComponent(reference));
    if (!pinned) await ctx.manifests.remember(resolved);
    const { layer } = resolved;
    if (checksum !== undefined) checkChecksum(layer.digest, checksum, origin);
    if (layer.size > ctx.maxBytes) {
      throw new DriverError(
        'COMPONENT_TOO_LARGE',
        `${origin} is ${formatMiB(layer.size)}, larger than the node's max_component_mb (${formatMiB(ctx.maxBytes)}); nothing was pulled`,
      );
    }
    const progress = new DownloadProgress(origin, ctx.report);
    let downloaded = false;
    const path = await ctx.store.fetch(
      layer.digest,
      async (temp) => {
        downloaded = true;
        ctx.report(`Pulling ${origin} (${formatMiB(layer.size)}, manifest ${resolved.manifestDigest})`);
        await client.downloadBlob(reference, layer.digest, temp, {
          maxBytes: ctx.maxBytes,
          onProgress: (p) => progress.update(p.receivedBytes, p.totalBytes),
        });
        await checkHeaderOf(temp, origin);
        ctx.report(`Pulled ${origin} (${layer.digest}) in ${Date.now() - started} ms`);
      },
      () => ctx.report(`Using cached component ${layer.digest} for ${origin}`),
    );
    return {
      kind: 'oci',
      path,
      digest: layer.digest,
      manifestDigest: resolved.manifestDigest,
      origin,
      reference,
      client,
      downloaded,
    };
  } catch (err) {
    client.close();
    throw err;
  }
}

/** A blob that is not a component never enters the cache. */
async function checkHeaderOf(path: string, what: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(8), 0, 8, 0);
    checkComponentHeader(buffer.subarray(0, bytesRead), what);
  } finally {
    await file.close();
  }
}

function checkChecksum(actual: string, expected: string, what: string): void {
  if (actual !== expected) {
    throw new DriverError(
      'COMPONENT_CHECKSUM_MISMATCH',
      `component ${what} has digest ${actual}, but the task's checksum is ${expected}; nothing runs`,
    );
  }
}
