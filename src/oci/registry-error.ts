// Turns a registry's error response into a DriverError with the registry's
// own words (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}`).
import type { IncomingMessage } from 'node:http';
import { DriverError, type ErrorCode } from '../errors.js';
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
