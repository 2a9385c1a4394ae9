// The telemetry section of a task's launch spec, from what Nomad tells the
// driver about the task (TaskConfig) and the job's own `telemetry` block.
//
// Nomad 1.6 gives a driver the namespace, job, group, task, allocation and
// node in TaskConfig; the datacenter, region and allocation index only in
// the task's environment (NOMAD_DC, NOMAD_REGION, NOMAD_ALLOC_INDEX).
import type { TaskConfig__Output } from '../generated/hashicorp/nomad/plugins/drivers/proto/TaskConfig.js';
import type { TaskTelemetryConfig } from '../config/task-config.js';
import type { NomadIdentity, TaskTelemetrySpec } from '../telemetry/identity.js';
import type { TelemetrySettings } from '../telemetry/settings.js';

export function nomadIdentityOf(config: TaskConfig__Output): NomadIdentity {
  const env = config.env;
  return {
    namespace: config.namespace || 'default',
    jobId: config.job_id || config.job_name,
    jobName: config.job_name,
    group: config.task_group_name,
    task: config.name,
    allocId: config.alloc_id,
    allocIndex: env['NOMAD_ALLOC_INDEX'],
    nodeName: config.node_name,
    nodeId: config.node_id,
    datacenter: env['NOMAD_DC'],
    region: env['NOMAD_REGION'],
  };
}

export function taskTelemetrySpec(
  settings: TelemetrySettings,
  identity: NomadIdentity,
  job: TaskTelemetryConfig | undefined,
  tier: 'process' | 'pooled',
  startParent: string | undefined,
): TaskTelemetrySpec {
  return {
    settings,
    identity,
    ...(startParent ? { startParent } : {}),
    ...(job?.sampleRatio !== undefined
      ? { sampler: { kind: 'parentbased_traceidratio', ratio: job.sampleRatio } }
      : {}),
    attributes: job?.attributes ?? {},
    tier,
  };
}
