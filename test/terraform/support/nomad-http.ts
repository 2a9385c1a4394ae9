// Plain reads and writes against Nomad's HTTP API (with namespaces), for
// checking what the provider did through Nomad's own view.
import { setTimeout as sleep } from 'node:timers/promises';

export interface JobTask {
  Name: string;
  Driver: string;
  Config: Record<string, unknown>;
  Resources: { MemoryMB: number; MemoryMaxMB: number };
}
export interface Job {
  ID: string;
  Namespace: string;
  Version: number;
  Status: string;
  Stop: boolean;
  TaskGroups: { Name: string; Count: number; Tasks: JobTask[] }[];
}
export interface AllocStub {
  ID: string;
  NodeID: string;
  NodeName: string;
  ClientStatus: string;
  DesiredStatus: string;
  JobVersion: number;
  DeploymentStatus?: { Healthy?: boolean };
}

export class NomadHttp {
  readonly address: string;

  constructor(address: string) {
    this.address = address;
  }

  async get<T>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.address}${path}`);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // plain-text error bodies stay text
    }
    return { status: response.status, body: body as T };
  }

  async must<T>(path: string): Promise<T> {
    const { status, body } = await this.get<T>(path);
    if (status !== 200) throw new Error(`GET ${path}: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  async post(path: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${this.address}${path}`, { method: 'POST', body: JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  job(id: string, namespace: string): Promise<{ status: number; body: Job }> {
    return this.get<Job>(`/v1/job/${encodeURIComponent(id)}?namespace=${namespace}`);
  }

  allocations(id: string, namespace: string): Promise<AllocStub[]> {
    return this.must<AllocStub[]>(`/v1/job/${encodeURIComponent(id)}/allocations?namespace=${namespace}`);
  }

  /** Polls until `check` returns a value (not undefined) or the deadline passes. */
  async until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        const value = await check();
        if (value !== undefined) return value;
      } catch (err) {
        if (err instanceof StopWaiting) throw err;
        lastError = err;
      }
      await sleep(500);
    }
    throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
  }
}

/** Thrown from an `until` check: give up at once (the process under test died). */
export class StopWaiting extends Error {}

/** The host port of an allocation's "http" port. */
export async function allocationHttpPort(nomad: NomadHttp, allocId: string, namespace: string): Promise<number> {
  const alloc = await nomad.must<{ AllocatedResources: { Shared: { Ports: { Label: string; Value: number }[] } } }>(
    `/v1/allocation/${allocId}?namespace=${namespace}`,
  );
  const port = alloc.AllocatedResources.Shared.Ports.find((p) => p.Label === 'http')?.Value;
  if (port === undefined) throw new Error(`allocation ${allocId} has no http port`);
  return port;
}
