// The bearer-token flow of the distribution spec: after a 401 with
// `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, ask the realm for a
// token (anonymously, with basic credentials, or trading an identity token)
// and use it as `Authorization: Bearer <token>` until it expires.
import { DriverError } from '../errors.js';
import { basicAuthorization, describeCredentials, type RegistryCredentials } from './credentials.js';
import { httpRequest, readBody, type HttpAgents } from './http-request.js';
import { errorFromResponse } from './registry-error.js';

export interface BearerToken {
  readonly value: string;
  /** Epoch ms after which the token is not reused. */
  readonly expiresAt: number;
}

const MAX_TOKEN_RESPONSE = 1024 * 1024;
/** The spec's default lifetime when the realm does not say. */
const DEFAULT_EXPIRES_IN_S = 60;
/** Renew a little early so a token does not expire mid-request. */
const EXPIRY_MARGIN_MS = 10_000;

interface TokenResponse {
  token?: unknown;
  access_token?: unknown;
  expires_in?: unknown;
}

export interface TokenRequest {
  readonly realm: string;
  readonly service: string | undefined;
  /** Usually one; several when the registry's challenge names another scope too. */
  readonly scopes: readonly string[];
  readonly credentials: RegistryCredentials;
  readonly signal: AbortSignal;
  readonly idleTimeoutMs: number;
}

export async function fetchBearerToken(request: TokenRequest, agents: HttpAgents): Promise<BearerToken> {
  let url: URL;
  try {
    url = new URL(request.realm);
  } catch (err) {
    throw new DriverError('OCI_AUTH_FAILED', `registry sent an unusable token realm ${JSON.stringify(request.realm)}`, {
      cause: err,
    });
  }
  const params = new URLSearchParams();
  if (request.service !== undefined) params.set('service', request.service);
  for (const scope of request.scopes) params.append('scope', scope);

  const credentials = request.credentials;
  let response;
  if (credentials !== undefined && 'identityToken' in credentials) {
    // OAuth2 refresh-token grant: the identity token goes in a POST body.
    params.set('grant_type', 'refresh_token');
    params.set('refresh_token', credentials.identityToken);
    params.set('client_id', 'nomad-driver-wasm');
    response = await httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(params.toString()),
        signal: request.signal,
        idleTimeoutMs: request.idleTimeoutMs,
      },
      agents,
    );
  } else {
    for (const [key, value] of params) url.searchParams.append(key, value);
    const headers: Record<string, string> =
      credentials === undefined ? {} : { authorization: basicAuthorization(credentials) };
    response = await httpRequest(
      url,
      { method: 'GET', headers, signal: request.signal, idleTimeoutMs: request.idleTimeoutMs },
      agents,
    );
  }

  const status = response.statusCode ?? 0;
  const where = `token service ${request.realm} (scope ${request.scopes.join(' ')}, ${describeCredentials(credentials)})`;
  if (status === 401 || status === 403) {
    const cause = await errorFromResponse(response, where);
    throw new DriverError('OCI_AUTH_FAILED', `${where} refused the login (HTTP ${status})`, { cause });
  }
  if (status !== 200) throw await errorFromResponse(response, where);
  const body = await readBody(response, MAX_TOKEN_RESPONSE);
  let parsed: TokenResponse;
  try {
    parsed = JSON.parse(body?.toString('utf8') ?? '') as TokenResponse;
  } catch (err) {
    throw new DriverError('OCI_AUTH_FAILED', `${where} returned a response that is not JSON`, { cause: err });
  }
  const value = typeof parsed.token === 'string' && parsed.token !== '' ? parsed.token : parsed.access_token;
  if (typeof value !== 'string' || value === '') throw new DriverError('OCI_AUTH_FAILED', `${where} returned no token`);
  const expiresIn =
    typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_EXPIRES_IN_S;
  return { value, expiresAt: Date.now() + expiresIn * 1000 - EXPIRY_MARGIN_MS };
}
