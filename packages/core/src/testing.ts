/**
 * `@autotelemetry/core/testing`: capture what the pipeline produces, in memory, for tests — this repository's
 * and its users'.
 *
 * ```ts
 * import { startTestTelemetry } from '@autotelemetry/core/testing';
 *
 * const telemetry = await startTestTelemetry({ serviceName: 'shop.api' });
 * await telemetry.client.measure('orders.import', () => importOrders(), { rows: (r) => r.length });
 * expect(telemetry.getFinishedSpans().map((s) => s.name)).toContain('orders.import');
 * expect(await telemetry.getMetric('data.operation.duration')).toBeDefined();
 * expect(telemetry.logs().at(-1)?.message).toBe('...');
 * await telemetry.shutdown();
 * ```
 *
 * @packageDocumentation
 * @module @autotelemetry/core/testing
 */
import type { MetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { TelemetryClient } from './client.js';
import type { TelemetryOptions } from './config/types.js';
import { getTelemetry, startTelemetry } from './sdk.js';
import { getState } from './state.js';

/** Log lines captured in memory, as a log destination. */
export class LogCapture {
  /** Complete lines written so far (without the newline). */
  readonly lines: string[] = [];
  private partial = '';

  /** Destination interface: called by the logger with one or more complete lines. */
  write(chunk: string): boolean {
    this.partial += chunk;
    let newline = this.partial.indexOf('\n');
    while (newline !== -1) {
      this.lines.push(this.partial.slice(0, newline));
      this.partial = this.partial.slice(newline + 1);
      newline = this.partial.indexOf('\n');
    }
    return true;
  }

  /** The lines that are JSON objects, parsed. */
  json(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.lines) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A text-format line: not part of the JSON view.
      }
    }
    return out;
  }

  /** Forgets the captured lines. */
  clear(): void {
    this.lines.length = 0;
    this.partial = '';
  }
}

/** A pipeline started for a test, and what it captured. */
export interface TestTelemetry {
  /** The running client. */
  readonly client: TelemetryClient;
  /** Spans finished so far, oldest first. */
  getFinishedSpans(): ReadableSpan[];
  /** Every metric's current value (cumulative since start). */
  collectMetrics(): Promise<MetricData[]>;
  /** The current value of one metric, or undefined if nothing was recorded under that name. */
  getMetric(name: string): Promise<MetricData | undefined>;
  /** Log lines written so far. */
  readonly logLines: readonly string[];
  /** Log lines that are JSON objects, parsed. */
  logs(): Record<string, unknown>[];
  /** Forgets captured spans and log lines. Metrics are cumulative and are not reset. */
  reset(): void;
  /** Shuts the pipeline down. */
  shutdown(): Promise<void>;
}

/** Finished spans of the running pipeline, when it exports to memory (the TEST environment's default). */
export function getFinishedSpans(): ReadableSpan[] {
  const pipeline = getState()?.pipeline;
  pipeline?.completePendingRequests();
  return [...(pipeline?.memorySpans?.getFinishedSpans() ?? [])];
}

/** Every metric of the running pipeline, read now. Empty when no pipeline runs. */
export async function collectMetrics(): Promise<MetricData[]> {
  const reader = getState()?.pipeline?.metricsReader;
  const snapshot = reader ? await reader.snapshot() : undefined;
  return snapshot ? snapshot.scopeMetrics.flatMap((scope) => scope.metrics) : [];
}

/**
 * Starts a pipeline for a test: TEST environment, spans to memory, no `/metrics` server, no runtime metrics,
 * JSON log lines captured in memory — each overridable through `options`. A pipeline already running is shut
 * down first, so every test starts clean.
 */
export async function startTestTelemetry(options: TelemetryOptions = {}): Promise<TestTelemetry> {
  await getTelemetry()?.shutdown();
  const capture = new LogCapture();
  const client = startTelemetry({
    environment: 'test',
    traceExporter: 'memory',
    prometheusPort: false,
    runtimeMetrics: false,
    jsonLogs: true,
    logDestination: capture,
    ...options,
  });
  const pipeline = getState()?.pipeline;
  // A request's telemetry is finished in a batch later in its turn (http/lifecycle.ts): each read finishes it first.
  const settled = (): void => pipeline?.completePendingRequests();
  const collect = async (): Promise<MetricData[]> => {
    const snapshot = await pipeline?.metricsReader?.snapshot();
    return snapshot ? snapshot.scopeMetrics.flatMap((scope) => scope.metrics) : [];
  };
  return {
    client,
    getFinishedSpans: () => {
      settled();
      return [...(pipeline?.memorySpans?.getFinishedSpans() ?? [])];
    },
    collectMetrics: collect,
    async getMetric(name) {
      return (await collect()).find((metric) => metric.descriptor.name === name);
    },
    get logLines() {
      settled();
      return capture.lines;
    },
    logs: () => {
      settled();
      return capture.json();
    },
    reset() {
      settled();
      pipeline?.memorySpans?.reset();
      capture.clear();
    },
    shutdown: () => client.shutdown(),
  };
}
