// The request-duration histogram of the hot path, aggregated here and handed
// to the SDK as a MetricProducer at collection time.
//
// Why not the SDK's Histogram instrument: each record() hashes its
// attribute set (sorting and serialising the keys) before it finds the
// series, several microseconds per request on a path that costs ~60 µs in
// all. Here a caller keeps the series of an attribute set (looked up by a
// short string once) and a request costs a bucket increment; what leaves is
// the same cumulative explicit-bucket histogram the SDK would export, with
// the semantic convention's name and buckets.
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

/** One attribute set's buckets, count, sum, min and max. */
export class HistogramSeries {
  readonly counts: number[];
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(
    readonly attributes: Attributes,
    private readonly boundaries: readonly number[],
  ) {
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(seconds: number): void {
    let bucket = 0;
    while (bucket < this.boundaries.length && seconds > (this.boundaries[bucket] as number)) bucket++;
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.count++;
    this.sum += seconds;
    if (seconds < this.min) this.min = seconds;
    if (seconds > this.max) this.max = seconds;
  }
}

export class RequestHistogram {
  private readonly byKey = new Map<string, HistogramSeries>();
  private readonly startTime: HrTime = millisToHrTime(Date.now());

  constructor(
    readonly name: string,
    readonly description: string,
    private readonly boundaries: readonly number[],
  ) {}

  /**
   * The series of one attribute set, made on first use: `key` names the set
   * (callers build it from the same few values as `attributes`, and keep the
   * series to record into it without a lookup).
   */
  series(key: string, attributes: () => Attributes): HistogramSeries {
    let series = this.byKey.get(key);
    if (!series) {
      series = new HistogramSeries(attributes(), this.boundaries);
      this.byKey.set(key, series);
    }
    return series;
  }

  metricData(): MetricData | undefined {
    if (this.byKey.size === 0) return undefined;
    const endTime = millisToHrTime(Date.now());
    return {
      descriptor: { name: this.name, description: this.description, unit: 's', valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [...this.byKey.values()].map((s) => ({
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
