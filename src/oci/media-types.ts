// Media types the client reads and writes.
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export const WASM_CONFIG = 'application/vnd.wasm.config.v0+json';
export const WASM_LAYER = 'application/vnd.wasm.content.layer.v1+wasm';
/** Layer types a single-layer image may carry a component in (older tools used the first two). */
export const SINGLE_LAYER_WASM_TYPES: readonly string[] = [
  WASM_LAYER,
  'application/vnd.module.wasm.content.layer.v1+wasm',
  'application/wasm',
  'application/octet-stream',
];

export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_EMPTY_CONTENT = Buffer.from('{}');

/** Sigstore bundle artifact types: v0.3 and the older parameterised forms. */
export function isSigstoreBundleType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && mediaType.startsWith('application/vnd.dev.sigstore.bundle');
}

export const COSIGN_ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
  /** On cosign v3 bundle referrers: the DSSE statement's predicate type, readable without the bundle. */
  predicateType: 'dev.sigstore.bundle.predicateType',
} as const;

/** The predicate type of the DSSE statement `cosign sign` (v3 bundle format) signs an image with. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export const MANIFEST_ACCEPT = [OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST].join(', ');
