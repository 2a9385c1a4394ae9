// Turns a registry's error response into a DriverError with the registry's
// own words (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}`).
import type { IncomingMessage } from 'node:http';
import { DriverError, isDriverError, type ErrorCode } from '../errors.js';
import { readBody } from './http-request.js';

const MAX_ERROR_BODY = 64 * 1024;

interface RegistryErrorBody {
  errors?: { code?: unknown; message?: unknown }[];
}

function summarize(body: Buffer | undefined): string {
  if (body === undefined || body.length === 0) return 'no error details';
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as RegistryErrorBody;
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return parsed.errors
        .map((e) => [e.code, e.message].filter((part) => typeof part === 'string' && part !== '').join(': '))
        .join('; ');
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): the text itself is the best detail there is.
  }
  return text.trim().slice(0, 300);
}

/** Reads (a bounded amount of) the body and builds the error; `what` names the request, e.g. "manifest oci://…". */
export async function errorFromResponse(response: IncomingMessage, what: string): Promise<DriverError> {
  const status = response.statusCode ?? 0;
  let body: Buffer | undefined;
  try {
    body = await readBody(response, MAX_ERROR_BODY);
  } catch (err) {
    return new DriverError('OCI_REGISTRY_ERROR', `${what}: HTTP ${status}, and reading the error body failed`, {
      cause: err,
    });
  }
  const detail = summarize(body);
  let code: ErrorCode = 'OCI_REGISTRY_ERROR';
  let summary = `registry answered HTTP ${status}`;
  if (status === 404) {
    code = 'OCI_NOT_FOUND';
    summary = 'not found';
  } else if (status === 401 || status === 403) {
    code = 'OCI_AUTH_FAILED';
    summary = `access denied (HTTP ${status})`;
  }
  return new DriverError(code, `${what}: ${summary} (${detail})`);
}

/**
 * A manifest asked for by a digest that is a blob of the repository (the
 * component's layer digest, say: what signatures cover and some tools print)
 * fails in registry-specific ways: docker-registry answers HTTP 500, others
 * 404. When the digest is such a blob, the mistake is named instead.
 */
export async function explainBlobDigest(
  err: unknown,
  reference: string,
  what: string,
  blobExists: (digest: string) => Promise<boolean>,
): Promise<unknown> {
  const explainable =
    reference.startsWith('sha256:') &&
    (isDriverError(err, 'OCI_REGISTRY_ERROR') || isDriverError(err, 'OCI_NOT_FOUND'));
  if (!explainable || !(await blobExists(reference))) return err;
  return new DriverError(
    'OCI_NOT_A_MANIFEST',
    `${what}: ${reference} is a blob of the repository (a layer or config, e.g. the component's own sha256), not a manifest; ` +
      'pin the manifest digest: the reference `nomad-wasm push` prints first, `manifestDigest` of `nomad-wasm inspect --json`, ' +
      'or `pinned_reference` of the Terraform data source nomadwasm_component',
    { cause: err },
  );
}
