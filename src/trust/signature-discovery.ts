// Finds the signatures that may vouch for a fetched component:
//   file  → `<file>.sigstore.json` beside it in the task dir (a Sigstore
//           bundle, or a legacy `cosign sign-blob --bundle` file)
//   https → `<url>.sigstore.json`, when the server has one
//   oci   → referrers of the manifest (API or `sha256-<hex>` tag) and
//           cosign's `sha256-<hex>.sig` tag
import { readFile } from 'node:fs/promises';
import { DriverError, isDriverError } from '../errors.js';
import type { FetchedComponent } from '../source/fetch-component.js';
import { resolveComponentPath } from '../task/component-path.js';
import type { SignatureInput } from '../verify/signature-sources.js';

/** A signature file is small; anything bigger is not one. */
const MAX_SIGNATURE_BYTES = 1024 * 1024;
export const BUNDLE_SUFFIX = '.sigstore.json';

export async function discoverSignatures(
  component: FetchedComponent,
  taskDir: string,
  componentField: string,
): Promise<SignatureInput[]> {
  switch (component.kind) {
    case 'file':
      return fileBundle(taskDir, componentField);
    case 'https':
      return urlBundle(component.url);
    case 'oci': {
      const candidates = await component.client.findSignatures(component.reference, component.manifestDigest);
      return candidates.map((c): SignatureInput => {
        if (c.kind === 'sigstore-bundle')
          return { kind: 'sigstore-bundle', bundleJson: c.bundleJson, origin: `${component.origin} (${c.source})` };
        return {
          kind: 'cosign-simple-signing',
          payload: c.payload,
          signatureBase64: c.signatureBase64,
          ...(c.certificatePem ? { certificatePem: c.certificatePem } : {}),
          ...(c.chainPem ? { chainPem: c.chainPem } : {}),
          ...(c.timestampAnnotation ? { timestampAnnotation: c.timestampAnnotation } : {}),
          origin: `${component.origin} (cosign .sig tag)`,
        };
      });
    }
  }
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
