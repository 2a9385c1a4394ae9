// The request-duration histogram of the hot path, aggregated here and handed
// to the SDK as a MetricProducer at collection time.
//
// Why not the SDK's Histogram instrument: each record() hashes its
// attribute set (sorting and serialising the keys) before it finds the
// series, several microseconds per request on a path that costs ~60 µs in
// all. Here a request costs a Map lookup by a short string and a bucket
// increment; what leaves is the same cumulative explicit-bucket histogram
// the SDK would export, with the semantic convention's name and buckets.
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';

interface Series {
  readonly attributes: Attributes;
  readonly counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

export class RequestHistogram {
  private readonly series = new Map<string, Series>();
  private readonly startTime: HrTime = millisToHrTime(Date.now());

  constructor(
    readonly name: string,
    readonly description: string,
    private readonly boundaries: readonly number[],
  ) {}

  /** `key` names the attribute set (callers build it from the same few values as `attributes`). */
  record(key: string, attributes: () => Attributes, seconds: number): void {
    let series = this.series.get(key);
    if (!series) {
      series = {
        attributes: attributes(),
        counts: new Array<number>(this.boundaries.length + 1).fill(0),
        count: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
      };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.boundaries.length && seconds > (this.boundaries[bucket] as number)) bucket++;
    series.counts[bucket] = (series.counts[bucket] ?? 0) + 1;
    series.count++;
    series.sum += seconds;
    if (seconds < series.min) series.min = seconds;
    if (seconds > series.max) series.max = seconds;
  }

  metricData(): MetricData | undefined {
    if (this.series.size === 0) return undefined;
    const endTime = millisToHrTime(Date.now());
    return {
      descriptor: { name: this.name, description: this.description, unit: 's', valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [...this.series.values()].map((s) => ({
        attributes: s.attributes,
        startTime: this.startTime,
        endTime,
        value: {
          buckets: { boundaries: [...this.boundaries], counts: [...s.counts] },
          count: s.count,
          sum: s.sum,
          min: s.min,
          max: s.max,
        },
      })),
    };
  }
}

/** The producers a process's metric readers collect besides its SDK instruments (hot-path histograms). */
export class HotPathMetrics implements MetricProducer {
  private readonly histograms: RequestHistogram[] = [];
  private readonly gauges: (() => MetricData | undefined)[] = [];

  add(histogram: RequestHistogram): RequestHistogram {
    this.histograms.push(histogram);
    return histogram;
  }

  /** A gauge read at collection time from a plain number (an in-flight request count). */
  addGauge(
    name: string,
    unit: string,
    description: string,
    read: () => { value: number; attributes: Attributes }[],
  ): void {
    const startTime = millisToHrTime(Date.now());
    this.gauges.push(() => {
      const endTime = millisToHrTime(Date.now());
      return {
        descriptor: { name, description, unit, valueType: ValueType.INT },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.SUM,
        isMonotonic: false,
        dataPoints: read().map(({ value, attributes }) => ({ attributes, startTime, endTime, value })),
      };
    });
  }

  collect(): Promise<CollectionResult> {
    const metrics = [...this.histograms.map((h) => h.metricData()), ...this.gauges.map((g) => g())].filter(
      (m): m is MetricData => m !== undefined,
    );
    return Promise.resolve({
      resourceMetrics: {
        resource: undefined as unknown as Resource, // the reader uses its provider's resource
        scopeMetrics: metrics.length ? [{ scope: { name: 'nomad-driver-wasm' }, metrics }] : [],
      },
      errors: [],
    });
  }
}
