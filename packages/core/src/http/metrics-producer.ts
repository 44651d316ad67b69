/**
 * The HTTP server metrics as a source of the pipeline's own metric cells (metrics/cell-store.ts): the
 * lifecycle already holds one {@link DurationSeries} per (method, route, status, scheme, protocol) and
 * records into it with a few additions; this lends those cells, and the in-flight counts, under the names
 * the SDK instruments would have — `http.server.request.duration` and `http.server.active_requests`.
 *
 * Used when every reader is the pipeline's own (the application's own readers get the SDK instruments, so
 * they see the HTTP metrics too) and no attribute of these metrics is redacted (the SDK's views apply the
 * redaction).
 */
import type { Attributes } from '@opentelemetry/api';
import type { CellSource } from '../metrics/cells.js';
import type { DurationSeries } from './metrics.js';
import {
  HTTP_SERVER_DURATION_BUCKETS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from './semconv.js';

/** What the lifecycle lends: its series and its in-flight counts, walked at collection. */
export interface HttpMetricsSource {
  /** Every duration series. */
  series(): Iterable<DurationSeries>;
  /** Calls `observe` with each (method, scheme) in-flight count. */
  observeActive(observe: (value: number, attributes: Attributes) => void): void;
}

/** The lifecycle's cells as the two HTTP server instruments. */
export function httpCellSource(source: HttpMetricsSource): CellSource {
  return {
    histograms: [
      {
        descriptor: {
          name: METRIC_HTTP_SERVER_REQUEST_DURATION,
          description: 'Duration of HTTP server requests.',
          unit: 's',
        },
        boundaries: HTTP_SERVER_DURATION_BUCKETS,
        cells: () => source.series(),
      },
    ],
    sums: [
      {
        descriptor: {
          name: METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
          description: 'Number of active HTTP server requests.',
          unit: '{request}',
        },
        observe: (observe) => source.observeActive(observe),
      },
    ],
  };
}
