// Where Nomad hands a task its tokens: the names of the environment
// variables and files it fills, and how to recognise a Nomad workload
// identity wherever it was copied. Read from Nomad's source:
//
// - Vault: VAULT_TOKEN (unless vault { env = false }) and secrets/vault_token
//   (unless disable_file), plus private/vault_token
//   (client/allocrunner/taskrunner/vault_hook.go, client/taskenv/env.go).
// - Nomad workload identity: NOMAD_TOKEN and secrets/nomad_token
//   (identity { env / file }, 1.5+, identity_hook.go); named identities of
//   1.7+ as NOMAD_TOKEN_<name> and secrets/nomad_<name>.jwt, or any
//   `filepath` inside the task dir the job chooses.
// - Consul: secrets/si_token and CONSUL_HTTP_TOKEN for Connect native tasks
//   (sids_hook.go, connect_native_hook.go); 1.7+ workload identities add
//   secrets/consul_token with CONSUL_TOKEN and CONSUL_HTTP_TOKEN
//   (consul_hook.go).
// A `template { env = true }` can put any of them under any other name: the
// guard (token-guard.ts) therefore also compares values.

/** Variables Nomad fills with a token, whatever their value. */
const TOKEN_VARIABLES = new Set(['VAULT_TOKEN', 'NOMAD_TOKEN', 'CONSUL_HTTP_TOKEN', 'CONSUL_TOKEN']);
/** Named workload identities (Nomad 1.7+): NOMAD_TOKEN_<identity name>. */
const NAMED_IDENTITY_VARIABLE = /^NOMAD_TOKEN_\w+$/;

/** Files Nomad writes a token into, in a task's secrets/ (vault_token also in private/). */
const TOKEN_FILES = new Set(['vault_token', 'nomad_token', 'consul_token', 'si_token']);
/** Named workload identities' files (Nomad 1.7+): secrets/nomad_<identity name>.jwt. */
const NAMED_IDENTITY_FILE = /^nomad_\w+\.jwt$/;

/** Where in a task dir Nomad puts token files. */
export const TOKEN_DIRS = ['secrets', 'private'] as const;

export function isTokenVariable(name: string): boolean {
  return TOKEN_VARIABLES.has(name) || NAMED_IDENTITY_VARIABLE.test(name);
}

export function isTokenFileName(name: string): boolean {
  return TOKEN_FILES.has(name) || NAMED_IDENTITY_FILE.test(name);
}

/** Shorter values are not tokens (Vault's are 26+ characters, Consul's 36, JWTs hundreds): never matched. */
export const MIN_TOKEN_LENGTH = 16;

/** A JWT somewhere in a text: header.payload.signature, base64url. */
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/g;

/**
 * Whether the text holds a Nomad workload identity: a JWT whose claims are
 * Nomad's (`nomad_namespace`, `nomad_job_id`, `nomad_allocation_id`, ...).
 * Catches the identity's file wherever a job's `filepath` put it.
 */
export function holdsWorkloadIdentity(text: string): boolean {
  for (const [jwt] of text.matchAll(JWT)) {
    const payload = jwt.split('.')[1] ?? '';
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
      if (typeof claims === 'object' && claims !== null && Object.keys(claims).some((k) => k.startsWith('nomad_')))
        return true;
    } catch {
      // Not JSON: some other JWT-looking text, not a Nomad identity.
    }
  }
  return false;
}

/**
 * Vault paths whose read answers with the caller's own token (a `secret`
 * block on one would hand the component the task's Vault token):
 * `auth/token/lookup-self` returns it as `id`. Vault's answers are checked
 * too (vault-client.ts), for any other way a read could return it.
 */
const TOKEN_READING_PATHS = new Set(['auth/token/lookup-self', 'auth/token/lookup']);

export function readsCallerToken(path: string): boolean {
  const normalised =
    path
      .split('?')[0]
      ?.replace(/\/{2,}/g, '/')
      .replace(/^\/|\/$/g, '') ?? '';
  return TOKEN_READING_PATHS.has(normalised);
}
