/**
 * What the tests of this package share: a fresh in-memory pipeline per test, and readers for what it
 * captured (SERVER spans, metric points, access lines).
 */
import { startTestTelemetry, type TestTelemetry } from '@autotelemetry/core/testing';
import { SpanKind } from '@opentelemetry/api';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** A pipeline for one test: TEST environment, spans and JSON lines in memory, INFO lines kept. */
export function startPipeline(options: Parameters<typeof startTestTelemetry>[0] = {}): Promise<TestTelemetry> {
  return startTestTelemetry({ serviceName: 'fastify.test', logLevel: 'INFO', ...options });
}

/** The finished SERVER spans, oldest first. */
export function serverSpans(telemetry: TestTelemetry): ReadableSpan[] {
  return telemetry.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
}

/** The one SERVER span named `name`; fails the test when there is not exactly one. */
export function onlyServerSpan(telemetry: TestTelemetry, name: string): ReadableSpan {
  const found = serverSpans(telemetry).filter((span) => span.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected one SERVER span "${name}", got ${found.length}: ${serverSpans(telemetry)
        .map((s) => s.name)
        .join(', ')}`,
    );
  }
  return found[0] as ReadableSpan;
}

/** The data points of a histogram metric. */
export function histogramPoints(metric: MetricData | undefined): DataPoint<Histogram>[] {
  return (metric?.dataPoints ?? []) as DataPoint<Histogram>[];
}

/** The access lines (logger `http`, with `data.status` or `data.aborted`). */
export function accessLines(telemetry: TestTelemetry): Record<string, unknown>[] {
  return telemetry
    .logs()
    .filter(
      (line) =>
        line.logger === 'http' && typeof line.data === 'object' && line.data !== null && 'duration_ms' in line.data,
    );
}

/** Waits until `check` returns true (spans end on the response's events, a tick after the client sees it). */
export async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
