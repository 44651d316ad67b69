/**
 * The running pipeline's metrics in the Prometheus text format, for adapters that serve `/metrics` on the
 * application's own HTTP server (a Fastify route, an Express handler) instead of, or besides, the pipeline's
 * own endpoint. Same reader and serializer as that endpoint, so both show the same series.
 */

import type { SnapshotMetricReader } from '../export/memory-exporters.js';
import { readStateSlot } from '../state-slot.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheusText } from './prometheus.js';

/** Content type to answer {@link renderPrometheusMetrics}' text with (the text exposition format 0.0.4). */
export const PROMETHEUS_TEXT_CONTENT_TYPE: string = PROMETHEUS_CONTENT_TYPE;

/**
 * Every metric of the running pipeline, read now and rendered in the Prometheus text format; undefined when
 * no pipeline runs or telemetry is disabled (there is nothing to serve). Never rejects: a failed collection
 * also gives undefined.
 */
export async function renderPrometheusMetrics(): Promise<string | undefined> {
  const reader = readStateSlot()?.pipeline?.metricsReader as SnapshotMetricReader | undefined;
  if (reader === undefined) return undefined;
  try {
    return await renderPrometheusText(reader);
  } catch {
    return undefined;
  }
}
