// Metrics of a task host or pool host sent to the plugin for its Prometheus
// scrape listener: each host process exports its cumulative metrics over its
// channel to the plugin every few seconds (a snapshot replaces the last
// one), and the plugin serves all of them with its own.
//
// The snapshot is the SDK's ResourceMetrics as JSON; the host's resource
// attributes (the task's Nomad identity) become data-point attributes, so
// that each series is labelled with its task in the scrape.
import type { Attributes } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type CollectionResult,
  type MetricData,
  type MetricProducer,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';

export interface MetricSnapshot {
  /** The sending process's resource attributes that label its series. */
  readonly labels: Attributes;
  readonly metrics: MetricData[];
}

/** A host process's exporter that hands each collection to `send` (its channel to the plugin). */
export function forwardingExporter(
  send: (snapshot: MetricSnapshot) => void,
  labelsOf: (resource: Resource) => Attributes,
): PushMetricExporter {
  return {
    export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
      try {
        send({ labels: labelsOf(metrics.resource), metrics: metrics.scopeMetrics.flatMap((scope) => scope.metrics) });
        done({ code: ExportResultCode.SUCCESS });
      } catch (err) {
        done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      }
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
  };
}

/** How long the last snapshot of a task that ended is still served (a batch task's final numbers). */
const ENDED_KEPT_MS = 5 * 60_000;

/** The plugin's side: the last snapshot of each host, merged into its scrape. */
export class MetricSnapshots implements MetricProducer {
  private readonly snapshots = new Map<string, { snapshot: MetricSnapshot; endedAt?: number }>();

  put(source: string, snapshot: MetricSnapshot): void {
    this.snapshots.set(source, { snapshot });
  }

  ended(source: string): void {
    const entry = this.snapshots.get(source);
    if (entry) entry.endedAt = Date.now();
  }

  collect(): Promise<CollectionResult> {
    const now = Date.now();
    // One MetricData per name: the scrape may name each metric once.
    const byName = new Map<string, MetricData>();
    for (const [source, entry] of this.snapshots) {
      if (entry.endedAt !== undefined && now - entry.endedAt > ENDED_KEPT_MS) {
        this.snapshots.delete(source);
        continue;
      }
      for (const metric of entry.snapshot.metrics) {
        const points = metric.dataPoints.map((point) => ({
          ...point,
          attributes: { ...entry.snapshot.labels, ...point.attributes },
        }));
        const known = byName.get(metric.descriptor.name);
        if (known) (known.dataPoints as unknown[]).push(...points);
        else byName.set(metric.descriptor.name, { ...metric, dataPoints: points } as MetricData);
      }
    }
    return Promise.resolve({
      resourceMetrics: {
        resource: undefined as unknown as Resource, // replaced by the reader's own resource
        scopeMetrics: [{ scope: { name: 'nomad-driver-wasm/hosts' }, metrics: [...byName.values()] }],
      },
      errors: [],
    });
  }
}
