// What is attached to a fetched component, found where its source keeps it:
//   file  → `<file>.sigstore.json` beside it in the task dir (a Sigstore
//           bundle, or a legacy `cosign sign-blob --bundle` file)
//   https → `<url>.sigstore.json`, when the server has one
//   oci   → referrers of the manifest (API or `sha256-<hex>` tag): signature
//           bundles and `cosign attest` attestations (told apart by the
//           predicate type cosign annotates them with), and cosign's
//           `sha256-<hex>.sig` tag
// Admission (src/trust/) reads a component only through this view, so it
// never needs to know how a source is fetched.
import { readFile } from 'node:fs/promises';
import { DriverError, isDriverError } from '../errors.js';
import { COSIGN_SIGN_PREDICATE } from '../oci/media-types.js';
import type { SignatureCandidate } from '../oci/signatures.js';
import type { SignatureInput } from '../verify/signature-sources.js';
import type { AttestationInput } from '../verify/verify-attestation.js';
import { resolveComponentPath } from './component-path.js';
import { digestOfFile } from './file-digest.js';
import type { FetchedComponent } from './fetch-component.js';

/** A signature file is small; anything bigger is not one. */
const MAX_SIGNATURE_BYTES = 1024 * 1024;
export const BUNDLE_SUFFIX = '.sigstore.json';

/** A fetched component as admission sees it (structurally trust's `AdmissionSubject`). */
export interface AttachedEvidence {
  readonly kind: FetchedComponent['kind'];
  /** The component as the job named it (`oci://…`, `https://…`, `local/app.wasm`). */
  readonly origin: string;
  /** The bytes on this node. */
  readonly path: string;
  readonly manifestDigest: string | undefined;
  /** `sha256:<hex>` of the bytes; a file in the task dir is hashed on first use. */
  digest(): Promise<string>;
  bytes(): Promise<Buffer>;
  signatures(): Promise<SignatureInput[]>;
  /** `cosign attest` bundles attached as OCI referrers; none for files and URLs. */
  attestations(): Promise<AttestationInput[]>;
}

export function attachedEvidence(
  component: FetchedComponent,
  taskDir: string,
  componentField: string,
): AttachedEvidence {
  let digest: Promise<string> | undefined;
  let referrers: Promise<SignatureCandidate[]> | undefined;
  // One listing of the referrers serves signatures and attestations alike.
  const listReferrers = (): Promise<SignatureCandidate[]> => {
    if (component.kind !== 'oci') return Promise.resolve([]);
    referrers ??= component.client.findSignatures(component.reference, component.manifestDigest);
    return referrers;
  };
  return {
    kind: component.kind,
    origin: component.origin,
    path: component.path,
    manifestDigest: component.kind === 'oci' ? component.manifestDigest : undefined,
    digest: () => {
      digest ??= component.kind === 'file' ? digestOfFile(component.path) : Promise.resolve(component.digest);
      return digest;
    },
    bytes: () => readFile(component.path),
    async signatures() {
      switch (component.kind) {
        case 'file':
          return fileBundle(taskDir, componentField);
        case 'https':
          return urlBundle(component.url);
        case 'oci':
          return (await listReferrers())
            .filter((c) => !isAttestation(c))
            .map((c) => signatureInput(c, component.origin));
      }
    },
    async attestations() {
      return (await listReferrers()).flatMap((c): AttestationInput[] =>
        c.kind === 'sigstore-bundle' && isAttestation(c)
          ? [
              {
                bundleJson: c.bundleJson,
                origin: `${component.origin} referrer ${c.manifestDigest} (${c.source})`,
                ...(c.predicateType === undefined ? {} : { announcedPredicateType: c.predicateType }),
              },
            ]
          : [],
      );
    },
  };
}

/** A bundle cosign annotated with a predicate type other than its own signing one is an attestation. */
function isAttestation(candidate: SignatureCandidate): boolean {
  return (
    candidate.kind === 'sigstore-bundle' &&
    candidate.predicateType !== undefined &&
    candidate.predicateType !== COSIGN_SIGN_PREDICATE
  );
}

function signatureInput(c: SignatureCandidate, origin: string): SignatureInput {
  if (c.kind === 'sigstore-bundle')
    return { kind: 'sigstore-bundle', bundleJson: c.bundleJson, origin: `${origin} (${c.source})` };
  return {
    kind: 'cosign-simple-signing',
    payload: c.payload,
    signatureBase64: c.signatureBase64,
    ...(c.certificatePem ? { certificatePem: c.certificatePem } : {}),
    ...(c.chainPem ? { chainPem: c.chainPem } : {}),
    ...(c.timestampAnnotation ? { timestampAnnotation: c.timestampAnnotation } : {}),
    origin: `${origin} (cosign .sig tag)`,
  };
}

async function fileBundle(taskDir: string, componentField: string): Promise<SignatureInput[]> {
  let path: string;
  try {
    // Same containment rules as the component itself: no escaping the task dir.
    path = await resolveComponentPath(taskDir, componentField + BUNDLE_SUFFIX);
  } catch (err) {
    if (isDriverError(err, 'COMPONENT_NOT_FOUND')) return [];
    throw err;
  }
  const json = await readFile(path);
  if (json.length > MAX_SIGNATURE_BYTES)
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${componentField}${BUNDLE_SUFFIX} is ${json.length} bytes: too large to be a signature bundle`,
    );
  const origin = componentField + BUNDLE_SUFFIX;
  return [
    isLegacyCosignBundle(json)
      ? { kind: 'cosign-legacy-bundle', json, origin }
      : { kind: 'sigstore-bundle', bundleJson: json, origin },
  ];
}

async function urlBundle(url: URL): Promise<SignatureInput[]> {
  const bundleUrl = new URL(url.href + BUNDLE_SUFFIX);
  let response: Response;
  try {
    response = await fetch(bundleUrl, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new DriverError(
      'COMPONENT_DOWNLOAD_FAILED',
      `could not fetch the signature bundle ${bundleUrl.href}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (response.status === 404) return [];
  if (!response.ok)
    throw new DriverError(
      'COMPONENT_DOWNLOAD_FAILED',
      `could not fetch the signature bundle ${bundleUrl.href}: HTTP ${response.status}`,
    );
  const json = Buffer.from(await response.arrayBuffer());
  if (json.length > MAX_SIGNATURE_BYTES)
    throw new DriverError('SIGNATURE_INVALID', `${bundleUrl.href} is too large to be a signature bundle`);
  const origin = bundleUrl.href;
  return [
    isLegacyCosignBundle(json)
      ? { kind: 'cosign-legacy-bundle', json, origin }
      : { kind: 'sigstore-bundle', bundleJson: json, origin },
  ];
}

/** cosign's pre-2.4 `--bundle` files carry `base64Signature` at the top level. */
function isLegacyCosignBundle(json: Buffer): boolean {
  try {
    const parsed = JSON.parse(json.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && 'base64Signature' in parsed;
  } catch {
    return false; // not JSON at all: the bundle parser reports it properly
  }
}
