// What reading referrers and signatures needs from a registry client:
// manifests by tag or digest and small blobs, both digest-checked. The
// client implements it; signatures.ts depends only on this, not on the client.
import type { ParsedManifest } from './manifest.js';
import type { OciReference } from './reference.js';

export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly parsed: ParsedManifest;
}

export interface RegistryReader {
  /** A 404 rejects with OCI_NOT_FOUND when required, else resolves undefined. */
  fetchManifest(ref: OciReference, reference: string, options: { required: true }): Promise<FetchedManifest>;
  fetchManifest(
    ref: OciReference,
    reference: string,
    options: { required: false },
  ): Promise<FetchedManifest | undefined>;
  /** Small blobs into memory, refused beyond maxBytes. */
  fetchBlob(ref: OciReference, digest: string, maxBytes: number): Promise<Buffer>;
}
