/**
 * The extension point: span processors, metric readers and log record processors supplied by the user get
 * the pipeline's signals — after redaction — next to the built-in exporters.
 */
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve.js';
import { ConfigError } from '../src/config/types.js';
import { getTelemetry, startTelemetry } from '../src/sdk.js';
import { LogCapture } from '../src/testing.js';

afterEach(async () => {
  await getTelemetry()?.shutdown();
});

describe('user-supplied processors and readers', () => {
  it('receive spans, metrics and log records, with secrets already redacted', async () => {
    const spans = new InMemorySpanExporter();
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
    const logs = new InMemoryLogRecordExporter();
    const client = startTelemetry({
      serviceName: 'shop.api',
      environment: 'test',
      logLevel: 'INFO',
      prometheusPort: false,
      runtimeMetrics: false,
      logDestination: new LogCapture(),
      spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
      metricReaders: [reader],
      logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logs })],
    });

    client.getTracer('shop.orders').startActiveSpan('orders.create', (span) => {
      span.setAttribute('order.id', 'o-1');
      span.setAttribute('password', 'hunter2');
      client.getLogger('orders').info('Order created', { order_id: 'o-1' });
      span.end();
    });
    client.getMeter('shop.orders').createCounter('orders.created.count').add(1, { 'order.kind': 'web' });
    await reader.forceFlush();

    const [span] = spans.getFinishedSpans();
    expect(span?.name).toBe('orders.create');
    expect(span?.attributes['order.id']).toBe('o-1');
    expect(span?.attributes.password).not.toBe('hunter2');

    const names = metricExporter
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name)));
    expect(names).toContain('orders.created.count');

    const [record] = logs.getFinishedLogRecords();
    expect(record?.body).toBe('Order created');
    expect(record?.spanContext?.spanId).toBe(span?.spanContext().spanId);
  });

  it('rejects something that is not a processor, naming the option and the missing method', () => {
    expect(() => resolveConfig({ serviceName: 'shop.api', spanProcessors: [{ onStart() {} }] as never }, {})).toThrow(
      ConfigError,
    );
    try {
      resolveConfig({ serviceName: 'shop.api', metricReaders: [{}] as never }, {});
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).option).toBe('metricReaders[0]');
      expect((error as Error).message).toMatch(/setMetricProducer\(\)/);
    }
    expect(() => resolveConfig({ serviceName: 'shop.api', logRecordProcessors: 'nope' as never }, {})).toThrow(
      /logRecordProcessors/,
    );
  });
});
