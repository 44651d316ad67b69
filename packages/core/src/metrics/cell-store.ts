/**
 * The store of a pipeline's own metric cells and the producers its readers collect them through: each
 * source (the HTTP lifecycle, the client metrics) is attached under its instrumentation scope, and every
 * collection reports its histograms and sums as the SDK would report the same instruments — cumulative or
 * delta as the reader asks, with the SDK's cardinality limit.
 */
import { type HrTime, ValueType } from '@opentelemetry/api';
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
  type ScopeMetrics,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import type { CellSource, HistogramCell, HistogramCells, SumCells } from './cells.js';

/** A reader's choice of temporality for an instrument type. */
export type TemporalityOf = (instrumentType: InstrumentType) => AggregationTemporality;

/** The SDK's cardinality limit of a metric stream, and the attribute of the series past it. */
const CARDINALITY_LIMIT = 2000;
const OVERFLOW_ATTRIBUTES = Object.freeze({ 'otel.metric.overflow': true });

/** What a delta reader was last given of one cell. */
interface CellSnapshot {
  readonly count: number;
  readonly sum: number;
  readonly counts: number[];
}

/** One collection's time window, and for a delta reader what it was given before. */
interface Collection {
  readonly startTime: HrTime;
  readonly now: HrTime;
  readonly delta?: { readonly previous: Map<HistogramCell, CellSnapshot>; readonly since: HrTime };
}

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

function histogramData(histogram: HistogramCells, window: Collection): HistogramMetricData {
  const boundaries = [...histogram.boundaries];
  const dataPoints: HistogramMetricData['dataPoints'] = [];
  const delta = window.delta;
  for (const cell of histogram.cells()) {
    if (cell.count === 0) continue;
    if (delta === undefined) {
      dataPoints.push({
        startTime: window.startTime,
        endTime: window.now,
        attributes: cell.attributes,
        value: {
          buckets: { boundaries, counts: cell.counts.slice() },
          sum: cell.sum,
          count: cell.count,
          min: cell.min,
          max: cell.max,
        },
      });
      continue;
    }
    const before = delta.previous.get(cell);
    const counts = cell.counts.map((n, i) => n - (before?.counts[i] ?? 0));
    const count = cell.count - (before?.count ?? 0);
    delta.previous.set(cell, { count: cell.count, sum: cell.sum, counts: cell.counts.slice() });
    if (count === 0) continue;
    // Minimum and maximum over the interval are not known from cumulative cells; both are optional.
    dataPoints.push({
      startTime: delta.since,
      endTime: window.now,
      attributes: cell.attributes,
      value: { buckets: { boundaries, counts }, sum: cell.sum - (before?.sum ?? 0), count },
    });
  }
  foldOverflow(dataPoints);
  return {
    descriptor: { ...histogram.descriptor, valueType: ValueType.DOUBLE },
    aggregationTemporality: delta === undefined ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints,
  };
}

function sumData(sum: SumCells, window: Collection): SumMetricData {
  const dataPoints: SumMetricData['dataPoints'] = [];
  sum.observe((value, attributes) => {
    dataPoints.push({ startTime: window.startTime, endTime: window.now, attributes, value });
  });
  // An up-down counter stays cumulative under every temporality preference; without a value type, doubles.
  return {
    descriptor: { ...sum.descriptor, valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: false,
    dataPoints,
  };
}

export class MetricCellStore {
  private readonly sources = new Map<string, { scope: InstrumentationScope; source: CellSource }>();
  private readonly startTime: HrTime = hrTime();

  /** @param resource the pipeline's resource. */
  constructor(private readonly resource: Resource) {}

  /** Whether a source is attached under `scopeName`. */
  has(scopeName: string): boolean {
    return this.sources.has(scopeName);
  }

  /**
   * Lends the store a source's cells under `scope`. The first source of a scope is kept; a later one is
   * refused (false), and its owner records through SDK instruments instead.
   */
  attach(scope: InstrumentationScope, source: CellSource): boolean {
    if (this.sources.has(scope.name)) return false;
    this.sources.set(scope.name, { scope, source });
    return true;
  }

  /** A producer for one reader; `temporality` is read at each collection (the reader's selector). */
  producer(temporality: TemporalityOf): MetricProducer {
    // Delta readers get the difference with what this reader was last given.
    const previous = new Map<HistogramCell, CellSnapshot>();
    let lastCollection = this.startTime;
    return {
      collect: async (): Promise<CollectionResult> => {
        const now = hrTime();
        const delta = temporality(InstrumentType.HISTOGRAM) === AggregationTemporality.DELTA;
        const window: Collection = {
          startTime: this.startTime,
          now,
          ...(delta ? { delta: { previous, since: lastCollection } } : {}),
        };
        const scopeMetrics: ScopeMetrics[] = [];
        for (const { scope, source } of this.sources.values()) {
          // As the SDK: an instrument with no point in this collection is not reported.
          const metrics: MetricData[] = [
            ...source.histograms.map((histogram) => histogramData(histogram, window)),
            ...(source.sums ?? []).map((sum) => sumData(sum, window)),
          ].filter((metric) => metric.dataPoints.length > 0);
          if (metrics.length > 0) scopeMetrics.push({ scope, metrics });
        }
        lastCollection = now;
        return { resourceMetrics: { resource: this.resource, scopeMetrics }, errors: [] };
      },
    };
  }
}
