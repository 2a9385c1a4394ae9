// Who a task is, for telemetry: its Nomad identity (namespace, job, group,
// task, allocation, node, datacenter) as resource attributes of its spans
// and metrics, and the component it runs. Built by the plugin from Nomad's
// TaskConfig (src/task/telemetry-spec.ts); plain data in the launch spec.
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_NOMAD_ALLOC_ID,
  ATTR_NOMAD_ALLOC_INDEX,
  ATTR_NOMAD_DATACENTER,
  ATTR_NOMAD_GROUP,
  ATTR_NOMAD_JOB_ID,
  ATTR_NOMAD_JOB_NAME,
  ATTR_NOMAD_NAMESPACE,
  ATTR_NOMAD_NODE_ID,
  ATTR_NOMAD_NODE_NAME,
  ATTR_NOMAD_REGION,
  ATTR_NOMAD_TASK,
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_NAMESPACE,
  ATTR_WASM_DIGEST,
  ATTR_WASM_TIER,
  ATTR_WASM_WORLD,
} from './semconv.js';
import type { SamplerSettings, TelemetrySettings } from './settings.js';

export interface NomadIdentity {
  readonly namespace: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly group: string;
  readonly task: string;
  readonly allocId: string;
  /** NOMAD_ALLOC_INDEX: bounded by the group's count, unlike the alloc id. */
  readonly allocIndex: string | undefined;
  readonly nodeName: string;
  readonly nodeId: string;
  /** From NOMAD_DC / NOMAD_REGION: Nomad 1.6 gives a driver no other source. */
  readonly datacenter: string | undefined;
  readonly region: string | undefined;
}

/** What a task host or pool host needs to emit a task's telemetry (launch spec). */
export interface TaskTelemetrySpec {
  readonly settings: TelemetrySettings;
  readonly identity: NomadIdentity;
  /** The plugin's start span as a `traceparent`: the host's start spans continue its trace. */
  readonly startParent?: string;
  /** The job's own sampling ratio (task config `telemetry { sample_ratio }`). */
  readonly sampler?: SamplerSettings;
  /** The job's extra resource attributes (task config `telemetry { attributes }`). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly tier: 'process' | 'pooled';
}

/**
 * The Nomad identity as attributes. `service.name` is the job (a job is
 * what a Nomad user deploys), `service.namespace` the Nomad namespace;
 * `service.instance.id` names the allocation's task, by id or, with the
 * alloc id label off, by the group's bounded index.
 */
export function identityAttributes(identity: NomadIdentity, allocIdLabel: boolean): Attributes {
  const instance = allocIdLabel
    ? `${identity.allocId}/${identity.task}`
    : `${identity.group}[${identity.allocIndex ?? '?'}]/${identity.task}`;
  return {
    [ATTR_SERVICE_NAME]: identity.jobId,
    [ATTR_SERVICE_NAMESPACE]: identity.namespace,
    [ATTR_SERVICE_INSTANCE_ID]: instance,
    ...labelAttributes(identity, allocIdLabel),
  };
}

/** The Nomad attributes that become metric labels (Prometheus) — the alloc id only when wanted. */
export function labelAttributes(identity: NomadIdentity, allocIdLabel: boolean): Attributes {
  const out: Attributes = {
    [ATTR_NOMAD_NAMESPACE]: identity.namespace,
    [ATTR_NOMAD_JOB_ID]: identity.jobId,
    [ATTR_NOMAD_JOB_NAME]: identity.jobName,
    [ATTR_NOMAD_GROUP]: identity.group,
    [ATTR_NOMAD_TASK]: identity.task,
    [ATTR_NOMAD_NODE_NAME]: identity.nodeName,
    [ATTR_NOMAD_NODE_ID]: identity.nodeId,
  };
  if (allocIdLabel) out[ATTR_NOMAD_ALLOC_ID] = identity.allocId;
  if (identity.allocIndex !== undefined) out[ATTR_NOMAD_ALLOC_INDEX] = identity.allocIndex;
  if (identity.datacenter !== undefined) out[ATTR_NOMAD_DATACENTER] = identity.datacenter;
  if (identity.region !== undefined) out[ATTR_NOMAD_REGION] = identity.region;
  return out;
}

/** A task's resource: identity, component, tier, and the job's extra attributes. */
export function taskResourceAttributes(
  spec: TaskTelemetrySpec,
  component: { readonly digest?: string; readonly world?: string },
): Attributes {
  return {
    ...identityAttributes(spec.identity, spec.settings.allocIdLabel),
    // Spans always name the allocation: a trace is looked at one at a time.
    [ATTR_NOMAD_ALLOC_ID]: spec.identity.allocId,
    [ATTR_WASM_TIER]: spec.tier,
    ...(component.digest ? { [ATTR_WASM_DIGEST]: component.digest } : {}),
    ...(component.world ? { [ATTR_WASM_WORLD]: component.world } : {}),
    ...spec.attributes,
  };
}
