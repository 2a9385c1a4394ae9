// The small interface the watches need from a service catalog (Consul or
// Nomad): one blocking query for the healthy instances of one service.
import type { ServiceInstance } from './service-instance.js';
import type { ServiceProvider } from './service-ref.js';

export interface CatalogQuery {
  readonly name: string;
  /** Nomad namespace of the asking task; Consul uses the plugin's configured one. */
  readonly namespace: string;
  /** 0: answer at once; otherwise block until the catalog's index passes it or `waitSeconds` elapse. */
  readonly index: bigint;
  readonly waitSeconds: number;
  readonly signal: AbortSignal;
}

export interface CatalogAnswer {
  readonly instances: readonly ServiceInstance[];
  /** X-Consul-Index / X-Nomad-Index of the answer (0 when absent). */
  readonly index: bigint;
}

export interface ServiceCatalog {
  readonly provider: ServiceProvider;
  /** Where it is, for messages (never carries credentials). */
  readonly address: string;
  /**
   * Rejects with DriverError SERVICE_LOOKUP_DENIED when the plugin's token may
   * not read the service, SERVICE_LOOKUP_FAILED for anything else; with the
   * signal's reason (an AbortError) once `signal` is aborted.
   */
  lookup(query: CatalogQuery): Promise<CatalogAnswer>;
  close(): void;
}

/** Parses an index header; anything unusable is 0 (which never blocks). */
export function parseIndex(value: string | string[] | undefined): bigint {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text || !/^\d+$/.test(text)) return 0n;
  return BigInt(text);
}
