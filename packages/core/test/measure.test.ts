import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve.js';
import { ANOMALY_EVENT_NAME, AnomalyDetector, setAnomalyDetector } from '../src/instrument/anomaly.js';
import { MEASURE_LOGGER_NAME, MEASURE_METRICS, measure } from '../src/instrument/measure.js';
import { NamingError } from '../src/instrument/naming.js';
import { traced } from '../src/instrument/traced.js';
import { createLogger } from '../src/logging/logger.js';
import { setState } from '../src/state.js';
import { CaptureLogger, installState, pointsOf, type TestPipeline, useTestPipeline } from './otel-test-pipeline.js';

let pipeline: TestPipeline;
let logger: CaptureLogger;
useTestPipeline((started) => {
  pipeline = started;
});
beforeEach(() => {
  logger = new CaptureLogger();
  installState(logger);
});
afterEach(() => {
  setState(undefined);
  setAnomalyDetector(undefined);
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function only(name: string): ReadableSpan {
  const spans = pipeline.spansNamed(name);
  expect(spans.map((s) => s.name)).toEqual([name]);
  return spans[0] as ReadableSpan;
}

function spanMs(span: ReadableSpan): number {
  return span.duration[0] * 1000 + span.duration[1] / 1e6;
}

async function pointFor(metric: string, operation: string) {
  const points = pointsOf(await pipeline.collectMetrics(), metric);
  return points.find((p) => p.attributes['data.operation.name'] === operation);
}

describe('measure(name, fn)', () => {
  it('wraps a sync operation: span, duration, rows from an array result, throughput, summary line in the span', async () => {
    const input = Array.from({ length: 150 }, (_, i) => i);
    const result = measure('orders.filter', () => {
      const started = performance.now();
      while (performance.now() - started < 3) {
        // Busy for a few ms so the throughput is a finite, measurable number.
      }
      return input.filter((n) => n % 2 === 0);
    });
    expect(result).toHaveLength(75);

    const span = only('orders.filter');
    expect(span.attributes['data.operation.name']).toBe('orders.filter');
    expect(span.attributes['data.operation.rows']).toBe(75);
    const throughput = span.attributes['data.operation.throughput'] as number;
    expect(throughput).toBeGreaterThan(0);
    // The span also covers recording the metrics; the throughput is over the operation's own time.
    expect(throughput).toBeGreaterThanOrEqual(75 / (spanMs(span) / 1000));
    expect(typeof span.attributes['data.operation.heap_delta_bytes']).toBe('number');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);

    const duration = (await pointFor(MEASURE_METRICS.duration, 'orders.filter'))?.value as Histogram;
    expect(duration.count).toBe(1);
    expect(duration.sum).toBeGreaterThanOrEqual(0.003);
    expect(duration.sum).toBeLessThanOrEqual(spanMs(span) / 1000 + 0.001);
    expect((await pointFor(MEASURE_METRICS.rows, 'orders.filter'))?.value).toBe(75);
    const throughputPoint = await pointFor(MEASURE_METRICS.throughput, 'orders.filter');
    expect((throughputPoint?.value as Histogram | undefined)?.count).toBe(1);
    const metricList = await pipeline.collectMetrics();
    expect(metricList.find((m) => m.descriptor.name === MEASURE_METRICS.duration)?.descriptor.unit).toBe('s');

    const [line] = logger.lines;
    expect(logger.lines).toHaveLength(1);
    expect(line?.level).toBe('info');
    expect(line?.message).toBe('Operation orders.filter completed');
    expect(line?.data).toMatchObject({ operation: 'orders.filter', rows_processed: 75 });
    expect(line?.data?.processing_time_ms).toBeGreaterThanOrEqual(3);
    expect(line?.data?.memory_usage_mb).toBeGreaterThan(1);
    expect(typeof line?.data?.memory_delta_mb).toBe('number');
    const processingMs = line?.data?.processing_time_ms as number;
    const expected = 75 / (processingMs / 1000);
    expect(Math.abs((line?.data?.throughput_rows_per_s as number) - expected) / expected).toBeLessThan(0.01);
    expect(Math.abs(throughput - expected) / expected).toBeLessThan(0.01);
    // Written while the measure span is active: the line carries its ids.
    expect(line?.traceId).toBe(span.spanContext().traceId);
    expect(line?.spanId).toBe(span.spanContext().spanId);
  });

  it('wraps an async operation: awaited duration, rows from a function of the result, nested child spans', async () => {
    const report = await measure(
      'customers.import',
      async () => {
        await sleep(15);
        trace.getTracer('test').startSpan('customers.batch_write').end();
        return { imported: 1200, skipped: 3 };
      },
      { rows: (r) => r.imported, attributes: { 'data.source': 'csv' } },
    );
    expect(report).toEqual({ imported: 1200, skipped: 3 });
    const span = only('customers.import');
    expect(spanMs(span)).toBeGreaterThanOrEqual(14);
    expect(span.attributes['data.source']).toBe('csv');
    expect(span.attributes['data.operation.rows']).toBe(1200);
    expect(only('customers.batch_write').parentSpanContext?.spanId).toBe(span.spanContext().spanId);

    const rows = await pointFor(MEASURE_METRICS.rows, 'customers.import');
    expect(rows?.value).toBe(1200);
    expect(rows?.attributes).toEqual({ 'data.operation.name': 'customers.import', 'data.source': 'csv' });
    const duration = (await pointFor(MEASURE_METRICS.duration, 'customers.import'))?.value as Histogram;
    expect(duration.sum).toBeGreaterThanOrEqual(0.014);

    expect(logger.lines[0]?.data).toMatchObject({ rows_processed: 1200 });
    expect(logger.lines[0]?.spanId).toBe(span.spanContext().spanId);
  });

  it('takes a fixed row count, and reports rows as unknown when it cannot tell', () => {
    measure('files.copy', () => 'done', { rows: 10 });
    measure('files.touch', () => 'done');
    expect(only('files.copy').attributes['data.operation.rows']).toBe(10);
    expect(only('files.touch').attributes['data.operation.rows']).toBeUndefined();
    expect(logger.lines.map((l) => l.data?.rows_processed)).toEqual([10, null]);
  });

  it('measures the heap growth of the operation', () => {
    let kept: number[][] = [];
    measure('cache.warm', () => {
      kept = Array.from({ length: 200 }, () => new Array(10_000).fill(1));
      return kept;
    });
    // 200 × 10 000 doubles ≈ 16 MB kept alive past the operation.
    expect(only('cache.warm').attributes['data.operation.heap_delta_bytes']).toBeGreaterThan(8 * 1024 * 1024);
    expect(logger.lines[0]?.data?.memory_delta_mb).toBeGreaterThan(8);
    expect(kept).toHaveLength(200);
  });

  it('records a sync throw and rethrows the same error, with error.type on the metric and an ERROR line', async () => {
    const failure = new SyntaxError('bad csv');
    let caught: unknown;
    try {
      measure('csv.parse', () => {
        throw failure;
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(failure);
    const span = only('csv.parse');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad csv' });
    expect(span.events.some((e) => e.name === 'exception')).toBe(true);
    const duration = await pointFor(MEASURE_METRICS.duration, 'csv.parse');
    expect(duration?.attributes['error.type']).toBe('SyntaxError');
    expect(await pointFor(MEASURE_METRICS.rows, 'csv.parse')).toBeUndefined();
    expect(logger.lines.map((l) => [l.level, l.message])).toEqual([['error', 'Operation csv.parse failed']]);
    expect(logger.lines[0]?.data).toMatchObject({ error_type: 'SyntaxError', error: failure, rows_processed: null });
  });

  it('records an async rejection and rejects with the same error', async () => {
    const failure = new Error('upstream down');
    await expect(
      measure('prices.sync', async () => {
        await sleep(2);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(only('prices.sync').status.code).toBe(SpanStatusCode.ERROR);
    expect(logger.lines[0]?.level).toBe('error');
  });

  it('nests under a traced caller', () => {
    const pipelineRun = traced(() => measure('stage.transform', () => [1, 2]), { name: 'pipeline.run' });
    expect(pipelineRun()).toEqual([1, 2]);
    expect(only('stage.transform').parentSpanContext?.spanId).toBe(only('pipeline.run').spanContext().spanId);
  });

  it('writes to an explicit logger, or to none with logger: false', () => {
    const own = new CaptureLogger();
    measure('a.b', () => 1, { logger: own });
    measure('a.c', () => 1, { logger: false });
    expect(own.lines.map((l) => l.message)).toEqual(['Operation a.b completed']);
    expect(logger.lines).toEqual([]);
  });

  it('checks the name: warns once for a bad one, throws before running with strictNaming', () => {
    measure('BadName', () => 1);
    measure('BadName', () => 1);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    installState(logger, { strictNaming: true });
    let ran = false;
    expect(() =>
      measure('AlsoBad', () => {
        ran = true;
      }),
    ).toThrow(NamingError);
    expect(ran).toBe(false);
  });

  it('records into a meter provider registered after its first use (instruments are per meter)', async () => {
    measure('late.first', () => [1]);
    class Reader extends MetricReader {
      protected override async onShutdown(): Promise<void> {}
      protected override async onForceFlush(): Promise<void> {}
    }
    const reader = new Reader();
    const replacement = new MeterProvider({ readers: [reader] });
    metrics.disable();
    metrics.setGlobalMeterProvider(replacement);
    try {
      measure('late.second', () => [1, 2, 3]);
      const { resourceMetrics } = await reader.collect();
      const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
      const rows = pointsOf(all, MEASURE_METRICS.rows);
      expect(rows.map((p) => [p.attributes['data.operation.name'], p.value])).toEqual([['late.second', 3]]);
    } finally {
      metrics.disable();
      metrics.setGlobalMeterProvider(pipeline.meterProvider);
      await replacement.shutdown();
    }
  });

  it('feeds the anomaly detector when anomaly detection is on', () => {
    installState(logger, { anomalyDetection: true });
    setAnomalyDetector(new AnomalyDetector({ warmup: 5, logger: false }));
    for (let i = 0; i < 6; i++) measure('tiny.op', () => 1);
    measure('tiny.op', () => {
      const started = performance.now();
      while (performance.now() - started < 30) {
        // A slow run among fast ones.
      }
      return 1;
    });
    const spans = pipeline.spansNamed('tiny.op');
    expect(spans.slice(0, -1).every((s) => !s.events.some((e) => e.name === ANOMALY_EVENT_NAME))).toBe(true);
    expect(spans.at(-1)?.events.find((e) => e.name === ANOMALY_EVENT_NAME)?.attributes?.['anomaly.key']).toBe(
      'tiny.op',
    );
  });

  it("writes the seed's summary line through the pipeline's real JSON logger, with the span's ids", () => {
    const config = resolveConfig(
      { serviceName: 'demo.service', serviceVersion: '1.0.0', environment: 'production', prometheusPort: false },
      {},
    );
    const written: string[] = [];
    const jsonLogger = createLogger(config, { destination: { write: (chunk: string) => written.push(chunk) } });
    setState({ config, logger: jsonLogger, services: {} });
    measure('orders.import', () => Array.from({ length: 150 }, (_, i) => i));
    const failure = new Error('disk full');
    expect(() =>
      measure('orders.export', () => {
        throw failure;
      }),
    ).toThrow(failure);

    const [done, failed] = written.map((line) => JSON.parse(line));
    const span = only('orders.import');
    expect(Object.keys(done)).toEqual([
      'timestamp',
      'level',
      'logger',
      'message',
      'service.name',
      'service.version',
      'deployment.environment',
      'trace_id',
      'span_id',
      'data',
    ]);
    expect(done).toMatchObject({
      level: 'INFO',
      logger: MEASURE_LOGGER_NAME,
      message: 'Operation orders.import completed',
      'service.name': 'demo.service',
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
      data: { operation: 'orders.import', rows_processed: 150 },
    });
    expect(typeof done.data.processing_time_ms).toBe('number');
    expect(typeof done.data.memory_usage_mb).toBe('number');

    expect(failed).toMatchObject({
      level: 'ERROR',
      message: 'Operation orders.export failed',
      span_id: only('orders.export').spanContext().spanId,
      data: { error_type: 'Error', rows_processed: null },
      error: { type: 'Error', message: 'disk full' },
    });
    // The span ended before the line was written: the exception is on it once, from measure() itself.
    expect(only('orders.export').events.filter((e) => e.name === 'exception')).toHaveLength(1);
  });
});
