/**
 * The viewer's live charts: every second, the HTTP request rate and latency percentiles from the
 * pipeline's own `http.server.request.duration` histogram (the series `/metrics` serves, read on demand),
 * and the event-loop delay and heap in use of this process. The last samples are kept in a ring.
 */
import { type ELDHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Histogram, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { Ring } from './store.js';

/** The charts, by the name the page shows. */
export const VIEWER_CHARTS = Object.freeze([
  'http.server.request.rate',
  'http.server.request.duration.p50',
  'http.server.request.duration.p99',
  'nodejs.eventloop.delay.p99',
  'v8js.memory.heap.used',
] as const);

export type ViewerChart = (typeof VIEWER_CHARTS)[number];

/** One sample: the time and each chart's value (null when there is none, e.g. no request in the interval). */
export interface MetricSample {
  readonly timeMs: number;
  readonly values: Readonly<Record<ViewerChart, number | null>>;
}

/** Where the sampler reads the metrics from: the pipeline's snapshot reader. */
export interface MetricsSource {
  snapshot(): Promise<ResourceMetrics | undefined>;
}

const DURATION_METRIC = 'http.server.request.duration';

/** Sampling interval of the event-loop delay monitor, in milliseconds. */
const LOOP_DELAY_RESOLUTION_MS = 10;

/** Counts and bucket counts of a histogram, summed over its series. */
interface HistogramTotals {
  count: number;
  boundaries: readonly number[];
  buckets: number[];
}

function durationTotals(metrics: ResourceMetrics | undefined): HistogramTotals | undefined {
  let totals: HistogramTotals | undefined;
  for (const scope of metrics?.scopeMetrics ?? []) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== DURATION_METRIC) continue;
      for (const point of metric.dataPoints) {
        const value = point.value as Histogram;
        if (value.buckets === undefined) continue;
        totals ??= { count: 0, boundaries: value.buckets.boundaries, buckets: value.buckets.counts.map(() => 0) };
        if (value.buckets.counts.length !== totals.buckets.length) continue;
        totals.count += value.count;
        value.buckets.counts.forEach((n, i) => {
          (totals as HistogramTotals).buckets[i] = ((totals as HistogramTotals).buckets[i] ?? 0) + n;
        });
      }
    }
  }
  return totals;
}

/**
 * The `q` quantile of the requests counted in `buckets` (seconds), in milliseconds: linear within the bucket
 * it falls in, as Prometheus' `histogram_quantile` does. Null without requests.
 */
export function quantileMs(q: number, boundaries: readonly number[], buckets: readonly number[]): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i] as number;
    if (seen + n >= rank && n > 0) {
      const lower = i === 0 ? 0 : (boundaries[i - 1] as number);
      // The last bucket has no upper bound: its lower bound is the best estimate there is.
      const upper = i < boundaries.length ? (boundaries[i] as number) : lower;
      return (lower + (upper - lower) * ((rank - seen) / n)) * 1000;
    }
    seen += n;
  }
  return (boundaries[boundaries.length - 1] ?? 0) * 1000;
}

/** Samples the charts every `intervalMs` while started. */
export class MetricsSampler {
  readonly samples: Ring<MetricSample>;
  private timer: NodeJS.Timeout | undefined;
  private loopDelay: ELDHistogram | undefined;
  private previous: { timeMs: number; totals: HistogramTotals | undefined } | undefined;
  private sampling = false;

  constructor(
    private readonly source: MetricsSource,
    private readonly onSample: (sample: MetricSample) => void,
    size = 120,
    private readonly intervalMs = 1000,
  ) {
    this.samples = new Ring(size);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.loopDelay.enable();
    this.timer = setInterval(() => void this.sample(), this.intervalMs).unref();
    void this.sample();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.loopDelay?.disable();
    this.loopDelay = undefined;
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const totals = durationTotals(await this.source.snapshot());
      const timeMs = Date.now();
      const previous = this.previous;
      this.previous = { timeMs, totals };
      // The first reading is only a baseline: rates and percentiles are over the interval since the last one.
      if (previous === undefined) return;
      const seconds = Math.max((timeMs - previous.timeMs) / 1000, 1e-3);
      const before = previous.totals;
      const count = (totals?.count ?? 0) - (before?.count ?? 0);
      const buckets =
        totals === undefined
          ? []
          : totals.buckets.map(
              (n, i) => n - (before?.buckets.length === totals.buckets.length ? (before.buckets[i] ?? 0) : 0),
            );
      const boundaries = totals?.boundaries ?? [];
      const loopDelay = this.loopDelay;
      // The histogram times the monitor's own timer, which waits the resolution by design: only the excess is delay.
      const delayP99 =
        loopDelay !== undefined && loopDelay.count > 0
          ? Math.max(loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS, 0)
          : null;
      loopDelay?.reset();
      const sample: MetricSample = {
        timeMs,
        values: {
          'http.server.request.rate': Math.max(count, 0) / seconds,
          'http.server.request.duration.p50': count > 0 ? quantileMs(0.5, boundaries, buckets) : null,
          'http.server.request.duration.p99': count > 0 ? quantileMs(0.99, boundaries, buckets) : null,
          'nodejs.eventloop.delay.p99': delayP99,
          'v8js.memory.heap.used': process.memoryUsage().heapUsed / (1024 * 1024),
        },
      };
      this.samples.push(sample);
      this.onSample(sample);
    } catch {
      // A failed reading is a gap in the charts, nothing more.
    } finally {
      this.sampling = false;
    }
  }
}
