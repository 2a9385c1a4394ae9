// The few Nomad HTTP API calls the end-to-end suite needs, typed with only
// the fields it reads.
import { setTimeout as sleep } from 'node:timers/promises';

export interface NodeSummary {
  readonly ID: string;
  readonly Status: string;
  readonly Drivers: Record<string, { Detected: boolean; Healthy: boolean; Attributes?: Record<string, string> }>;
}

export interface TaskEvent {
  readonly Type: string;
  readonly DisplayMessage: string;
  readonly ExitCode: number;
  readonly Signal: number;
  readonly Time: number;
}

export interface TaskState {
  readonly State: 'pending' | 'running' | 'dead';
  readonly Failed: boolean;
  readonly Restarts: number;
  readonly Events: TaskEvent[];
}

export interface Allocation {
  readonly ID: string;
  readonly ClientStatus: string;
  readonly CreateTime: number;
  readonly TaskStates: Record<string, TaskState> | null;
  readonly AllocatedResources?: { Shared?: { Ports?: { Label: string; Value: number; HostIP: string }[] } };
}

export interface ServiceRegistration {
  readonly ServiceName: string;
  readonly Address: string;
  readonly Port: number;
  readonly AllocID: string;
}

export interface TaskResourceUsage {
  readonly ResourceUsage: {
    readonly MemoryStats: { RSS: number; Measured: string[] | null };
    readonly CpuStats: { Percent: number; TotalTicks: number; Measured: string[] | null };
  };
}

export class NomadApiError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'NomadApiError';
    this.status = status;
  }
}

export class NomadApi {
  readonly address: string;
  constructor(address: string) {
    this.address = address;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.address}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new NomadApiError(`${method} ${path}: ${response.status} ${text}`, response.status);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async firstNode(): Promise<NodeSummary | undefined> {
    const nodes = await this.request<{ ID: string }[]>('GET', '/v1/nodes');
    const first = nodes[0];
    return first ? this.request<NodeSummary>('GET', `/v1/node/${first.ID}`) : undefined;
  }

  /** Parses HCL2 (with variables) and registers the job; returns the job id. */
  async runJobHcl(hcl: string, variables: Record<string, string> = {}): Promise<string> {
    const variableText = Object.entries(variables)
      .map(([key, value]) => `${key} = ${JSON.stringify(value)}`)
      .join('\n');
    const job = await this.request<{ ID: string }>('POST', '/v1/jobs/parse', {
      JobHCL: hcl,
      Canonicalize: true,
      Variables: variableText,
    });
    await this.request('POST', '/v1/jobs', { Job: job });
    return job.ID;
  }

  /** Writes a Nomad Variable (`nomad var put path k=v`). */
  async putVariable(path: string, items: Record<string, string>): Promise<void> {
    await this.request('PUT', `/v1/var/${path}`, { Namespace: 'default', Path: path, Items: items });
  }

  allocations(jobId: string): Promise<Allocation[]> {
    return this.request<Allocation[]>('GET', `/v1/job/${encodeURIComponent(jobId)}/allocations`);
  }

  allocation(allocId: string): Promise<Allocation> {
    return this.request<Allocation>('GET', `/v1/allocation/${allocId}`);
  }

  /** Polls until the newest allocation of the job satisfies `predicate`. */
  async waitForAllocation(
    jobId: string,
    predicate: (a: Allocation) => boolean,
    what: string,
    timeoutMs = 60_000,
  ): Promise<Allocation> {
    const deadline = Date.now() + timeoutMs;
    let last: Allocation | undefined;
    while (Date.now() < deadline) {
      const allocs = (await this.allocations(jobId)).sort((a, b) => b.CreateTime - a.CreateTime);
      if (allocs[0]) {
        last = await this.allocation(allocs[0].ID);
        if (predicate(last)) return last;
      }
      await sleep(250);
    }
    throw new Error(
      `timed out waiting for ${what} (job ${jobId}); last allocation: ${JSON.stringify(last?.TaskStates ?? last ?? null)}`,
    );
  }

  /** Polls until a task event of the job's newest allocation matches; returns its message. */
  async waitForTaskEvent(jobId: string, task: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const alloc = await this.waitForAllocation(
      jobId,
      (a) => (a.TaskStates?.[task]?.Events ?? []).some((e) => pattern.test(e.DisplayMessage)),
      `a task event matching ${pattern}`,
      timeoutMs,
    );
    return alloc.TaskStates?.[task]?.Events.find((e) => pattern.test(e.DisplayMessage))?.DisplayMessage ?? '';
  }

  async logs(allocId: string, task: string, type: 'stdout' | 'stderr'): Promise<string> {
    const response = await fetch(
      `${this.address}/v1/client/fs/logs/${allocId}?task=${task}&type=${type}&plain=true&origin=start`,
    );
    if (!response.ok)
      throw new NomadApiError(`logs ${allocId}/${task}: ${response.status} ${await response.text()}`, response.status);
    return response.text();
  }

  async waitForLog(
    allocId: string,
    task: string,
    type: 'stdout' | 'stderr',
    pattern: RegExp,
    timeoutMs = 30_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < deadline) {
      text = await this.logs(allocId, task, type).catch(() => '');
      if (pattern.test(text)) return text;
      await sleep(250);
    }
    throw new Error(`timed out waiting for ${pattern} in ${type} of ${task}; got:\n${text}`);
  }

  async stopJob(jobId: string, purge = false): Promise<void> {
    await this.request('DELETE', `/v1/job/${encodeURIComponent(jobId)}?purge=${purge}`);
  }

  async signal(allocId: string, task: string, signal: string): Promise<void> {
    await this.request('POST', `/v1/client/allocation/${allocId}/signal`, { Task: task, Signal: signal });
  }

  taskStats(allocId: string, task: string): Promise<TaskResourceUsage> {
    return this.request<{ Tasks: Record<string, TaskResourceUsage> }>(
      'GET',
      `/v1/client/allocation/${allocId}/stats`,
    ).then((stats) => {
      const usage = stats.Tasks[task];
      if (!usage) throw new Error(`no stats for task ${task}`);
      return usage;
    });
  }

  services(name: string): Promise<ServiceRegistration[]> {
    return this.request<ServiceRegistration[]>('GET', `/v1/service/${encodeURIComponent(name)}`);
  }
}
