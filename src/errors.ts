// The one error catalogue of the driver. Every failure a user or operator can
// see carries one of these codes, shown as `[CODE] message` (codedMessage);
// README.md documents each of them and test/unit/errors-doc.test.ts keeps the
// two in step.

export interface ErrorInfo {
  /** One line for the README: what happened and what to do about it. */
  readonly description: string;
  /**
   * Whether Nomad should retry a task that failed with this error according
   * to the job's restart policy (only meaningful for StartTask).
   */
  readonly recoverable: boolean;
}

export const ERROR_CATALOGUE = {
  PLUGIN_CONFIG_INVALID: {
    description:
      'The `plugin "wasm" { config { ... } }` block of the client agent is malformed; the message names the field.',
    recoverable: false,
  },
  TASK_CONFIG_INVALID: {
    description:
      'The task `config { ... }` block is malformed (wrong type, unknown value, bad port label); the message names the field.',
    recoverable: false,
  },
  COMPONENT_NOT_FOUND: {
    description: 'The `component` file does not exist inside the task directory (did the `artifact` block run?).',
    recoverable: false,
  },
  COMPONENT_PATH_ESCAPE: {
    description:
      'The `component` path points outside the task directory (absolute path, `..` or a symlink out); only files inside the task dir can run.',
    recoverable: false,
  },
  COMPONENT_INVALID: {
    description:
      "The file is not WebAssembly the driver can run: not Wasm at all, an unknown layer or version, a truncated or corrupt binary (the message carries the decoder's finding), or a module the WASI preview1 adapter refused.",
    recoverable: false,
  },
  COMPONENT_WORLD_UNSUPPORTED: {
    description:
      'The component exports neither `wasi:cli/run` nor a `wasi:http` handler (`wasi:http/incoming-handler@0.2`, `wasi:http/handler@0.3`), imports an interface the driver cannot provide, or targets a WASI 0.3 release candidate it does not host (it hosts 0.3.0 and 0.3.0-rc-2026-03-15); the message names each.',
    recoverable: false,
  },
  JSPI_UNAVAILABLE: {
    description:
      "The component is a WASI 0.3 component and the node's Node.js cannot run it: jco's glue for the 0.3 async ABI needs JavaScript Promise Integration (`WebAssembly.Suspending`), which the driver enables with `--experimental-wasm-jspi` on Node.js 24 (the `node` installed with the plugin). Point `NOMAD_DRIVER_WASM_NODE` at a Node.js ≥ 24, or leave it unset.",
    recoverable: false,
  },
  WASI_PREVIEW1_NOT_A_COMMAND: {
    description:
      'The file is a core WebAssembly module that cannot run as a WASI preview1 command: a reactor (it exports `_initialize`, no `_start`; e.g. Go `-buildmode=c-shared`), a module without `_start`, or one that does not export its memory. The message says what it exports; build it as a command (Go: plain `go build`; Rust: a bin target; wasi-sdk: `-mexec-model=command`).',
    recoverable: false,
  },
  WASI_PREVIEW1_IMPORT_UNSUPPORTED: {
    description:
      'The core module imports functions that are not WASI preview1 (the message names them, e.g. `env.host_log` from another runtime or Go `//go:wasmimport`); the preview1 command adapter provides `wasi_snapshot_preview1` only. Build it without them, or as a WASI 0.2 component.',
    recoverable: false,
  },
  SPIN_MANIFEST_INVALID: {
    description:
      'The `spin { manifest = ... }` file cannot be used: missing or outside the task dir, not TOML, not `spin_manifest_version = 2`, or the `component` named (or needed, when it declares several) is not in it.',
    recoverable: false,
  },
  SPIN_GRANT_MISSING: {
    description:
      "The Spin app's manifest asks for something the task does not grant: a key-value store (`key_value_store` block), a variable (`config_values` / `config_keys`), an outbound host (`allow_http`), or an HTTP trigger without `port`. The message lists each, with the config to add.",
    recoverable: false,
  },
  COMPONENT_TRANSPILE_FAILED: {
    description: 'jco could not transpile the component; the cause is attached. Nothing is cached for it.',
    recoverable: false,
  },
  COMPONENT_INSTANTIATE_FAILED: {
    description: 'The component failed while being instantiated (a trap in its start function, a missing import).',
    recoverable: true,
  },
  COMPONENT_DOWNLOAD_FAILED: {
    description:
      'The `https://` component could not be downloaded (server unreachable, timeout, HTTP error) after retries; the message names the URL and the last error. Nothing is cached.',
    recoverable: true,
  },
  COMPONENT_CHECKSUM_MISMATCH: {
    description: "The component's bytes do not hash to the task's `checksum`; nothing is cached and nothing runs.",
    recoverable: false,
  },
  COMPONENT_TOO_LARGE: {
    description:
      "The component is larger than the plugin's `max_component_mb`; the download stops at the limit and nothing is cached.",
    recoverable: false,
  },
  HTTP_LISTEN_FAILED: {
    description: 'The HTTP service could not bind its allocated port (already in use?).',
    recoverable: true,
  },
  GLUE_REWRITE_UNAVAILABLE: {
    description:
      "A warning at task start, not a failure: jco's glue for the component was not the one the driver's glue rewrites were checked against (another jco version, an unknown glue shape), so the task runs on jco's own glue, correct but slower (host calls keep jco's task bookkeeping; per-request instances are built afresh). The event names the jco version, the rewrite and why.",
    recoverable: false,
  },
  TASK_HOST_FAILED: {
    description:
      'The task host process could not be started or died before the component was ready; the message carries its last words.',
    recoverable: true,
  },
  POOL_HOST_FAILED: {
    description:
      'A pool host process (`isolation = "pooled"`) could not be started, or ended while tasks ran in it: every task in it ended with this message, which says why (a task blocked it past its `kill_timeout`, a crash, the OOM killer).',
    recoverable: true,
  },
  LOG_FIFO_OPEN_FAILED: {
    description: "The task's stdout/stderr FIFO from Nomad's logmon could not be opened.",
    recoverable: true,
  },
  TASK_NOT_FOUND: {
    description: 'No task with this id is known to the plugin (already destroyed, or never started here).',
    recoverable: false,
  },
  TASK_ALREADY_STARTED: {
    description:
      'StartTask was called twice with the same task id; Nomad never does this, so it indicates a bug upstream.',
    recoverable: false,
  },
  TASK_STILL_RUNNING: {
    description: 'DestroyTask without `force` was called for a task that is still running.',
    recoverable: false,
  },
  TASK_RECOVER_FAILED: {
    description:
      'RecoverTask could not re-attach to the task (its process is gone and left no exit status, or its state is unreadable); Nomad then restarts the task.',
    recoverable: false,
  },
  DRIVER_INTERNAL_ERROR: {
    description:
      'An unexpected failure inside the driver, not caused by the job or the node config (a bug); the message says what failed. Report it with the plugin log.',
    recoverable: false,
  },
  SIGNAL_UNKNOWN: {
    description: 'SignalTask/StopTask named a signal this platform does not know (use names like `SIGHUP`).',
    recoverable: false,
  },
  MOUNT_ESCAPE: {
    description:
      'A `mount` source is not a directory under `local/`, `secrets/` or `alloc/data` of the task (absolute path, `..`, or a symlink that leads out).',
    recoverable: false,
  },
  MOUNT_SOURCE_MISSING: {
    description:
      'A `mount` source directory does not exist (create it with a `template`, an `artifact`, or an earlier task).',
    recoverable: false,
  },
  GRANT_EXCEEDS_CEILING: {
    description:
      'The task asks for more than the node\'s `plugin "wasm"` config allows (an outbound host, a read-write mount, memory); the message names the grant and the ceiling.',
    recoverable: false,
  },
  GRANT_EXPOSES_TOKEN: {
    description:
      "A grant would hand the component one of the task's tokens (Vault, Nomad workload identity, Consul): `pass_env` of `VAULT_TOKEN`/`NOMAD_TOKEN`/`CONSUL_HTTP_TOKEN`/`CONSUL_TOKEN`, a `mount` of a directory holding a token file or a copy of a token, an `env`/`args`/`config_values` value that is a token, or a `secret` that reads one; the message names the field. Mount a subdirectory that holds no token instead.",
    recoverable: false,
  },
  MEMORY_CEILING_TOO_LOW: {
    description:
      "The component's initial linear memory is larger than the task's memory ceiling (`resources { memory / memory_max }`).",
    recoverable: false,
  },
  OCI_REFERENCE_INVALID: {
    description:
      'An OCI reference is malformed; it must look like `oci://host[:port]/repo[/more]:tag` or `...@sha256:<64 hex>` (the message says which part is wrong).',
    recoverable: false,
  },
  OCI_REGISTRY_UNREACHABLE: {
    description:
      'The registry could not be reached (connection refused, reset or timed out) after the configured retries.',
    recoverable: true,
  },
  OCI_AUTH_FAILED: {
    description:
      'The registry or its token service refused authentication (401/403); the message says whether credentials were given and names the token realm.',
    recoverable: false,
  },
  OCI_NOT_FOUND: {
    description: 'The registry has no such repository, tag, manifest or blob (404); the message names the reference.',
    recoverable: false,
  },
  OCI_MANIFEST_UNSUPPORTED: {
    description:
      'The manifest is not a Wasm artifact or a single-layer image with a Wasm layer (e.g. a multi-platform image index, several layers, or larger than 4 MiB).',
    recoverable: false,
  },
  OCI_NOT_A_MANIFEST: {
    description:
      "The reference pins a digest that is a blob of the repository (the component's layer or config digest), not a manifest: pin the manifest digest (the first line `nomad-wasm push` prints; `pinned_reference` in Terraform).",
    recoverable: false,
  },
  OCI_DIGEST_MISMATCH: {
    description:
      'Downloaded bytes do not hash to the digest that was asked for (tampering or a broken registry); nothing is left on disk.',
    recoverable: false,
  },
  OCI_ARTIFACT_TOO_LARGE: {
    description:
      'The artifact is larger than the allowed size (declared by the manifest or found while streaming); nothing is left on disk.',
    recoverable: false,
  },
  OCI_REGISTRY_ERROR: {
    description:
      "The registry answered with an unexpected HTTP status (5xx after retries, or another error); the message carries the registry's own error text.",
    recoverable: true,
  },
  SIGNATURE_MISSING: {
    description:
      'Signature verification is enforced for this namespace but no signature was found for the component (no bundle next to it, no cosign signature in the registry).',
    recoverable: false,
  },
  SIGNATURE_INVALID: {
    description:
      'A signature was found but does not verify: the component or its bundle was altered, the bundle is malformed, or it names another artifact or OCI manifest digest; the message lists each signature tried.',
    recoverable: false,
  },
  SIGNER_NOT_TRUSTED: {
    description:
      'The signature is valid but its key or certificate identity (issuer, subject) is not accepted by the namespace policy; the message names the signer found and what the policy expects.',
    recoverable: false,
  },
  CERTIFICATE_EXPIRED: {
    description:
      'The signing certificate was not valid at the trusted time of signing, or the bundle carries no trusted RFC 3161 timestamp to prove when it was signed.',
    recoverable: false,
  },
  TRUST_ROOT_INVALID: {
    description:
      'The operator trust material (trusted root JSON, public key PEM) is unreadable or malformed; the message names the part.',
    recoverable: false,
  },
  SIGNING_KEY_INVALID: {
    description:
      '`nomad-wasm push --sign-key` cannot use the key: unreadable, not a PEM private key (or encrypted without `$NOMAD_WASM_SIGNING_KEY_PASSWORD`), not ECDSA P-256, or a cosign-encrypted key (sign those with `cosign sign`).',
    recoverable: false,
  },
  ATTESTATION_INVALID: {
    description:
      "An attestation attached to the component (an OCI referrer `cosign attest` wrote) does not hold: its signature does not verify, its in-toto subject is another artifact's digest, its statement is malformed, or it is not the predicate type announced beside it. Refused when the node requires that kind of attestation, or reads attestations (for a policy) under a `signatures` mode of `enforce`; otherwise listed in the policy input and reported as a warning event.",
    recoverable: false,
  },
  ATTESTATION_SIGNER_NOT_TRUSTED: {
    description:
      "An attestation's signature is valid but its key or certificate identity is not one the namespace's signature policy accepts; the message names the signer found and what the policy expects.",
    recoverable: false,
  },
  PROVENANCE_MISSING: {
    description:
      'The node requires SLSA provenance for this namespace (`policy { require_provenance = true }`) and no verified provenance attestation was found for the component (attach one with `cosign attest --type slsaprovenance1`).',
    recoverable: false,
  },
  SBOM_MISSING: {
    description:
      'The node requires an SBOM for this namespace (`policy { require_sbom = true }`) and no verified SPDX or CycloneDX attestation was found for the component (`nomad-wasm sbom` writes one for `cosign attest --type cyclonedx`).',
    recoverable: false,
  },
  POLICY_DENIED: {
    description:
      "The node's admission policy (Rego, `policy { bundle = ... }`) denied the task under `enforce`; the message lists the policy's reasons. The decision log has the input's digest.",
    recoverable: false,
  },
  POLICY_EVALUATION_FAILED: {
    description:
      'The admission policy could not be evaluated for this task (it aborted, a builtin failed, or it produced no `deny`/`warn` decision at its query); under `enforce` the task is denied (fail closed), under `warn` it runs with a warning event.',
    recoverable: false,
  },
  POLICY_INVALID: {
    description:
      "A policy named in the plugin's `policy` block cannot be used: the file is unreadable, not an OPA bundle or Wasm module built with `opa build -t wasm`, lacks the configured query as an entrypoint, or calls a builtin this driver does not provide (named in the message). The agent refuses the plugin config.",
    recoverable: false,
  },
  CONTROL_MAPPING_INVALID: {
    description:
      '`nomad-wasm evidence`: the control mapping (policy/control-mapping.csv, or --mapping) is unreadable or malformed: no `evidence,framework,control,title,why` header, an evidence kind the driver does not produce, a row without framework or control, or an unclosed quote; the message names the row.',
    recoverable: false,
  },
  NOMAD_API_FAILED: {
    description:
      "The Nomad HTTP API could not be asked about a job (for `nomad-wasm evidence`, or the plugin's lookup of a job's previous version for the policy input): unreachable, refused by ACLs (the token needs `read-job`), or an unexpected answer; the message names the address and the request.",
    recoverable: true,
  },
  SERVICE_LOOKUP_DENIED: {
    description:
      "Consul or Nomad refused to list a service the task granted (`allow_services`) to the plugin's token (HTTP 403, or ACLs hid its instances); the message names the service and the policy the node's token needs (`service:read` on it and `node:read` in Consul, `read-job` in the namespace in Nomad). At start the task fails; while it runs, it keeps the last instances it knew.",
    recoverable: false,
  },
  SERVICE_LOOKUP_FAILED: {
    description:
      'Consul or Nomad could not be asked about a granted service (unreachable, TLS failure, unexpected answer); the task keeps the last instances it knew and the plugin retries with backoff. The message names the catalog address and the error.',
    recoverable: true,
  },
  EXEC_NOT_SUPPORTED: {
    description:
      "`nomad alloc exec` and `script` checks need a shell inside the task; Wasm components have none. Check a service with an `http` or `tcp` check against the component's port instead.",
    recoverable: false,
  },
  CONNECTION_INSECURE: {
    description:
      'A warning, not a failure: the node reaches Vault, Consul or Nomad over plain `http://` (not on this node) or Vault with `tls_skip_verify = true`, so tokens and secrets cross the network unprotected. Logged once when the plugin is configured, and an event of every task that uses the connection; use `https://` and `ca_cert`.',
    recoverable: false,
  },
  VAULT_NOT_CONFIGURED: {
    description:
      'The task declares `secret` blocks but the client\'s `plugin "wasm" { config { vault { address = ... } } }` is missing (Nomad gives tasks no Vault address).',
    recoverable: false,
  },
  VAULT_TOKEN_MISSING: {
    description:
      'The task declares `secret` blocks but has no Vault token: add a `vault { policies = [...] }` block to the task (the driver reads `secrets/vault_token`, or `VAULT_TOKEN` when the file is disabled).',
    recoverable: false,
  },
  VAULT_UNREACHABLE: {
    description:
      'Vault could not be reached at start (connection refused, timeout, TLS); the message names the address and the secret.',
    recoverable: true,
  },
  VAULT_PERMISSION_DENIED: {
    description:
      "Vault refused to read a secret (403): the task's Vault policies must allow `read` on the path the message names.",
    recoverable: false,
  },
  VAULT_SECRET_NOT_FOUND: {
    description:
      "Vault has nothing at a secret's path (404): no such KV secret, role or mount; KV v2 paths include `data/` (`kv/data/app`).",
    recoverable: false,
  },
  VAULT_SECRET_INVALID: {
    description:
      'A secret does not have what the job asks of it: a `field` or a `config_keys`/`secret_env` key it lacks, or a `version` on a path that is not KV v2; the message lists what it has.',
    recoverable: false,
  },
  VAULT_ERROR: {
    description:
      "Vault answered a read with an error (sealed, 5xx, or an unexpected status); the message carries Vault's own error text.",
    recoverable: true,
  },
} as const satisfies Record<string, ErrorInfo>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every error the driver raises on purpose. `code` is stable; `message` is for humans. */
export class DriverError extends Error {
  readonly code: ErrorCode;
  readonly recoverable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DriverError';
    this.code = code;
    this.recoverable = ERROR_CATALOGUE[code].recoverable;
  }
}

export function isDriverError(err: unknown, code?: ErrorCode): err is DriverError {
  return err instanceof DriverError && (code === undefined || err.code === code);
}

/** The message of any thrown value, for logs and task events. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The catalogue code of any thrown value: an error that is not a DriverError is a bug of ours. */
export function errorCodeOf(err: unknown): ErrorCode {
  return err instanceof DriverError ? err.code : 'DRIVER_INTERNAL_ERROR';
}

/**
 * How a failure reads wherever a user meets it (StartTask status, task
 * events, exit messages): `[CODE] message`. The code comes first so that it
 * survives every cut Nomad makes (a websocket close reason holds 123 bytes)
 * and is what to look up in README "Error codes".
 */
export function codedText(code: ErrorCode, message: string): string {
  return `[${code}] ${message}`;
}

/** `[CODE] message` of any thrown value. */
export function codedMessage(err: unknown): string {
  return codedText(errorCodeOf(err), describeError(err));
}

/** A task event that reports a failure or a warning: the coded text, and the code as an annotation for `-json` readers. */
export function codedEvent(
  code: ErrorCode,
  message: string,
  annotations: Readonly<Record<string, string>> = {},
): { message: string; annotations: Record<string, string> } {
  return { message: codedText(code, message), annotations: { ...annotations, code } };
}
