/**
 * The HTTP server metrics, collected by the pipeline's metric readers straight from the lifecycle's own
 * cells instead of through SDK instruments.
 *
 * An SDK histogram finds the cell of a record by hashing its attribute object (sorting the keys and
 * serialising them) on every `record()`. The lifecycle already holds one {@link DurationSeries} per
 * (method, route, status, scheme, protocol) and records into it with a few additions; this module turns those
 * cells into the same `http.server.request.duration` histogram (and `http.server.active_requests` sum) the
 * SDK would report, for each reader through a `MetricProducer`, in the reader's temporality.
 *
 * Used when every reader is the pipeline's own (the application's own readers get the SDK instruments, so
 * they see the HTTP metrics too) and no attribute of these metrics is redacted (the SDK's views apply the
 * redaction).
 */
import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import { hrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type HistogramMetricData,
  InstrumentType,
  type MetricData,
  type MetricProducer,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import type { DurationSeries } from './metrics.js';
import {
  HTTP_SERVER_DURATION_BUCKETS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from './semconv.js';

/** What the lifecycle lends the producers: its series and its in-flight counts, walked at collection. */
export interface HttpMetricsSource {
  /** Every duration series. */
  series(): Iterable<DurationSeries>;
  /** Calls `observe` with each (method, scheme) in-flight count. */
  observeActive(observe: (value: number, attributes: Attributes) => void): void;
}

/** A reader's choice of temporality for histograms. */
export type TemporalityOf = (instrumentType: InstrumentType) => AggregationTemporality;

const BOUNDARIES: number[] = [...HTTP_SERVER_DURATION_BUCKETS];

/** The SDK's cardinality limit of a metric stream, and the attribute of the series past it. */
const CARDINALITY_LIMIT = 2000;
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * The SDK's rule past the cardinality limit: the first 1,999 series are kept, every further one is folded into
 * one series whose only attribute is `otel.metric.overflow: true`.
 */
function foldOverflow(dataPoints: HistogramMetricData['dataPoints']): void {
  if (dataPoints.length <= CARDINALITY_LIMIT) return;
  const folded = dataPoints.splice(CARDINALITY_LIMIT - 1);
  const first = folded[0] as (typeof folded)[number];
  const counts = first.value.buckets.counts.map(() => 0);
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const point of folded) {
    const value = point.value;
    value.buckets.counts.forEach((n, i) => {
      counts[i] = (counts[i] as number) + n;
    });
    count += value.count;
    sum += value.sum ?? 0;
    if (value.min !== undefined && value.min < min) min = value.min;
    if (value.max !== undefined && value.max > max) max = value.max;
  }
  dataPoints.push({
    startTime: first.startTime,
    endTime: first.endTime,
    attributes: OVERFLOW_ATTRIBUTES,
    value: {
      buckets: { boundaries: first.value.buckets.boundaries, counts },
      sum,
      count,
      ...(min <= max ? { min, max } : {}),
    },
  });
}

/** The cells of one pipeline's HTTP metrics and the producers its readers collect them through. */
export class HttpMetricsStore {
  private source: HttpMetricsSource | undefined;
  private readonly startTime: HrTime = hrTime();

  /**
   * @param resource the pipeline's resource.
   * @param scope the scope the HTTP metrics are reported under.
   */
  constructor(
    private readonly resource: Resource,
    private readonly scope: InstrumentationScope,
  ) {}

  /** Whether a lifecycle records into this store. */
  get attached(): boolean {
    return this.source !== undefined;
  }

  /** Lends the store a lifecycle's cells (the first lifecycle of the pipeline; later ones are refused). */
  attach(source: HttpMetricsSource): boolean {
    if (this.source !== undefined) return false;
    this.source = source;
    return true;
  }

  /** A producer for one reader; `temporality` is read at each collection (the reader's selector). */
  producer(temporality: TemporalityOf): MetricProducer {
    // Delta readers get the difference with what this reader was last given.
    const previous = new Map<DurationSeries, { count: number; sum: number; counts: number[] }>();
    let lastCollection = this.startTime;
    return {
      collect: async (): Promise<CollectionResult> => {
        const now = hrTime();
        const metrics: MetricData[] = [];
        const source = this.source;
        if (source !== undefined) {
          const delta = temporality(InstrumentType.HISTOGRAM) === AggregationTemporality.DELTA;
          metrics.push(this.histogram(source, now, delta ? { previous, since: lastCollection } : undefined));
          metrics.push(this.active(source, now));
        }
        lastCollection = now;
        return {
          resourceMetrics: {
            resource: this.resource,
            scopeMetrics: metrics.length > 0 ? [{ scope: this.scope, metrics }] : [],
          },
          errors: [],
        };
      },
    };
  }

  private histogram(
    source: HttpMetricsSource,
    now: HrTime,
    delta:
      | { previous: Map<DurationSeries, { count: number; sum: number; counts: number[] }>; since: HrTime }
      | undefined,
  ): HistogramMetricData {
    const dataPoints: HistogramMetricData['dataPoints'] = [];
    for (const series of source.series()) {
      if (series.count === 0) continue;
      if (delta === undefined) {
        dataPoints.push({
          startTime: this.startTime,
          endTime: now,
          attributes: series.attributes,
          value: {
            buckets: { boundaries: BOUNDARIES, counts: series.counts.slice() },
            sum: series.sum,
            count: series.count,
            min: series.min,
            max: series.max,
          },
        });
        continue;
      }
      const before = delta.previous.get(series);
      const counts = series.counts.map((n, i) => n - (before?.counts[i] ?? 0));
      const count = series.count - (before?.count ?? 0);
      delta.previous.set(series, { count: series.count, sum: series.sum, counts: series.counts.slice() });
      if (count === 0) continue;
      // Minimum and maximum over the interval are not known from cumulative cells; both are optional.
      dataPoints.push({
        startTime: delta.since,
        endTime: now,
        attributes: series.attributes,
        value: { buckets: { boundaries: BOUNDARIES, counts }, sum: series.sum - (before?.sum ?? 0), count },
      });
    }
    foldOverflow(dataPoints);
    return {
      descriptor: {
        name: METRIC_HTTP_SERVER_REQUEST_DURATION,
        description: 'Duration of HTTP server requests.',
        unit: 's',
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: delta === undefined ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints,
    };
  }

  private active(source: HttpMetricsSource, now: HrTime): SumMetricData {
    const dataPoints: SumMetricData['dataPoints'] = [];
    source.observeActive((value, attributes) => {
      dataPoints.push({ startTime: this.startTime, endTime: now, attributes, value });
    });
    // An up-down counter stays cumulative under every temporality preference.
    return {
      descriptor: {
        name: METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
        description: 'Number of active HTTP server requests.',
        unit: '{request}',
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: false,
      dataPoints,
    };
  }
}
