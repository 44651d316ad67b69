/**
 * End to end over the wire: a real child process running the built package exports to a real OTLP
 * receiver, which decodes the protobuf it actually receives — over gRPC and over http/protobuf.
 */
import { fileURLToPath } from 'node:url';
import {
  killAllChildren,
  type OtlpReceiver,
  type ReceivedSpan,
  spawnNode,
  startOtlpReceiver,
  type Transport,
} from '@autotelemetry/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('./fixtures/pipeline-app.mjs', import.meta.url));
const SPANS = 5;

let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await killAllChildren();
  await receiver?.close();
  receiver = undefined;
});

describe.each<Transport>(['grpc', 'http/protobuf'])('OTLP export over %s', (protocol) => {
  it('delivers spans, metrics and log records with the resource and the trace context', async () => {
    receiver = await startOtlpReceiver({ protocol });
    const child = spawnNode(APP, {
      env: {
        AUTOTELEMETRY_ENVIRONMENT: 'production',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_RESOURCE_ATTRIBUTES: 'cloud.region=eu-west-3',
        AUTOTELEMETRY_PROMETHEUS_PORT: 'false',
        AUTOTELEMETRY_RUNTIME_METRICS: 'false',
        FIXTURE_SPANS: String(SPANS),
        FIXTURE_EXIT: 'natural',
      },
    });
    const exit = await child.exited;
    expect(exit, child.stderr.join('\n')).toEqual({ code: 0, signal: null });

    const spans = await receiver.waitForSpans(SPANS, (s) => s.name === 'fixture.step');
    const records = await receiver.waitForLogs(SPANS, (r) => r.body === 'step done');
    const counter = await receiver.waitForMetric('fixture.items.processed');
    const histogram = await receiver.waitForMetric('fixture.step.duration');
    expect(receiver.decodeErrors).toEqual([]);

    // Every item carries the same resource: identity, deployment, user attributes, SDK and process.
    for (const item of [...spans, ...records, counter, histogram]) {
      expect(item.transport).toBe(protocol);
      expect(item.resource).toMatchObject({
        'service.name': 'fixture.pipeline',
        'service.version': '1.2.3',
        'deployment.environment.name': 'production',
        'team.name': 'core',
        'cloud.region': 'eu-west-3',
        'telemetry.sdk.language': 'nodejs',
        'telemetry.sdk.name': 'opentelemetry',
        'process.pid': child.pid,
        'process.runtime.name': 'nodejs',
        'process.runtime.version': process.versions.node,
        'process.executable.path': process.execPath,
      });
    }

    // Spans: the app's attributes and distinct ids.
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(SPANS);
    expect(spans.map((s) => s.attributes['step.index']).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(spans.every((s) => s.scope.name === 'fixture' && s.endTimeUnixNano >= s.startTimeUnixNano)).toBe(true);

    // Log records: each carries the trace context of the span it was written in.
    const spanByIndex = new Map<number, ReceivedSpan>(spans.map((s) => [s.attributes['step.index'] as number, s]));
    for (const record of records) {
      expect(record.severityText).toBe('INFO');
      expect(record.severityNumber).toBe(9);
      const span = spanByIndex.get(record.attributes.index as number);
      expect(span, `no span for record ${JSON.stringify(record.attributes)}`).toBeDefined();
      expect(record.traceId).toBe(span?.traceId);
      expect(record.spanId).toBe(span?.spanId);
    }

    // Metrics: the counter's total and the histogram's count are the app's.
    expect(counter.type).toBe('sum');
    expect(counter.monotonic).toBe(true);
    expect(counter.points).toHaveLength(1);
    expect(counter.points[0]).toMatchObject({ value: SPANS, attributes: { kind: 'step' } });
    expect(histogram.type).toBe('histogram');
    expect(histogram.unit).toBe('ms');
    expect(histogram.points[0]?.count).toBe(SPANS);

    // The JSON lines on stdout carry the same trace ids.
    const lines = child.json().filter((line) => line.message === 'step done');
    expect(lines).toHaveLength(SPANS);
    for (const line of lines) {
      const span = spanByIndex.get((line.data as { index: number }).index);
      expect(line.trace_id).toBe(span?.traceId);
      expect(line.span_id).toBe(span?.spanId);
    }
  });
});

describe('OTLP export', () => {
  it('does not trace its own export requests', async () => {
    receiver = await startOtlpReceiver({ protocol: 'http/protobuf' });
    const child = spawnNode(APP, {
      env: {
        AUTOTELEMETRY_ENVIRONMENT: 'production',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        AUTOTELEMETRY_PROMETHEUS_PORT: 'false',
        FIXTURE_SPANS: '3',
        FIXTURE_EXIT: 'shutdown',
      },
    });
    await child.waitForLine('SHUTDOWN_DONE');
    expect((await child.exited).code).toBe(0);
    await receiver.waitForSpans(3);
    // Only the app's spans: an export POST traced by the http instrumentation would show up as a CLIENT span.
    expect(receiver.spans.map((s) => s.name)).toEqual(['fixture.step', 'fixture.step', 'fixture.step']);
  });
});
