/**
 * Ending a helper's span: failure recording, the anomaly detector's feed, then `span.end()` — in that
 * order, because a span event (`anomaly.detected`) can only be added before the span ends.
 */
import type { Span } from '@opentelemetry/api';
import { recordSpanFailure } from '../span-failure.js';
import { readStateSlot } from '../state-slot.js';
import { getAnomalyDetector } from './anomaly.js';

/**
 * Start time (`performance.now()`) for the anomaly detector when the running pipeline has anomaly
 * detection on, else `NaN` — so one number carries both facts and the clock is not read when unused.
 */
export function observationStart(): number {
  return readStateSlot()?.config.anomalyDetection === true ? performance.now() : Number.NaN;
}

/**
 * Ends `span`: records `error` when `failed`, feeds the process-wide anomaly detector under `key` when
 * `startedAt` is a time (not NaN), then ends it. Never throws.
 */
export function endObservedSpan(span: Span, key: string, startedAt: number, failed: boolean, error?: unknown): void {
  if (failed) recordSpanFailure(span, error);
  if (!Number.isNaN(startedAt)) getAnomalyDetector().observe(key, performance.now() - startedAt, failed, span);
  try {
    span.end();
  } catch {
    // Telemetry never throws into the host application.
  }
}
