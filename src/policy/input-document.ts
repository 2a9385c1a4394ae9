// The input document an admission policy sees: one JSON object per task
// start, versioned (`version`), described field by field in README
// ("Admission policy → The input document") and by policy/input.schema.json,
// which test/policy/input-schema.test.ts holds it to. Add fields freely;
// renaming or removing one is a new version.
//
// Names are Nomad's and the task config's (snake_case), so a policy reads
// like the job file it judges. Only names, paths and digests: never an
// environment value, a secret or a token.

export const INPUT_VERSION = 'nomad-wasm.admission/v1';

/** What a task asks for, as its job declares it (the same shape for the job's previous version). */
export interface GrantSummary {
  /** Environment variable names the component sees (`env` keys and `pass_env` names), sorted. */
  readonly env: readonly string[];
  readonly mounts: readonly { readonly source: string; readonly destination: string; readonly readonly: boolean }[];
  readonly allow_http: readonly string[];
  readonly allow_services: readonly string[];
  /** Spin key-value stores (`key_value_store` blocks): the label the app opens and its Consul KV prefix. */
  readonly key_value_stores: readonly { readonly label: string; readonly consul_prefix: string }[];
  readonly secrets: readonly { readonly name: string; readonly path: string; readonly field: string | null }[];
  /** Secret keys `wasi:config/store` may return. */
  readonly config_keys: readonly string[];
  /** Names of plain `config_values` (never their values). */
  readonly config_values: readonly string[];
  /** Environment variables filled from secret keys (`secret_env` names). */
  readonly secret_env: readonly string[];
  /** Always false: this driver never grants sockets. */
  readonly sockets: false;
  readonly isolation: 'process' | 'pooled';
  /** Linear-memory ceiling in MiB (`resources { memory_max }`, else `memory`); null when unknown. */
  readonly memory_max_mb: number | null;
  readonly http_instance: 'shared' | 'per-request';
  /** The port label served on (`port`), or null for a command. */
  readonly port: string | null;
  readonly args: readonly string[];
}

export type SignerFacts =
  | { readonly kind: 'key'; readonly key_fingerprint: string }
  | { readonly kind: 'certificate'; readonly issuer: string; readonly subject: string };

export interface ProvenanceFacts {
  readonly predicate_type: string;
  readonly builder_id: string | null;
  readonly build_type: string | null;
  /** The source repository, ref and commit the build says it used, where it names them. */
  readonly source: { readonly repository: string | null; readonly ref: string | null; readonly commit: string | null };
  readonly signer: SignerFacts;
}

export interface SbomComponentFacts {
  readonly name: string;
  readonly version: string | null;
  readonly purl: string | null;
  /** SPDX licence identifiers or expressions, as the document gives them. */
  readonly licenses: readonly string[];
}

export interface SbomFacts {
  readonly predicate_type: string;
  readonly format: 'spdx' | 'cyclonedx';
  /** Every licence any component names, deduplicated and sorted. */
  readonly licenses: readonly string[];
  readonly components: readonly SbomComponentFacts[];
  /** True when the document listed more components than the input carries (the first 2,000). */
  readonly truncated: boolean;
  readonly signer: SignerFacts;
}

export interface GrantDrift {
  /** `compared`; `first-version` (no earlier version); `unavailable` (see `reason`). */
  readonly status: 'compared' | 'first-version' | 'unavailable';
  readonly reason: string | null;
  /** Entries this version's grants have that the previous version's did not, per grant. */
  readonly added: Readonly<Record<string, readonly string[]>>;
  readonly removed: Readonly<Record<string, readonly string[]>>;
}

export interface AdmissionInput {
  readonly version: typeof INPUT_VERSION;
  readonly namespace: string;
  readonly job: {
    readonly id: string;
    readonly name: string;
    readonly parent_id: string | null;
    /** The job version this allocation runs (from the Nomad API); null when it could not be asked. */
    readonly version: number | null;
  };
  readonly group: string;
  readonly task: string;
  readonly alloc_id: string;
  readonly node: {
    readonly id: string;
    readonly name: string;
    readonly datacenter: string | null;
    readonly region: string | null;
  };
  readonly component: {
    readonly reference: string;
    readonly source: 'file' | 'https' | 'oci';
    readonly digest: string;
    readonly manifest_digest: string | null;
    /** `http` (a wasi:http handler, 0.2 or 0.3), `command` (wasi:cli/run, or a preview1 module's _start) or `unknown`. */
    readonly world: 'http' | 'command' | 'unknown';
    /** Interfaces and functions the component imports, as named in the binary (`wasi:filesystem/types@0.2.0`; a preview1 module's `wasi_snapshot_preview1.fd_write`). */
    readonly imports: readonly string[];
    readonly exports: readonly string[];
    /** Toolchains from the `producers` custom sections (component and nested modules). */
    readonly producers: readonly { readonly field: string; readonly name: string; readonly version: string }[];
    /** `licenses`, `source`, `revision`, `version` custom sections, when the component carries them. */
    readonly metadata: Readonly<Record<string, string>>;
  };
  readonly grants: GrantSummary;
  readonly signature: {
    readonly mode: 'off' | 'warn' | 'enforce';
    readonly status: 'verified' | 'unverified' | 'not-checked';
    readonly signer: SignerFacts | null;
    /** Why a `warn`-mode check failed: `{code, message}`; null otherwise. */
    readonly error: { readonly code: string; readonly message: string } | null;
  };
  readonly provenance: readonly ProvenanceFacts[];
  readonly sbom: readonly SbomFacts[];
  readonly attestations: {
    /** Attestations that did not verify or do not name this component (`code` says why). */
    readonly rejected: readonly { readonly predicate_type: string; readonly code: string; readonly message: string }[];
    /** Verified attestations of predicate types the driver does not read. */
    readonly other_types: readonly string[];
  };
  /** The job's previous version, as far as it is known: null on the first version or when unavailable (see drift). */
  readonly previous: {
    readonly version: number;
    readonly component: string;
    readonly grants: GrantSummary;
    /** Who signed what the previous version ran, when this node admitted it; else null. */
    readonly signer: SignerFacts | null;
  } | null;
  readonly drift: GrantDrift;
}

/** Grants whose entries are lists, compared entry by entry for drift. */
const LIST_GRANTS = [
  'env',
  'allow_http',
  'allow_services',
  'config_keys',
  'config_values',
  'secret_env',
  'args',
] as const satisfies readonly (keyof GrantSummary)[];

/** What was added and removed between two grant sets, per grant (entries as text). */
export function compareGrants(
  previous: GrantSummary,
  current: GrantSummary,
): { added: Record<string, string[]>; removed: Record<string, string[]> } {
  const entries = (g: GrantSummary): Record<string, string[]> => ({
    ...Object.fromEntries(LIST_GRANTS.map((k) => [k, [...g[k]]])),
    mounts: g.mounts.map((m) => `${m.source}:${m.destination}:${m.readonly ? 'ro' : 'rw'}`),
    secrets: g.secrets.map((s) => `${s.name}=${s.path}${s.field === null ? '' : `#${s.field}`}`),
    // Absent from grants recorded before stores were summarized: compared as none.
    key_value_stores: (g.key_value_stores ?? []).map((s) => `${s.label}=${s.consul_prefix}`),
    isolation: [g.isolation],
    memory_max_mb: g.memory_max_mb === null ? [] : [String(g.memory_max_mb)],
    http_instance: [g.http_instance],
    port: g.port === null ? [] : [g.port],
  });
  const before = entries(previous);
  const after = entries(current);
  const added: Record<string, string[]> = {};
  const removed: Record<string, string[]> = {};
  for (const key of Object.keys(after)) {
    const a = after[key] ?? [];
    const b = before[key] ?? [];
    const plus = a.filter((x) => !b.includes(x));
    const minus = b.filter((x) => !a.includes(x));
    if (plus.length > 0) added[key] = plus;
    if (minus.length > 0) removed[key] = minus;
  }
  return { added, removed };
}
