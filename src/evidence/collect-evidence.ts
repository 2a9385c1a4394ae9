// Audit evidence of a cluster's running Wasm tasks, from Nomad's HTTP API
// alone: the running allocations (with their task events), and each job's
// versions. Per task: what its job version grants, what the one before
// granted (capability drift), and what admission recorded on the node in
// the task's `Admitted:` / `Signature verified` events (signer, provenance,
// SBOM summary, policy decision and reasons), each mapped to the controls of
// the control mapping it supports.
import { ADMISSION_DETAILS, ADMITTED_PREFIX } from '../trust/admitted-event.js';
import type { NomadApi } from '../nomad-api/nomad-api.js';
import type { PolicyMessage } from '../policy/decision.js';
import { compareGrants, type GrantSummary, type ProvenanceFacts, type SignerFacts } from '../policy/input-document.js';
import { wasmTaskOf } from '../policy/job-history.js';
import { dig, isRecord } from '../verify/json-shape.js';
import type { ControlRow, EvidenceKind } from './control-mapping.js';

export interface SbomSummary {
  readonly format: string;
  readonly predicate_type: string;
  readonly licenses: readonly string[];
  readonly component_count: number;
}

export interface TaskEvidence {
  readonly namespace: string;
  readonly job: string;
  readonly job_version: number;
  readonly group: string;
  readonly task: string;
  readonly alloc_id: string;
  readonly node: string;
  readonly component: string;
  readonly digest: string | null;
  readonly grants: GrantSummary;
  /** The signer admission verified: facts from the `Admitted:` event, else the text of the signature event. */
  readonly signer: SignerFacts | string | null;
  readonly provenance: readonly ProvenanceFacts[];
  readonly sbom: readonly SbomSummary[];
  readonly policy: {
    readonly outcome: string;
    readonly decision_id: string;
    readonly input_digest: string;
    readonly deny: readonly PolicyMessage[];
    readonly warn: readonly PolicyMessage[];
  } | null;
  readonly drift: {
    readonly previous_version: number | null;
    readonly added: Readonly<Record<string, readonly string[]>>;
    readonly removed: Readonly<Record<string, readonly string[]>>;
  };
  readonly controls: readonly (ControlRow & { readonly status: 'evidenced' | 'not evidenced' })[];
}

export interface ClusterEvidence {
  readonly generated_at: string;
  readonly nomad: string;
  readonly tasks: readonly TaskEvidence[];
}

/** A string field of Nomad's JSON, or the fallback. */
const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);

export async function collectEvidence(
  api: NomadApi,
  mapping: readonly ControlRow[],
  namespace = '*',
): Promise<ClusterEvidence> {
  const allocs = await api.get('/v1/allocations', { namespace, task_states: 'true' });
  const running = (Array.isArray(allocs) ? (allocs as unknown[]) : []).filter(
    (a) => dig(a, ['ClientStatus']) === 'running',
  );
  const versions = new Map<string, unknown[]>();
  const tasks: TaskEvidence[] = [];
  for (const alloc of running) {
    const ns = text(dig(alloc, ['Namespace']), 'default');
    const jobId = text(dig(alloc, ['JobID']), '');
    const key = `${ns}/${jobId}`;
    if (!versions.has(key)) {
      const answer = await api.get(`/v1/job/${encodeURIComponent(jobId)}/versions`, { namespace: ns });
      const list: unknown = dig(answer, ['Versions']);
      versions.set(key, Array.isArray(list) ? (list as unknown[]) : []);
    }
    tasks.push(...tasksOf(alloc, versions.get(key) ?? [], mapping));
  }
  tasks.sort((a, b) =>
    `${a.namespace}/${a.job}/${a.group}/${a.task}/${a.alloc_id}`.localeCompare(
      `${b.namespace}/${b.job}/${b.group}/${b.task}/${b.alloc_id}`,
    ),
  );
  return { generated_at: new Date().toISOString(), nomad: api.endpoint.url, tasks };
}

function tasksOf(alloc: unknown, versions: readonly unknown[], mapping: readonly ControlRow[]): TaskEvidence[] {
  const version = Number(dig(alloc, ['JobVersion']) ?? 0);
  const group = text(dig(alloc, ['TaskGroup']), '');
  const job = versions.find((j) => dig(j, ['Version']) === version);
  const previousJob = versions
    .filter((j) => typeof dig(j, ['Version']) === 'number' && (dig(j, ['Version']) as number) < version)
    .sort((a, b) => (dig(b, ['Version']) as number) - (dig(a, ['Version']) as number))[0];
  const states = dig(alloc, ['TaskStates']);
  if (job === undefined || !isRecord(states)) return [];
  const out: TaskEvidence[] = [];
  for (const [task, state] of Object.entries(states)) {
    if (dig(state, ['State']) !== 'running') continue;
    // Isolation is the node's business; evidence reports what the job declares.
    const current = wasmTaskOf(job, group, task, () => 'process');
    if (current === null) continue;
    const previous = previousJob === undefined ? null : wasmTaskOf(previousJob, group, task, () => 'process');
    const events = dig(state, ['Events']);
    const admission = admissionOf(Array.isArray(events) ? (events as unknown[]) : []);
    const drift = previous === null ? { added: {}, removed: {} } : compareGrants(previous.grants, current.grants);
    const evidence: Omit<TaskEvidence, 'controls'> = {
      namespace: text(dig(alloc, ['Namespace']), 'default'),
      job: text(dig(alloc, ['JobID']), ''),
      job_version: version,
      group,
      task,
      alloc_id: text(dig(alloc, ['ID']), ''),
      node: text(dig(alloc, ['NodeName'])) || text(dig(alloc, ['NodeID'])),
      component: current.component,
      digest: admission.digest,
      grants: current.grants,
      signer: admission.signer,
      provenance: admission.provenance,
      sbom: admission.sbom,
      policy: admission.policy,
      drift: { previous_version: previous?.version ?? null, ...drift },
    };
    out.push({ ...evidence, controls: controlsFor(evidence, mapping) });
  }
  return out;
}

interface AdmissionFromEvents {
  readonly digest: string | null;
  readonly signer: SignerFacts | string | null;
  readonly provenance: readonly ProvenanceFacts[];
  readonly sbom: readonly SbomSummary[];
  readonly policy: TaskEvidence['policy'];
}

/** The newest `Admitted:` event's details, and the newest signature event for what it lacks. */
function admissionOf(events: readonly unknown[]): AdmissionFromEvents {
  const newestFirst = [...events].reverse();
  const message = (e: unknown): string => text(dig(e, ['DriverMessage']), '');
  const details = (e: unknown): Record<string, unknown> => {
    const d = dig(e, ['Details']);
    return isRecord(d) ? d : {};
  };
  const admitted = newestFirst.find((e) => message(e).startsWith(ADMITTED_PREFIX));
  const signed = newestFirst.find((e) => /^Signature verified/.test(message(e)));
  const a = admitted === undefined ? {} : details(admitted);
  const s = signed === undefined ? {} : details(signed);
  const json = <T>(key: string, fallback: T): T => {
    const text = a[key];
    if (typeof text !== 'string') return fallback;
    try {
      return JSON.parse(text) as T;
    } catch {
      return fallback; // a detail written by another version: the evidence says less, it does not fail
    }
  };
  const outcome = a[ADMISSION_DETAILS.outcome];
  return {
    digest: text(a[ADMISSION_DETAILS.digest]) || text(s['digest']) || null,
    signer:
      json<SignerFacts | null>(ADMISSION_DETAILS.signer, null) ??
      (typeof s['signer'] === 'string' ? s['signer'] : null),
    provenance: json<ProvenanceFacts[]>(ADMISSION_DETAILS.provenance, []),
    sbom: json<SbomSummary[]>(ADMISSION_DETAILS.sbom, []),
    policy:
      typeof outcome === 'string'
        ? {
            outcome,
            decision_id: text(a[ADMISSION_DETAILS.decisionId]),
            input_digest: text(a[ADMISSION_DETAILS.inputDigest]),
            deny: json<PolicyMessage[]>(ADMISSION_DETAILS.deny, []),
            warn: json<PolicyMessage[]>(ADMISSION_DETAILS.warn, []),
          }
        : null,
  };
}

function controlsFor(task: Omit<TaskEvidence, 'controls'>, mapping: readonly ControlRow[]): TaskEvidence['controls'] {
  const has: Record<EvidenceKind, boolean> = {
    grants: true,
    outbound_network: true,
    secrets: task.grants.secrets.length > 0,
    signature: task.signer !== null,
    provenance: task.provenance.length > 0,
    sbom: task.sbom.length > 0,
    policy_decision: task.policy !== null,
    capability_drift: task.drift.previous_version !== null,
  };
  // Secrets rows only apply to tasks that have secrets.
  return mapping
    .filter((row) => row.evidence !== 'secrets' || has.secrets)
    .map((row) => ({ ...row, status: has[row.evidence] ? 'evidenced' : 'not evidenced' }));
}
