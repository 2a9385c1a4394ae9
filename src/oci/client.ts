// The OCI distribution client the driver pulls Wasm components with, and the
// push side tests and the CLI use to publish components and signatures.
import type { IncomingMessage } from 'node:http';
import { DriverError } from '../errors.js';
import { streamBlobToFile, type DownloadProgress } from './blob-download.js';
import type { RegistryCredentials } from './credentials.js';
import { checkDigest, referrersTag, sha256Digest } from './digest.js';
import { createAgents, readBody, type HttpAgents } from './http-request.js';
import { componentLayer, parseManifest, type Descriptor, type ImageIndex, type ImageManifest } from './manifest.js';
import {
  MANIFEST_ACCEPT,
  OCI_EMPTY,
  OCI_EMPTY_CONTENT,
  OCI_INDEX,
  OCI_MANIFEST,
  WASM_CONFIG,
  WASM_LAYER,
} from './media-types.js';
import { formatOciReference, manifestReference, type OciReference } from './reference.js';
import { errorFromResponse, explainBlobDigest } from './registry-error.js';
import { RegistryTransport, type RetryInfo } from './registry-transport.js';
import type { FetchedManifest, RegistryReader } from './registry-reader.js';
import { findSignatures, type SignatureCandidate } from './signatures.js';

export type { SignatureCandidate } from './signatures.js';
export type { FetchedManifest } from './registry-reader.js';
export type { RetryInfo } from './registry-transport.js';
export { referrersTag } from './digest.js';

export interface OciClientOptions {
  credentials?: RegistryCredentials;
  /** registries to talk plain http to (host:port), e.g. loopback test registries; default: https always, except 127.0.0.1/localhost/::1 hosts which use http */
  insecureRegistries?: readonly string[];
  /** trust this CA PEM for https registries (in addition to system roots) */
  caCertPem?: string;
  /** per HTTP request until the response headers, and the longest silence while a body streams; default 30s */
  timeoutMs?: number;
  /** on connection errors / 5xx / 429, exponential backoff with jitter, default 3 */
  retries?: number;
  /** first backoff window in ms (doubles per retry), default 250 */
  retryBaseDelayMs?: number;
  /** told about each retry before it is made (for logs) */
  onRetry?: (info: RetryInfo) => void;
  signal?: AbortSignal;
}

export interface ResolvedComponent {
  /** sha256:… of the manifest bytes (verified against ref.digest when given). */
  manifestDigest: string;
  layer: { digest: string; size: number; mediaType: string };
  configMediaType: string;
  manifestFormat: 'wasm-artifact' | 'single-layer-image';
}

/** Manifests are small; anything bigger is refused before it is parsed. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;

function contentLength(response: IncomingMessage): number | undefined {
  const header = response.headers['content-length'];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
}

export class OciClient implements RegistryReader {
  private readonly transports = new Map<string, RegistryTransport>();
  private readonly agents: HttpAgents;

  constructor(private readonly options: OciClientOptions = {}) {
    this.agents = createAgents(options.caCertPem);
  }

  /** Closes pooled keep-alive connections. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Resolves a reference to the manifest and the one component layer. */
  async resolveComponent(ref: OciReference): Promise<ResolvedComponent> {
    const manifest = await this.fetchManifest(ref, manifestReference(ref), { required: true });
    return {
      manifestDigest: manifest.digest,
      ...componentLayer(manifest.parsed, `manifest ${formatOciReference(ref)}`),
    };
  }

  /**
   * Streams a blob into destPath (temp file, then rename), verifying sha256 and
   * maxBytes while streaming. `size` (from the manifest) is checked against
   * maxBytes before anything is requested.
   */
  async downloadBlob(
    ref: OciReference,
    digest: string,
    destPath: string,
    opts: { maxBytes?: number; size?: number; onProgress?: (p: DownloadProgress) => void } = {},
  ): Promise<void> {
    const what = `blob ${digest} of ${formatOciReference(ref)}`;
    checkDigest(digest, what);
    const maxBytes = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
    if (opts.size !== undefined && opts.size > maxBytes) {
      throw new DriverError(
        'OCI_ARTIFACT_TOO_LARGE',
        `${what}: manifest says ${opts.size} bytes, more than the allowed ${maxBytes}`,
      );
    }
    const response = await this.openBlob(ref, digest, what);
    const length = contentLength(response);
    if (length !== undefined && length > maxBytes) {
      response.destroy();
      throw new DriverError(
        'OCI_ARTIFACT_TOO_LARGE',
        `${what}: registry says ${length} bytes, more than the allowed ${maxBytes}`,
      );
    }
    await streamBlobToFile(response, destPath, {
      digest,
      maxBytes,
      totalBytes: length ?? opts.size ?? 0,
      what,
      onProgress: opts.onProgress,
      signal: this.options.signal,
    });
  }

  /** Small blobs (signatures, bundles) into memory, digest-checked. */
  async fetchBlob(ref: OciReference, digest: string, maxBytes: number): Promise<Buffer> {
    const what = `blob ${digest} of ${formatOciReference(ref)}`;
    checkDigest(digest, what);
    const response = await this.openBlob(ref, digest, what);
    const length = contentLength(response);
    const body = length !== undefined && length > maxBytes ? undefined : await readBody(response, maxBytes);
    if (body === undefined) {
      response.destroy();
      throw new DriverError('OCI_ARTIFACT_TOO_LARGE', `${what}: larger than the allowed ${maxBytes} bytes`);
    }
    const actual = sha256Digest(body);
    if (actual !== digest) throw new DriverError('OCI_DIGEST_MISMATCH', `${what}: content hashes to ${actual}`);
    return body;
  }

  /** Pushes a component as a Wasm OCI artifact; returns the manifest digest. */
  async pushComponent(
    ref: OciReference,
    componentBytes: Uint8Array,
    opts: { annotations?: Record<string, string> } = {},
  ): Promise<{ manifestDigest: string; layerDigest: string }> {
    const layerDigest = sha256Digest(componentBytes);
    // Deterministic config (no timestamp): pushing the same bytes twice gives the same digest.
    const config = Buffer.from(JSON.stringify({ architecture: 'wasm', os: 'wasip2', layerDigests: [layerDigest] }));
    const configDigest = sha256Digest(config);
    await this.pushBlob(ref, componentBytes, layerDigest);
    await this.pushBlob(ref, config, configDigest);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: WASM_CONFIG, digest: configDigest, size: config.length },
      layers: [{ mediaType: WASM_LAYER, digest: layerDigest, size: componentBytes.byteLength }],
      ...(opts.annotations === undefined ? {} : { annotations: opts.annotations }),
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    // A pinned reference can only be pushed if these are exactly the pinned bytes.
    if (ref.digest !== undefined && ref.digest !== sha256Digest(bytes)) {
      throw new DriverError(
        'OCI_DIGEST_MISMATCH',
        `push to ${formatOciReference(ref)}: the manifest would have digest ${sha256Digest(bytes)}`,
      );
    }
    const { digest } = await this.putManifest(ref, bytes, OCI_MANIFEST, ref.tag);
    return { manifestDigest: digest, layerDigest };
  }

  /**
   * Pushes an artifact manifest whose `subject` is subjectDigest (a signature,
   * say). When the registry does not index referrers itself (no OCI-Subject
   * header in its answer), the `sha256-<hex>` tag index is updated instead.
   */
  async pushReferrer(
    ref: OciReference,
    subjectDigest: string,
    artifactType: string,
    blob: Uint8Array,
    blobMediaType: string,
    opts: { tag?: string; annotations?: Record<string, string> } = {},
  ): Promise<{ manifestDigest: string }> {
    const subjectRef = { registry: ref.registry, repository: ref.repository, digest: subjectDigest };
    const subject = await this.fetchManifest(subjectRef, subjectDigest, { required: true });
    const blobDigest = sha256Digest(blob);
    await this.pushBlob(ref, OCI_EMPTY_CONTENT, sha256Digest(OCI_EMPTY_CONTENT));
    await this.pushBlob(ref, blob, blobDigest);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType,
      config: { mediaType: OCI_EMPTY, digest: sha256Digest(OCI_EMPTY_CONTENT), size: OCI_EMPTY_CONTENT.length },
      layers: [{ mediaType: blobMediaType, digest: blobDigest, size: blob.byteLength }],
      subject: { mediaType: subject.parsed.mediaType, digest: subject.digest, size: subject.bytes.length },
      ...(opts.annotations === undefined ? {} : { annotations: opts.annotations }),
    };
    const { digest, size, indexedByRegistry } = await this.putManifest(
      ref,
      Buffer.from(JSON.stringify(manifest)),
      OCI_MANIFEST,
      opts.tag,
    );
    if (!indexedByRegistry) {
      await this.addToReferrersTag(ref, subjectDigest, {
        mediaType: OCI_MANIFEST,
        digest,
        size,
        artifactType,
        ...(opts.annotations === undefined ? {} : { annotations: opts.annotations }),
      });
    }
    return { manifestDigest: digest };
  }

  /** Signature candidates for a manifest: referrers API (or its tag fallback) and cosign's `.sig` tag. */
  findSignatures(ref: OciReference, manifestDigest: string): Promise<SignatureCandidate[]> {
    checkDigest(manifestDigest, `subject of ${formatOciReference(ref)}`);
    return findSignatures(this, this.transport(ref.registry), ref, manifestDigest);
  }

  /**
   * GETs a manifest by tag or digest, size-limited and digest-checked.
   * A 404 is OCI_NOT_FOUND when required, else undefined.
   */
  async fetchManifest(ref: OciReference, reference: string, options: { required: true }): Promise<FetchedManifest>;
  async fetchManifest(
    ref: OciReference,
    reference: string,
    options: { required: false },
  ): Promise<FetchedManifest | undefined>;
  async fetchManifest(
    ref: OciReference,
    reference: string,
    options: { required: boolean },
  ): Promise<FetchedManifest | undefined> {
    const what = `manifest ${formatOciReference({ registry: ref.registry, repository: ref.repository, ...(reference.startsWith('sha256:') ? { digest: reference } : { tag: reference }) })}`;
    let response: IncomingMessage;
    try {
      response = await this.transport(ref.registry).send({
        method: 'GET',
        target: `/v2/${ref.repository}/manifests/${reference}`,
        repository: ref.repository,
        actions: 'pull',
        headers: { accept: MANIFEST_ACCEPT },
        what,
      });
    } catch (err) {
      throw await explainBlobDigest(err, reference, what, (digest) => this.blobExists(ref, digest));
    }
    if (response.statusCode === 404 && !options.required) {
      response.resume();
      return undefined;
    }
    if (response.statusCode !== 200)
      throw await explainBlobDigest(await errorFromResponse(response, what), reference, what, (digest) =>
        this.blobExists(ref, digest),
      );
    const length = contentLength(response);
    const bytes =
      length !== undefined && length > MAX_MANIFEST_BYTES ? undefined : await readBody(response, MAX_MANIFEST_BYTES);
    if (bytes === undefined) {
      response.destroy();
      throw new DriverError('OCI_MANIFEST_UNSUPPORTED', `${what}: manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    const digest = sha256Digest(bytes);
    const expected = reference.startsWith('sha256:') ? reference : ref.digest;
    if (expected !== undefined && digest !== expected) {
      throw new DriverError('OCI_DIGEST_MISMATCH', `${what}: manifest hashes to ${digest}, expected ${expected}`);
    }
    return { bytes, digest, parsed: parseManifest(bytes, response.headers['content-type'], what) };
  }

  private transport(registry: string): RegistryTransport {
    let transport = this.transports.get(registry);
    if (transport === undefined) {
      transport = new RegistryTransport(
        registry,
        {
          credentials: this.options.credentials,
          insecureRegistries: this.options.insecureRegistries ?? [],
          timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          retries: this.options.retries ?? DEFAULT_RETRIES,
          retryBaseDelayMs: this.options.retryBaseDelayMs,
          signal: this.options.signal,
          onRetry: this.options.onRetry,
        },
        this.agents,
      );
      this.transports.set(registry, transport);
    }
    return transport;
  }

  /** Whether the repository has a blob (layer or config) of this digest; a failed answer counts as no. */
  private async blobExists(ref: OciReference, digest: string): Promise<boolean> {
    try {
      const response = await this.transport(ref.registry).send({
        method: 'HEAD',
        target: `/v2/${ref.repository}/blobs/${digest}`,
        repository: ref.repository,
        actions: 'pull',
        what: `blob ${digest} of ${ref.registry}/${ref.repository}`,
      });
      response.resume();
      return response.statusCode === 200;
    } catch {
      // Only asked to explain another failure, which stands on its own.
      return false;
    }
  }

  private async openBlob(ref: OciReference, digest: string, what: string): Promise<IncomingMessage> {
    const response = await this.transport(ref.registry).send({
      method: 'GET',
      target: `/v2/${ref.repository}/blobs/${digest}`,
      repository: ref.repository,
      actions: 'pull',
      what,
    });
    if (response.statusCode !== 200) throw await errorFromResponse(response, what);
    return response;
  }

  /** Monolithic upload (POST for a session, PUT with the digest), skipped when the blob is already there. */
  private async pushBlob(ref: OciReference, bytes: Uint8Array, digest: string): Promise<void> {
    const transport = this.transport(ref.registry);
    const what = `upload of blob ${digest} to ${formatOciReference(ref)}`;
    const common = { repository: ref.repository, actions: 'pull,push', what } as const;
    const head = await transport.send({ ...common, method: 'HEAD', target: `/v2/${ref.repository}/blobs/${digest}` });
    head.resume();
    if (head.statusCode === 200) return;
    const session = await transport.send({ ...common, method: 'POST', target: `/v2/${ref.repository}/blobs/uploads/` });
    const location = session.headers.location;
    if (session.statusCode !== 202 || location === undefined) throw await errorFromResponse(session, what);
    session.resume();
    const target = new URL(location, transport.baseUrl);
    target.searchParams.set('digest', digest);
    const put = await transport.send({
      ...common,
      method: 'PUT',
      target: target.href,
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    if (put.statusCode !== 201) throw await errorFromResponse(put, what);
    put.resume();
  }

  /** PUTs manifest bytes under `tag`, or under their digest when there is no tag. */
  private async putManifest(
    ref: OciReference,
    bytes: Buffer,
    mediaType: string,
    tag: string | undefined,
  ): Promise<{ digest: string; size: number; indexedByRegistry: boolean }> {
    const digest = sha256Digest(bytes);
    const what = `push of manifest ${digest} to ${formatOciReference({ registry: ref.registry, repository: ref.repository, ...(tag === undefined ? { digest } : { tag }) })}`;
    const response = await this.transport(ref.registry).send({
      method: 'PUT',
      target: `/v2/${ref.repository}/manifests/${tag ?? digest}`,
      repository: ref.repository,
      actions: 'pull,push',
      headers: { 'content-type': mediaType },
      body: bytes,
      what,
    });
    if (response.statusCode !== 201) throw await errorFromResponse(response, what);
    response.resume();
    return { digest, size: bytes.length, indexedByRegistry: response.headers['oci-subject'] !== undefined };
  }

  /** The referrers tag schema: an index tagged `sha256-<hex>` listing the subject's referrers. */
  private async addToReferrersTag(ref: OciReference, subjectDigest: string, entry: Descriptor): Promise<void> {
    const tag = referrersTag(subjectDigest);
    const existing = await this.fetchManifest(ref, tag, { required: false });
    const manifests =
      existing?.parsed.kind === 'index' ? existing.parsed.index.manifests.filter((m) => m.digest !== entry.digest) : [];
    const index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...manifests, entry] };
    await this.putManifest(ref, Buffer.from(JSON.stringify(index)), OCI_INDEX, tag);
  }
}
