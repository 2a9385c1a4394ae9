// The job's previous version, for the input's `previous` and `drift`: which
// version this allocation runs (GET /v1/allocation/<id>) and what the
// version before it declared for this task (GET /v1/job/<id>/versions),
// asked of Nomad's HTTP API through the plugin's `nomad {}` block (a token
// with read-job in the namespace). Versions never change once written, so
// answers are kept per version; an allocation's version per allocation.
// Nothing here fails a start: an unanswered question is `unavailable`, with
// the reason, and the policy decides what that means.
import type { WasmTaskConfig } from '../config/task-config.js';
import { taskConfigFromValue, taskConfigSpec } from '../config/task-config.js';
import type { CtyValue } from '../hclspec/cty-msgpack.js';
import { labelledBlockNames } from '../hclspec/spec.js';
import { describeError } from '../errors.js';
import type { NomadApi } from '../nomad-api/nomad-api.js';
import { dig, isRecord } from '../verify/json-shape.js';
import type { GrantSummary } from './input-document.js';
import { summarizeGrants } from './grant-summary.js';

export interface TaskVersion {
  readonly version: number;
  readonly component: string;
  readonly grants: GrantSummary;
}

export interface JobHistoryAnswer {
  /** The version this allocation runs; null when Nomad could not be asked. */
  readonly version: number | null;
  readonly previous: TaskVersion | null;
  readonly status: 'compared' | 'first-version' | 'unavailable';
  readonly reason: string | null;
}

export interface TaskCoordinates {
  readonly namespace: string;
  readonly jobId: string;
  readonly allocId: string;
  readonly group: string;
  readonly task: string;
}

/** How a job version's task would be isolated on this node (the pool eligibility rule). */
export type IsolationOf = (config: WasmTaskConfig) => 'process' | 'pooled';

const MAX_REMEMBERED = 512;
/** `secret`, `key_value_store`: the blocks Nomad's API shows in HCL1's JSON form. */
const LABELLED_BLOCKS = new Set(labelledBlockNames(taskConfigSpec));

export class JobHistory {
  private readonly allocVersions = new Map<string, number>();
  private readonly versions = new Map<string, TaskVersion | null>();

  constructor(
    private readonly api: NomadApi,
    private readonly isolationOf: IsolationOf,
  ) {}

  async lookup(at: TaskCoordinates): Promise<JobHistoryAnswer> {
    let version: number | null = null;
    try {
      version = await this.allocVersion(at);
      if (version === 0) return { version, previous: null, status: 'first-version', reason: 'version 0 is the first' };
      const previous = await this.taskAt(at, version);
      if (previous === null)
        return {
          version,
          previous: null,
          status: 'first-version',
          reason: `task ${at.task} is new in version ${version}`,
        };
      return { version, previous, status: 'compared', reason: null };
    } catch (err) {
      return { version, previous: null, status: 'unavailable', reason: describeError(err) };
    }
  }

  private async allocVersion(at: TaskCoordinates): Promise<number> {
    const known = this.allocVersions.get(at.allocId);
    if (known !== undefined) return known;
    const alloc = await this.api.get(`/v1/allocation/${encodeURIComponent(at.allocId)}`, { namespace: at.namespace });
    const version = dig(alloc, ['Job', 'Version']);
    if (typeof version !== 'number') throw new Error(`allocation ${at.allocId} has no job version in Nomad's answer`);
    remember(this.allocVersions, at.allocId, version);
    return version;
  }

  /** This task as the newest version before `version` declared it; null when that version lacks it. */
  private async taskAt(at: TaskCoordinates, version: number): Promise<TaskVersion | null> {
    const key = `${at.namespace}/${at.jobId}/${version}`;
    if (this.versions.has(key)) return this.versions.get(key) ?? null;
    const answer = await this.api.get(`/v1/job/${encodeURIComponent(at.jobId)}/versions`, { namespace: at.namespace });
    const versions: unknown = dig(answer, ['Versions']);
    const numbered = (Array.isArray(versions) ? (versions as unknown[]) : []).flatMap((job) => {
      const v = dig(job, ['Version']);
      return typeof v === 'number' && v < version ? [{ job, v }] : [];
    });
    const earlier = numbered.sort((a, b) => b.v - a.v)[0]?.job;
    const found = earlier === undefined ? null : wasmTaskOf(earlier, at.group, at.task, this.isolationOf);
    remember(this.versions, key, found);
    return found;
  }
}

/** A job version's wasm task, in the input's grant shape; null when it has no such wasm task. */
export function wasmTaskOf(job: unknown, group: string, task: string, isolationOf: IsolationOf): TaskVersion | null {
  const groups = dig(job, ['TaskGroups']);
  const tg: unknown = Array.isArray(groups) ? groups.find((g: unknown) => dig(g, ['Name']) === group) : undefined;
  const tasks = dig(tg, ['Tasks']);
  const t: unknown = Array.isArray(tasks) ? tasks.find((x: unknown) => dig(x, ['Name']) === task) : undefined;
  if (t === undefined || dig(t, ['Driver']) !== 'wasm') return null;
  const config = taskConfigFromValue(apiConfigValue(dig(t, ['Config'])));
  const number = (path: string[]): number => {
    const v = dig(t, path);
    return typeof v === 'number' ? v : 0;
  };
  return {
    version: dig(job, ['Version']) as number,
    component: config.component,
    grants: summarizeGrants(
      config,
      { memoryMb: number(['Resources', 'MemoryMB']), memoryMaxMb: number(['Resources', 'MemoryMaxMB']) },
      isolationOf(config),
    ),
  };
}

/**
 * A task `Config` as Nomad's API shows it, in the shape the plugin's own
 * decoding gets from Nomad: labelled blocks (`secret "db" { … }`) arrive as
 * `[{"db": [{…}]}]` (HCL1's JSON form) and become `{"db": {…}}`. Which
 * blocks are labelled comes from the task config's own schema.
 */
export function apiConfigValue(value: unknown): CtyValue {
  if (!isRecord(value)) return null;
  const out: Record<string, CtyValue> = {};
  for (const [key, v] of Object.entries(value)) out[key] = LABELLED_BLOCKS.has(key) ? labelledBlocks(v) : toCty(v);
  return out;
}

function labelledBlocks(value: unknown): CtyValue {
  if (isRecord(value)) return toCty(value);
  const merged: Record<string, CtyValue> = {};
  for (const item of Array.isArray(value) ? value : []) {
    if (!isRecord(item)) continue;
    for (const [label, blocks] of Object.entries(item)) {
      const block: unknown = Array.isArray(blocks) ? blocks[0] : blocks;
      merged[label] = toCty(block);
    }
  }
  return merged;
}

function toCty(value: unknown): CtyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(toCty);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCty(v)]));
  return null;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_REMEMBERED) map.delete(map.keys().next().value as string);
  map.set(key, value);
}
