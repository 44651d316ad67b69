/**
 * In-process capture used by the TEST environment (`traceExporter: 'memory'`) and by `@autotelemetry/core/testing`:
 * a bounded span exporter, and a metric reader that collects only when asked.
 */
import type { ExportResult } from '@opentelemetry/core';
import { MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';

/** Spans kept by default before the oldest are dropped. */
export const DEFAULT_MEMORY_SPAN_LIMIT = 10_000;

/**
 * The SDK's InMemorySpanExporter with a bound: past `limit` spans the oldest are dropped and counted, so a
 * long test run (or a TEST-environment process that runs for days) cannot grow without end.
 */
export class BoundedMemorySpanExporter extends InMemorySpanExporter {
  private droppedCount = 0;

  constructor(private readonly limit: number = DEFAULT_MEMORY_SPAN_LIMIT) {
    super();
  }

  override export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    super.export(spans, resultCallback);
    // The parent stores synchronously and hands out its own array from getFinishedSpans(): trimming that
    // array in place keeps a single copy.
    const kept = this.getFinishedSpans();
    const excess = kept.length - this.limit;
    if (excess > 0) {
      kept.splice(0, excess);
      this.droppedCount += excess;
    }
  }

  override reset(): void {
    super.reset();
    this.droppedCount = 0;
  }

  /** Spans dropped because the bound was reached. */
  get dropped(): number {
    return this.droppedCount;
  }
}

/** A metric reader with no schedule: `collect()` reads every instrument's current value on demand. */
export class SnapshotMetricReader extends MetricReader {
  /**
   * Called before each snapshot: the pipeline finishes the requests whose duration waits for the turn's
   * batch (http/lifecycle.ts), so a scrape right after a response counts it.
   */
  beforeSnapshot: (() => void) | undefined = undefined;

  /** Nothing to stop: this reader has no timer and no connection. */
  protected override async onShutdown(): Promise<void> {}

  /** Nothing to flush: this reader exports nothing by itself, it is read on demand. */
  protected override async onForceFlush(): Promise<void> {}

  /** Current metrics, or undefined once the pipeline is shut down. */
  async snapshot(): Promise<ResourceMetrics | undefined> {
    try {
      this.beforeSnapshot?.();
      const { resourceMetrics } = await this.collect();
      return resourceMetrics;
    } catch {
      return undefined;
    }
  }
}
