// The task start's side of admission: it knows the task (job, group, node,
// grants) and the fetched component, hands both to the one admission
// decision in src/trust/, reports what it found as task events, and throws
// the refusal (leaving nothing of a refused component in the cache). It
// keeps the node's admission state (records, decision log) and asks Nomad
// for the job's previous version while the component is being fetched.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { PluginConfig } from '../config/plugin-config.js';
import type { WasmTaskConfig } from '../config/task-config.js';
import { isDriverError } from '../errors.js';
import type { TaskConfig__Output } from '../generated/hashicorp/nomad/plugins/drivers/proto/TaskConfig.js';
import { NomadApi } from '../nomad-api/nomad-api.js';
import { DecisionLog } from '../policy/decision-log.js';
import { summarizeGrants } from '../policy/grant-summary.js';
import { JobHistory, type JobHistoryAnswer } from '../policy/job-history.js';
import { PolicySet } from '../policy/policy-set.js';
import type { ProvidedComponent } from '../source/component-provider.js';
import { admit, type AdmissionRecord, type AdmissionStores } from '../trust/admission.js';
import type { TaskFacts } from '../trust/admission-input.js';
import { AdmittedVersions } from '../trust/admitted-versions.js';
import { AttestationStore } from '../trust/attestation-store.js';
import { ComponentFactsCache } from '../trust/component-facts.js';
import { VerifiedStore } from '../trust/verified-store.js';
import { reportAdmission } from './admission-events.js';
import { whyNotPooled } from './pool-eligibility.js';

export interface StartContext {
  readonly config: TaskConfig__Output;
  readonly taskConfig: WasmTaskConfig;
  readonly namespace: string;
  readonly memoryMb: number;
  readonly memoryMaxMb: number;
  readonly report: (message: string, annotations?: Record<string, string>) => void;
  readonly log: Logger;
  /** Runs a start phase inside this wrapper (telemetry's spans: `fetch`, `verify`); as it is without one. */
  readonly phase?: <T>(name: 'fetch' | 'verify' | 'policy', work: () => Promise<T>) => Promise<T>;
  /** Times the policy's decision (telemetry's `wasm.policy.evaluation.duration`); as it is without one. */
  readonly timePolicy?: <T>(work: () => Promise<T>) => Promise<T>;
}

const UNASKED: JobHistoryAnswer = {
  version: null,
  previous: null,
  status: 'unavailable',
  reason: 'the job history lookup is off (policy { job_history = false })',
};

export class StartAdmission {
  private stores?: { cacheDir: string; decisionLog: string; stores: AdmissionStores };
  private history?: { url: string; token: string | undefined; history: JobHistory };
  private readonly facts = new ComponentFactsCache();

  constructor(private readonly pluginConfig: () => PluginConfig) {}

  /**
   * Asks Nomad for the job's previous version now, when a policy will read
   * it, so the answer arrives while the component is fetched.
   */
  beginHistory(start: StartContext): () => Promise<JobHistoryAnswer> {
    const config = this.pluginConfig();
    const evaluates = PolicySet.for(config.policy).policiesFor(start.namespace).length > 0;
    if (!evaluates || !config.policy.jobHistory) return () => Promise.resolve(UNASKED);
    const answer = this.historyFor(config).lookup({
      namespace: start.namespace,
      jobId: start.config.job_id,
      allocId: start.config.alloc_id,
      group: start.config.task_group_name,
      task: start.config.name,
    });
    return () => answer;
  }

  /** Admits the component or throws the refusal; a refused component is discarded. */
  async admit(
    component: ProvidedComponent,
    start: StartContext,
    history: () => Promise<JobHistoryAnswer>,
  ): Promise<AdmissionRecord> {
    const config = this.pluginConfig();
    const decide = (): Promise<AdmissionRecord> =>
      admit({
        subject: component.evidence,
        namespace: start.namespace,
        signatures: config.signatures,
        policy: config.policy,
        stores: this.storesFor(config),
        task: taskFacts(start, config),
        history,
        log: start.log,
        ...(start.timePolicy ? { timePolicy: start.timePolicy } : {}),
      });
    try {
      const record = await (start.phase ? start.phase('verify', decide) : decide());
      reportAdmission(record, start.report, start.log);
      return record;
    } catch (err) {
      // A policy judges the task's grants, not the bytes: other tasks may run them.
      if (isDriverError(err, 'POLICY_DENIED') || isDriverError(err, 'POLICY_EVALUATION_FAILED')) component.release();
      else await component.discard();
      throw err;
    }
  }

  private storesFor(config: PluginConfig): AdmissionStores {
    const decisionLog = config.policy.decisionLog ?? join(config.cacheDir, 'policy', 'decisions.log');
    if (this.stores?.cacheDir !== config.cacheDir || this.stores.decisionLog !== decisionLog) {
      this.stores = {
        cacheDir: config.cacheDir,
        decisionLog,
        stores: {
          verified: new VerifiedStore(config.cacheDir),
          attestations: new AttestationStore(config.cacheDir),
          admittedVersions: new AdmittedVersions(config.cacheDir),
          facts: this.facts,
          decisionLog: new DecisionLog(decisionLog),
        },
      };
    }
    return this.stores.stores;
  }

  private historyFor(config: PluginConfig): JobHistory {
    const endpoint = config.services.nomad;
    if (this.history?.url !== endpoint.url || this.history.token !== endpoint.token) {
      const isolationOf = (task: WasmTaskConfig): 'process' | 'pooled' =>
        config.isolation.mode === 'pooled' && !whyNotPooled(task) ? 'pooled' : 'process';
      // A short timeout: the start waits for this answer before the policy runs.
      this.history = {
        url: endpoint.url,
        token: endpoint.token,
        history: new JobHistory(new NomadApi(endpoint, 5_000), isolationOf),
      };
    }
    return this.history.history;
  }
}

function taskFacts(start: StartContext, config: PluginConfig): TaskFacts {
  const { config: task, taskConfig } = start;
  const pooled = config.isolation.mode === 'pooled' && !whyNotPooled(taskConfig);
  return {
    job: { id: task.job_id, name: task.job_name, parentId: task.parent_job_id || null },
    group: task.task_group_name,
    task: task.name,
    allocId: task.alloc_id,
    node: {
      id: task.node_id,
      name: task.node_name,
      datacenter: task.env['NOMAD_DC'] ?? null,
      region: task.env['NOMAD_REGION'] ?? null,
    },
    grants: summarizeGrants(
      taskConfig,
      { memoryMb: start.memoryMb, memoryMaxMb: start.memoryMaxMb },
      pooled ? 'pooled' : 'process',
    ),
  };
}
