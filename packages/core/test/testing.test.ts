/**
 * `@autotelemetry/core/testing`: what a user's test sees — spans, metrics and log lines of a real pipeline,
 * captured in memory (this is the module published as `@autotelemetry/core/testing`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collectMetrics, getFinishedSpans, startTestTelemetry, type TestTelemetry } from '../src/testing.js';

let telemetry: TestTelemetry | undefined;

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
});

describe('startTestTelemetry', () => {
  it('captures the spans, metrics and JSON log lines of the code under test', async () => {
    telemetry = await startTestTelemetry({ serviceName: 'shop.api', logLevel: 'INFO' });
    const { client } = telemetry;
    const loadRows = client.traced(async function loadRows() {
      client.getLogger('orders').info('rows loaded', { count: 3 });
      return [1, 2, 3];
    });
    const rows = await loadRows();
    client.getMeter('orders').createCounter('orders.rows.loaded').add(rows.length, { source: 'test' });

    const spans = telemetry.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['load.rows']);
    expect(getFinishedSpans()).toEqual(spans);

    const counter = await telemetry.getMetric('orders.rows.loaded');
    expect(counter?.dataPoints).toEqual([expect.objectContaining({ value: 3, attributes: { source: 'test' } })]);
    expect((await collectMetrics()).map((metric) => metric.descriptor.name)).toContain('orders.rows.loaded');

    const line = telemetry.logs().find((entry) => entry.message === 'rows loaded');
    expect(line).toMatchObject({
      level: 'INFO',
      logger: 'orders',
      'service.name': 'shop.api',
      trace_id: spans[0]?.spanContext().traceId,
      span_id: spans[0]?.spanContext().spanId,
      data: { count: 3 },
    });

    telemetry.reset();
    expect(telemetry.getFinishedSpans()).toEqual([]);
    expect(telemetry.logLines).toEqual([]);
  });

  it('starts clean even when a pipeline is already running', async () => {
    const first = await startTestTelemetry();
    first.client.getTracer('t').startSpan('first.span').end();
    telemetry = await startTestTelemetry();
    expect(telemetry.client).not.toBe(first.client);
    expect(telemetry.getFinishedSpans()).toEqual([]);
    telemetry.client.getTracer('t').startSpan('second.span').end();
    expect(telemetry.getFinishedSpans().map((span) => span.name)).toEqual(['second.span']);
  });
});
