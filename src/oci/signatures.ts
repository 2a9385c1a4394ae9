// Finding signatures attached to a manifest, in the three places tools put
// them: the OCI referrers API, its `sha256-<hex>` tag fallback (registries
// without the API), and cosign's `sha256-<hex>.sig` tag. Verifying them is
// the caller's job; everything returned here is digest-checked bytes.
import { DriverError } from '../errors.js';
import { referrersTag } from './digest.js';
import { parseManifest, type Descriptor } from './manifest.js';
import { COSIGN_ANNOTATIONS, isSigstoreBundleType, OCI_EMPTY, OCI_INDEX } from './media-types.js';
import { formatOciReference, type OciReference } from './reference.js';
import { readBody } from './http-request.js';
import type { RegistryReader } from './registry-reader.js';
import type { RegistryTransport } from './registry-transport.js';
import { errorFromResponse } from './registry-error.js';

export type SignatureCandidate =
  | {
      kind: 'sigstore-bundle';
      source: 'referrers-api' | 'referrers-tag';
      manifestDigest: string;
      bundleJson: Buffer;
      /**
       * The in-toto predicate type cosign writes beside a DSSE bundle
       * (`dev.sigstore.bundle.predicateType`): an attestation's (SLSA, SPDX,
       * CycloneDX) or a `cosign sign` signature's. Absent on plain bundles.
       */
      predicateType?: string;
    }
  | {
      kind: 'cosign-simple-signing';
      source: 'cosign-sig-tag';
      payload: Buffer;
      signatureBase64: string;
      certificatePem?: string;
      chainPem?: string;
      bundleAnnotation?: string;
      timestampAnnotation?: string;
    };

/** Bundles and simple-signing payloads are a few KiB; this only stops abuse. */
const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;
const MAX_REFERRERS_BYTES = 4 * 1024 * 1024;
const MAX_REFERRERS_PAGES = 10;

export async function findSignatures(
  client: RegistryReader,
  transport: RegistryTransport,
  ref: OciReference,
  subjectDigest: string,
): Promise<SignatureCandidate[]> {
  const repo = { registry: ref.registry, repository: ref.repository };
  const fromApi = await referrersFromApi(transport, ref, subjectDigest);
  let referrers: Descriptor[];
  let source: 'referrers-api' | 'referrers-tag';
  if (fromApi !== undefined) {
    referrers = fromApi;
    source = 'referrers-api';
  } else {
    const index = await client.fetchManifest(repo, referrersTag(subjectDigest), { required: false });
    referrers = index?.parsed.kind === 'index' ? index.parsed.index.manifests : [];
    source = 'referrers-tag';
  }

  const candidates: SignatureCandidate[] = [];
  for (const referrer of referrers) {
    // Descriptors in tag indexes written by older tools may lack artifactType,
    // and some registries report the config type (the empty one) instead of
    // the manifest's artifactType: then the referrer manifest itself says.
    const listedType = referrer.artifactType;
    if (listedType !== undefined && listedType !== OCI_EMPTY && !isSigstoreBundleType(listedType)) continue;
    const manifest = await client.fetchManifest({ ...repo, digest: referrer.digest }, referrer.digest, {
      required: false,
    });
    if (manifest === undefined || manifest.parsed.kind !== 'manifest') continue;
    const m = manifest.parsed.manifest;
    if (!isSigstoreBundleType(m.artifactType ?? referrer.artifactType ?? m.config.mediaType)) continue;
    // Only referrers that really point at this subject count.
    if (m.subject !== undefined && m.subject.digest !== subjectDigest) continue;
    const layer =
      m.layers.find((l) => isSigstoreBundleType(l.mediaType)) ?? (m.layers.length === 1 ? m.layers[0] : undefined);
    if (layer === undefined) continue;
    const bundleJson = await client.fetchBlob(repo, layer.digest, MAX_SIGNATURE_BYTES);
    const predicateType =
      m.annotations?.[COSIGN_ANNOTATIONS.predicateType] ?? referrer.annotations?.[COSIGN_ANNOTATIONS.predicateType];
    candidates.push({
      kind: 'sigstore-bundle',
      source,
      manifestDigest: manifest.digest,
      bundleJson,
      ...(predicateType === undefined ? {} : { predicateType }),
    });
  }

  const sig = await client.fetchManifest(repo, `${referrersTag(subjectDigest)}.sig`, { required: false });
  if (sig?.parsed.kind === 'manifest') {
    for (const layer of sig.parsed.manifest.layers) {
      const annotations = layer.annotations ?? {};
      const signatureBase64 = annotations[COSIGN_ANNOTATIONS.signature];
      if (signatureBase64 === undefined) continue;
      const payload = await client.fetchBlob(repo, layer.digest, MAX_SIGNATURE_BYTES);
      const certificatePem = annotations[COSIGN_ANNOTATIONS.certificate];
      const chainPem = annotations[COSIGN_ANNOTATIONS.chain];
      const bundleAnnotation = annotations[COSIGN_ANNOTATIONS.bundle];
      const timestampAnnotation = annotations[COSIGN_ANNOTATIONS.timestamp];
      candidates.push({
        kind: 'cosign-simple-signing',
        source: 'cosign-sig-tag',
        payload,
        signatureBase64,
        ...(certificatePem === undefined ? {} : { certificatePem }),
        ...(chainPem === undefined ? {} : { chainPem }),
        ...(bundleAnnotation === undefined ? {} : { bundleAnnotation }),
        ...(timestampAnnotation === undefined ? {} : { timestampAnnotation }),
      });
    }
  }
  return candidates;
}

/**
 * GET /v2/<repo>/referrers/<digest>, following `Link: <…>; rel="next"` pages.
 * Undefined when the registry lacks the API (it must answer 200 when it has it,
 * so a 404, 400 or 405 means "not supported").
 */
async function referrersFromApi(
  transport: RegistryTransport,
  ref: OciReference,
  subjectDigest: string,
): Promise<Descriptor[] | undefined> {
  const what = `referrers of ${formatOciReference({ registry: ref.registry, repository: ref.repository, digest: subjectDigest })}`;
  const found: Descriptor[] = [];
  let target: string | undefined = `/v2/${ref.repository}/referrers/${subjectDigest}`;
  for (let page = 0; target !== undefined && page < MAX_REFERRERS_PAGES; page++) {
    const response = await transport.send({
      method: 'GET',
      target,
      repository: ref.repository,
      actions: 'pull',
      headers: { accept: OCI_INDEX },
      what,
    });
    const status = response.statusCode ?? 0;
    if (page === 0 && (status === 404 || status === 400 || status === 405)) {
      response.resume();
      return undefined;
    }
    if (status !== 200) throw await errorFromResponse(response, what);
    const body = await readBody(response, MAX_REFERRERS_BYTES);
    if (body === undefined)
      throw new DriverError('OCI_REGISTRY_ERROR', `${what}: list larger than ${MAX_REFERRERS_BYTES} bytes`);
    const parsed = parseManifest(body, response.headers['content-type'], what);
    if (parsed.kind !== 'index') return undefined;
    found.push(...parsed.index.manifests);
    const link = response.headers.link;
    target = /<([^>]+)>\s*;\s*rel="?next"?/.exec(Array.isArray(link) ? link.join(', ') : (link ?? ''))?.[1];
  }
  return found;
}
