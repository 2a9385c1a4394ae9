// Reading manifests: the JSON shapes we rely on, and the decision whether a
// manifest is something the driver can run (one Wasm component layer).
import { DriverError } from '../errors.js';
import { checkDigest } from './digest.js';
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST,
  SINGLE_LAYER_WASM_TYPES,
  WASM_CONFIG,
  WASM_LAYER,
} from './media-types.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export type ParsedManifest =
  | { kind: 'manifest'; manifest: ImageManifest; mediaType: string }
  | { kind: 'index'; index: ImageIndex; mediaType: string };

export interface ComponentLayer {
  readonly layer: { digest: string; size: number; mediaType: string };
  readonly configMediaType: string;
  readonly manifestFormat: 'wasm-artifact' | 'single-layer-image';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unsupported(what: string, why: string): DriverError {
  return new DriverError('OCI_MANIFEST_UNSUPPORTED', `${what}: ${why}`);
}

function descriptor(value: unknown, what: string): Descriptor {
  if (
    !isRecord(value) ||
    typeof value.mediaType !== 'string' ||
    typeof value.digest !== 'string' ||
    !Number.isSafeInteger(value.size) ||
    (value.size as number) < 0
  ) {
    throw unsupported(what, 'malformed descriptor (needs mediaType, digest and a non-negative size)');
  }
  checkDigest(value.digest, what);
  return value as unknown as Descriptor;
}

/**
 * Parses manifest bytes. The media type comes from the body when it has one,
 * else from the Content-Type header (old registries omit it from the body).
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, what: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new DriverError('OCI_MANIFEST_UNSUPPORTED', `${what}: manifest is not JSON`, { cause: err });
  }
  if (!isRecord(json) || json.schemaVersion !== 2) throw unsupported(what, 'not a schemaVersion 2 manifest');
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : (contentType?.split(';')[0]?.trim() ?? '');
  if (
    mediaType === OCI_INDEX ||
    mediaType === DOCKER_MANIFEST_LIST ||
    (mediaType === '' && Array.isArray(json.manifests))
  ) {
    if (!Array.isArray(json.manifests)) throw unsupported(what, 'index without a manifests list');
    json.manifests.forEach((m, i) => descriptor(m, `${what} manifests[${i}]`));
    return { kind: 'index', index: json as unknown as ImageIndex, mediaType: mediaType || OCI_INDEX };
  }
  if (mediaType !== OCI_MANIFEST && mediaType !== DOCKER_MANIFEST && mediaType !== '') {
    throw unsupported(what, `media type ${JSON.stringify(mediaType)} is not an OCI or Docker v2 image manifest`);
  }
  if (!Array.isArray(json.layers)) throw unsupported(what, 'manifest without a layers list');
  descriptor(json.config, `${what} config`);
  json.layers.forEach((l, i) => descriptor(l, `${what} layers[${i}]`));
  if (json.subject !== undefined) descriptor(json.subject, `${what} subject`);
  return { kind: 'manifest', manifest: json as unknown as ImageManifest, mediaType: mediaType || OCI_MANIFEST };
}

/** Picks the one component layer, or explains why this manifest holds none. */
export function componentLayer(parsed: ParsedManifest, what: string): ComponentLayer {
  if (parsed.kind === 'index') {
    throw unsupported(
      what,
      `is an image index (${parsed.index.manifests.length} manifests, e.g. a multi-platform image); ` +
        'push the component as a single Wasm artifact, or reference one of its manifests by digest',
    );
  }
  const { config, layers } = parsed.manifest;
  const layerTypes = layers.map((l) => l.mediaType).join(', ') || 'none';
  if (config.mediaType === WASM_CONFIG) {
    const only = layers[0];
    if (layers.length !== 1 || only === undefined || only.mediaType !== WASM_LAYER) {
      throw unsupported(what, `Wasm artifact must have exactly one ${WASM_LAYER} layer, has: ${layerTypes}`);
    }
    return {
      layer: { digest: only.digest, size: only.size, mediaType: only.mediaType },
      configMediaType: config.mediaType,
      manifestFormat: 'wasm-artifact',
    };
  }
  const only = layers[0];
  if (layers.length === 1 && only !== undefined && SINGLE_LAYER_WASM_TYPES.includes(only.mediaType)) {
    return {
      layer: { digest: only.digest, size: only.size, mediaType: only.mediaType },
      configMediaType: config.mediaType,
      manifestFormat: 'single-layer-image',
    };
  }
  throw unsupported(
    what,
    `not a Wasm component: expected config ${WASM_CONFIG} with one ${WASM_LAYER} layer, or a single Wasm/octet-stream layer; ` +
      `got config ${config.mediaType} and layers: ${layerTypes}`,
  );
}
